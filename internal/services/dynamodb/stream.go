package dynamodb

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// Stream behaviour.
const (
	// StreamRetention is how long a stream keeps its records, and a
	// disabled stream itself.
	StreamRetention = 24 * time.Hour
	// DefaultShardRollover is how long a shard takes records before it
	// closes and a child shard takes over, as DynamoDB does about every
	// four hours.
	DefaultShardRollover = 4 * time.Hour
)

// streamMeta is a stream as stored under streamKey.
type streamMeta struct {
	Account   string             `json:"account"`
	Region    string             `json:"region"`
	Table     string             `json:"table"`
	Label     string             `json:"label"`
	ViewType  string             `json:"viewType"`
	KeySchema []KeySchemaElement `json:"keySchema"`
	Created   time.Time          `json:"created"`
	// Disabled is when the table stopped writing to the stream (UpdateTable
	// disabled it, or the table was deleted); zero while it is enabled.
	Disabled time.Time   `json:"disabled,omitzero"`
	Shards   []shardMeta `json:"shards"`
}

// shardMeta is one shard of a stream: the records with sequence numbers
// from Start to End (End 0: open, taking new records).
type shardMeta struct {
	ID      string    `json:"id"`
	Parent  string    `json:"parent,omitempty"`
	Created time.Time `json:"created"`
	Start   uint64    `json:"start"`
	End     uint64    `json:"end,omitempty"`
}

// stream is a stream in memory. st.mu guards meta's Shards and Disabled;
// its identity (account, region, table, label) never changes. Writers take sequence numbers from it while
// they hold their items' locks, so that the records of one item are in
// order; readers read only up to the watermark, below which every record
// has committed, so that no reader steps past a record still being
// written.
type stream struct {
	mu      sync.Mutex
	meta    streamMeta
	next    uint64          // the next sequence number
	pending map[uint64]bool // taken, not yet committed or abandoned
	// wake, when a reader waits, is closed when the watermark next moves.
	wake chan struct{}
}

func (st *stream) arn() string {
	m := st.meta
	return arn.ARN{Partition: arn.PartitionFor(m.Region), Service: "dynamodb", Region: m.Region, Account: m.Account,
		Resource: "table/" + m.Table + "/stream/" + m.Label}.String()
}

func streamKey(account, region, table, label string) []byte {
	return storage.Key("ddb", "st", account, region, table, label)
}

func streamRecordPrefix(account, region, table, label string) []byte {
	return storage.Key("ddb", "sr", account, region, table, label)
}

func (st *stream) recordKey(seq uint64) []byte {
	m := st.meta
	return storage.AppendUint64(streamRecordPrefix(m.Account, m.Region, m.Table, m.Label), seq)
}

// formatSeq and parseSeq convert sequence numbers to DynamoDB's decimal
// strings: 21 digits (the API's minimum length), a 1 and the number, so
// that they sort as text as they do as numbers.
func formatSeq(seq uint64) string { return fmt.Sprintf("1%020d", seq) }

func parseSeq(s string) (uint64, bool) {
	if len(s) != 21 || s[0] != '1' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	return n, err == nil
}

