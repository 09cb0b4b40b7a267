package sqs

import (
	"encoding/json"
	"fmt"

	"github.com/nimbus-dev/nimbus/internal/storage"
)

// legacyMessage is a message as stored before the split into body and
// state records: one JSON record under legacyPrefix.
type legacyMessage struct {
	ID             string                           `json:"id"`
	Body           string                           `json:"body"`
	MD5Body        string                           `json:"md5Body"`
	MD5Attrs       string                           `json:"md5Attrs,omitempty"`
	Attrs          map[string]MessageAttributeValue `json:"attrs,omitempty"`
	SentMs         int64                            `json:"sent"`
	SenderID       string                           `json:"sender"`
	GroupID        string                           `json:"group,omitempty"`
	DedupID        string                           `json:"dedup,omitempty"`
	TraceHeader    string                           `json:"trace,omitempty"`
	DLQSource      string                           `json:"dlqSource,omitempty"`
	ReceiveCount   int                              `json:"receives,omitempty"`
	FirstReceiveMs int64                            `json:"firstReceive,omitempty"`
	VisibleAtMs    int64                            `json:"visibleAt"`
}

// migrate converts the messages of q stored in the layout before body and
// state records, once: a store written by an older Nimbus loads as it was.
// Receipt handles given out before stay invalid.
func (s *Service) migrate(q *queue) error {
	prefix := legacyPrefix(q.key)
	b := s.db.NewBatch()
	defer func() { b.Close() }()
	converted := 0
	var buf []byte
	err := s.db.Scan(prefix, func(key, value []byte) error {
		seq, _, err := storage.ReadUint64(key[len(prefix):])
		if err != nil {
			return err
		}
		var m legacyMessage
		if err := json.Unmarshal(value, &m); err != nil {
			return fmt.Errorf("decoding message %d: %w", seq, err)
		}
		buf = appendBody(buf[:0], &body{ID: m.ID, SentMs: m.SentMs, MD5Body: m.MD5Body, MD5Attrs: m.MD5Attrs,
			SenderID: m.SenderID, GroupID: m.GroupID, DedupID: m.DedupID, TraceHeader: m.TraceHeader,
			DLQSource: m.DLQSource, Body: m.Body, Attrs: m.Attrs})
		b.Set(seqKey(q.bodyPfx, seq), buf)
		st := state{VisibleAtMs: m.VisibleAtMs, ReceiveCount: uint32(m.ReceiveCount), FirstReceiveMs: m.FirstReceiveMs,
			SentSec: sentSec(m.SentMs)}
		if q.fifo {
			st.GroupID = m.GroupID
		}
		buf = appendState(buf[:0], &st)
		b.Set(seqKey(q.statePfx, seq), buf)
		if converted++; converted%1000 == 0 {
			if err := b.Commit(); err != nil {
				return err
			}
			b.Close()
			b = s.db.NewBatch()
		}
		return nil
	})
	if err != nil || converted == 0 {
		return err
	}
	b.DeleteRange(prefix, storage.PrefixEnd(prefix))
	if err := b.Commit(); err != nil {
		return err
	}
	s.log.Info("sqs: converted stored messages to body and state records", "queue", q.arn, "messages", converted)
	return nil
}