// streamLabel is the label of a stream enabled at t, as DynamoDB writes it.
func streamLabel(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") }

// newShardID makes a shard id shaped as DynamoDB's.
func (s *Service) newShardID(now time.Time) string {
	return fmt.Sprintf("shardId-%020d-%s", now.UnixMilli(), s.ids.RequestID()[:8])
}

// openStream creates the stream of a table whose stream is enabled at now.
func (s *Service) openStream(rec *tableRecord, now time.Time) (*stream, error) {
	label := streamLabel(now)
	st := &stream{pending: map[uint64]bool{}, next: 1, meta: streamMeta{Account: rec.Account, Region: rec.Region,
		Table: rec.Name, Label: label, ViewType: ptr.Value(rec.Stream.StreamViewType), KeySchema: rec.KeySchema, Created: now,
		Shards: []shardMeta{{ID: s.newShardID(now), Created: now, Start: 1}}}}
	if err := s.db.Set(streamKey(rec.Account, rec.Region, rec.Name, label), mustJSON(st.meta)); err != nil {
		return nil, fmt.Errorf("storing a stream: %w", err)
	}
	s.streamsMu.Lock()
	s.streams[st.arn()] = st
	s.streamsMu.Unlock()
	rec.StreamLabel = label
	return st, nil
}

// closeStream stops writes to a table's stream; it stays readable for
// StreamRetention.
func (s *Service) closeStream(st *stream, now time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.meta.Disabled = now
	if last := &st.meta.Shards[len(st.meta.Shards)-1]; last.End == 0 {
		last.End = max(st.next-1, last.Start)
	}
	return s.db.Set(streamKey(st.meta.Account, st.meta.Region, st.meta.Table, st.meta.Label), mustJSON(st.meta))
}

// loadStreams reads the stored streams and finds each one's next sequence
// number.
func (s *Service) loadStreams() error {
	return s.db.Scan(storage.Key("ddb", "st"), func(_, value []byte) error {
		st := &stream{pending: map[uint64]bool{}}
		if err := json.Unmarshal(value, &st.meta); err != nil {
			return fmt.Errorf("decoding a stored stream: %w", err)
		}
		m := st.meta
		st.next = m.Shards[len(m.Shards)-1].Start
		err := s.db.ScanReverse(streamRecordPrefix(m.Account, m.Region, m.Table, m.Label), func(key, _ []byte) error {
			seq, _, err := storage.ReadUint64(key[len(streamRecordPrefix(m.Account, m.Region, m.Table, m.Label)):])
			if err == nil {
				st.next = max(st.next, seq+1)
			}
			return storage.ErrStop
		})
		if err != nil {
			return err
		}
		s.streams[st.arn()] = st
		return nil
	})
}

// take reserves the next sequence number for a record written now,
// rolling the open shard over first when it is due.
func (s *Service) take(st *stream, now time.Time) (uint64, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := s.rollLocked(st, now); err != nil {
		return 0, err
	}
	seq := st.next
	st.next++
	st.pending[seq] = true
	return seq, nil
}

// release ends a reservation: the record committed or was abandoned.
func (st *stream) release(seq uint64) {
	st.mu.Lock()
	delete(st.pending, seq)
	if st.wake != nil {
		close(st.wake)
		st.wake = nil
	}
	st.mu.Unlock()
}

// rollLocked closes the open shard of an enabled stream when it has taken
// records for s.rollover, opening its child. st.mu is held.
func (s *Service) rollLocked(st *stream, now time.Time) error {
	if !st.meta.Disabled.IsZero() {
		return nil
	}
	open := &st.meta.Shards[len(st.meta.Shards)-1]
	if now.Sub(open.Created) < s.rollover {
		return nil
	}
	meta := st.meta
	meta.Shards = slices.Clone(meta.Shards)
	last := &meta.Shards[len(meta.Shards)-1]
	last.End = max(st.next-1, last.Start)
	if st.next <= last.Start { // an empty shard ends where it starts
		st.next = last.Start + 1
	}
	meta.Shards = append(meta.Shards, shardMeta{ID: s.newShardID(now), Parent: last.ID, Created: now, Start: st.next})
	if err := s.db.Set(streamKey(meta.Account, meta.Region, meta.Table, meta.Label), mustJSON(meta)); err != nil {
		return fmt.Errorf("storing a stream: %w", err)
	}
	// Only Shards changes: the stream's identity is read without st.mu.
	st.meta.Shards = meta.Shards
	return nil
}

// watermark is the highest sequence number below which every record has
// committed (or was abandoned).
func (st *stream) watermarkLocked() uint64 {
	w := st.next - 1
	for seq := range st.pending {
		w = min(w, seq-1)
	}
	return w
}

// userIdentity is the stream record's userIdentity: set on TTL deletions.
// It is stored as the DynamoDB Streams API spells it (PrincipalId, Type);
// Lambda's events spell it in lower case.
type userIdentity struct {
	PrincipalID string `json:"PrincipalId"`
	Type        string `json:"Type"`
}

// ttlIdentity marks the records of TTL's deletions.
var ttlIdentity = &userIdentity{PrincipalID: "dynamodb.amazonaws.com", Type: "Service"}

// stageStreamRecord adds to w the stream record of the change of the item
// stored under key from old to next, when t has a stream and the item
// changed (DynamoDB writes no record for a write that changes nothing).
func (s *Service) stageStreamRecord(w *write, t *table, old, next attr.Item, who *userIdentity) error {
	st := t.stream
	if st == nil || (old == nil && next == nil) || (old != nil && next != nil && sameItem(old, next)) {
		return nil
	}
	now := s.clock.Now()
	seq, err := s.take(st, now)
	if err != nil {
		return err
	}
	w.after = append(w.after, func() { st.release(seq) })
	name := "MODIFY"
	switch {
	case old == nil:
		name = "INSERT"
	case next == nil:
		name = "REMOVE"
	}
	keys := t.keyOf(next)
	if next == nil {
		keys = t.keyOf(old)
	}
	view := st.meta.ViewType
	var newImage, oldImage attr.Item
	if view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES" {
		newImage = next
	}
	if view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES" {
		oldImage = old
	}
	b := append(make([]byte, 0, 256), `{"awsRegion":`...)
	b = strconv.AppendQuote(b, t.rec.Region)
	b = append(b, `,"dynamodb":{"ApproximateCreationDateTime":`...)
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, `,"Keys":`...)
	if b, err = attr.AppendItemJSON(b, keys); err != nil {
		return err
	}
	for _, img := range []struct {
		name string
		item attr.Item
	}{{"NewImage", newImage}, {"OldImage", oldImage}} {
		if img.item != nil {
			b = append(append(append(b, `,"`...), img.name...), `":`...)
			if b, err = attr.AppendItemJSON(b, img.item); err != nil {
				return err
			}
		}
	}
	b = append(b, `,"SequenceNumber":"`...)
	b = append(b, formatSeq(seq)...)
	b = append(b, `","SizeBytes":`...)
	b = strconv.AppendInt(b, int64(attr.ItemSize(keys)+attr.ItemSize(newImage)+attr.ItemSize(oldImage)), 10)
	b = append(b, `,"StreamViewType":`...)
	b = strconv.AppendQuote(b, view)
	b = append(b, `},"eventID":"`...)
	b = append(b, s.ids.RequestID()...)
	b = append(b, `","eventName":"`...)
	b = append(b, name...)
	b = append(b, `","eventSource":"aws:dynamodb","eventVersion":"1.1"`...)
	if who != nil {
		b = append(b, `,"userIdentity":`...)
		b = append(b, mustJSON(who)...)
	}
	b = append(b, '}')
	w.b.Set(st.recordKey(seq), b)
	return nil
}

// sameItem reports whether two items hold the same attributes and values.
func sameItem(a, b attr.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for name, v := range a {
		if w, ok := b[name]; !ok || !attr.Equal(v, w) {
			return false
		}
	}
	return true
}

// A write is one request's batch and what must run once it has committed
// or been abandoned: releasing the sequence numbers its stream records
// took.
type write struct {
	b     *storage.Batch
	after []func()
}

func (s *Service) newWrite() *write { return &write{b: s.db.NewBatch()} }

// commit commits the batch, synced.
func (w *write) commit() error { return w.b.Commit() }

// close releases the batch and runs the after functions; call it once,
// whether or not the batch committed.
func (w *write) close() {
	w.b.Close()
	for _, f := range w.after {
		f()
	}
	w.after = nil
}

// errStreamNotFound is ResourceNotFoundException for a stream ARN.
func errStreamNotFound(streamARN string) error {
	return errResourceNotFound("Requested resource not found: Stream: %s not found", streamARN)
}

var errShardNotFound = errors.New("shard not found")
