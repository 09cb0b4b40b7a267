package sqs

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// systemAttributeNames are the message system attributes a receive can
// ask for.
var systemAttributeNames = []string{
	"ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "AWSTraceHeader", "DeadLetterQueueSourceArn",
	"MessageDeduplicationId", "MessageGroupId", "SenderId", "SentTimestamp", "SequenceNumber",
}

// attemptWindowMs is how long a FIFO ReceiveRequestAttemptId is honoured.
const attemptWindowMs = 5 * 60 * 1000

// ReceiveMessage returns up to MaxNumberOfMessages receivable messages,
// waiting up to WaitTimeSeconds (long polling) for the first to arrive.
func (s *Service) ReceiveMessage(ctx context.Context, in *ReceiveMessageRequest) (*ReceiveMessageResult, error) {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	return s.receiveFrom(ctx, q, in)
}

// receiveFrom is ReceiveMessage on a queue found already.
func (s *Service) receiveFrom(ctx context.Context, q *queue, in *ReceiveMessageRequest) (*ReceiveMessageResult, error) {
	max := int32(1)
	if in.MaxNumberOfMessages != nil {
		max = *in.MaxNumberOfMessages
		if max < 1 || max > 10 {
			return nil, errInvalidParameterValue("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", max)
		}
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return nil, errInvalidParameterValue("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout)
	}
	attempt := ptr.Value(in.ReceiveRequestAttemptId)
	if attempt != "" && !q.fifo {
		attempt = "" // standard queues ignore it
	}

	q.mu.Lock()
	wait := time.Duration(q.intAttr("ReceiveMessageWaitTimeSeconds")) * time.Second
	q.mu.Unlock()
	if in.WaitTimeSeconds != nil {
		wait = time.Duration(*in.WaitTimeSeconds) * time.Second
	}
	deadline := s.clock.Now().Add(wait)
	for {
		now := s.nowMillis()
		q.mu.Lock()
		q.pruneLocked(now)
		if cached, ok := q.attempts[attempt]; attempt != "" && ok {
			q.mu.Unlock()
			return &ReceiveMessageResult{Messages: cached.messages}, nil
		}
		visibility := q.intAttr("VisibilityTimeout")
		if in.VisibilityTimeout != nil {
			visibility = int64(*in.VisibilityTimeout)
		}
		t := q.takeLocked(now, int(max), visibility, s.nonce)
		nextDue := q.nextDueLocked()
		notify, gone := q.notify, q.deleted
		q.mu.Unlock()

		got, err := s.settle(q, t, now)
		if err != nil {
			return nil, err
		}
		if len(got) == 0 && t.overLimit && !q.fifo {
			return nil, errOverLimit()
		}
		if len(got) > 0 || gone {
			out := &ReceiveMessageResult{}
			for _, r := range got {
				out.Messages = append(out.Messages, r.render(q, in))
			}
			if attempt != "" && len(out.Messages) > 0 {
				q.mu.Lock()
				q.attempts[attempt] = receiveAttempt{expires: now + attemptWindowMs, messages: out.Messages}
				q.attemptOrder = append(q.attemptOrder, expiring{now + attemptWindowMs, attempt})
				q.mu.Unlock()
			}
			return out, nil
		}
		if len(t.picks) > 0 || len(t.dooms) > 0 {
			continue // what it took left the queue instead: look again
		}
		left := deadline.Sub(s.clock.Now())
		if left <= 0 || s.isClosed() {
			return &ReceiveMessageResult{}, nil
		}
		if nextDue > 0 {
			if due := time.Duration(nextDue-now) * time.Millisecond; due < left {
				left = due
			}
		}
		due := make(chan struct{})
		timer := s.clock.AfterFunc(left, func() { close(due) })
		select {
		case <-notify:
		case <-due:
		case <-s.ctx.Done():
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
		timer.Stop()
	}
}

func (s *Service) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// nonce makes a receive's receipt nonce.
func (s *Service) nonce() uint64 {
	n, _ := strconv.ParseUint(s.ids.Hex(16), 16, 64)
	return n
}

// received is a message as one receive got it.
type received struct {
	b *body
	p pick
}

// settle completes a receive: it reads the bodies of the messages taken,
// records their receives (not synced: a crash at worst redelivers) and
// takes out of the store, synced, the messages that left the queue
// (expired, dead-lettered, or found gone).
func (s *Service) settle(q *queue, t taken, now int64) ([]received, error) {
	if len(t.picks) == 0 && len(t.dooms) == 0 {
		return nil, nil
	}
	got := make([]received, 0, len(t.picks))
	var lost []pick
	for _, p := range t.picks {
		raw, err := s.db.Get(seqKey(q.bodyPfx, p.e.seq))
		if errors.Is(err, storage.ErrNotFound) {
			lost = append(lost, p) // deleted meanwhile
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading a message of %s: %w", q.key.name, err)
		}
		b, err := decodeBody(raw)
		if err != nil {
			return nil, fmt.Errorf("reading a message of %s: %w", q.key.name, err)
		}
		if b.SentMs+t.retentionMs <= now {
			lost = append(lost, p)
			continue
		}
		if p.firstReceive == 0 {
			st, err := q.loadState(p.e.seq)
			if err != nil {
				return nil, err
			}
			p.firstReceive = now
			if st != nil && st.FirstReceiveMs != 0 {
				p.firstReceive = st.FirstReceiveMs
			}
		}
		got = append(got, received{b, p})
	}

	// Under q.mu, so that a delete that follows cannot be overtaken by
	// the write.
	wb := s.db.NewBatch()
	defer wb.Close()
	var buf []byte
	q.mu.Lock()
	for _, r := range got {
		p := r.p
		if !q.stillTakenLocked(p) {
			continue
		}
		if f := q.inflight[p.e.seq]; f != nil {
			f.firstReceive = p.firstReceive
		}
		st := state{VisibleAtMs: p.e.visibleAt, ReceiveCount: p.e.receives, FirstReceiveMs: p.firstReceive,
			Nonce: p.nonce, SentSec: p.e.sent, GroupID: p.group}
		buf = appendState(buf[:0], &st)
		wb.Set(seqKey(q.statePfx, p.e.seq), buf)
	}
	for _, p := range lost {
		q.forgetLocked(p, now)
	}
	var err error
	if wb.Len() > 0 {
		err = wb.CommitNoSync()
	}
	q.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("storing received messages of %s: %w", q.key.name, err)
	}

	dooms := t.dooms
	for _, p := range lost {
		dooms = append(dooms, doom{e: p.e})
	}
	if err := s.dispose(q, dooms, now); err != nil {
		return nil, err
	}
	return got, nil
}

// dispose deletes the records of messages that left q, moving the
// dead-lettered ones into their queue, and syncs.
func (s *Service) dispose(q *queue, dooms []doom, now int64) error {
	if len(dooms) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	type move struct {
		dlq   *queue
		e     entry
		group string
	}
	var moves []move
	var buf []byte
	for _, d := range dooms {
		q.deleteRecords(b, d.e.seq) // the store still reads them until b commits
		if d.dlq == "" {
			continue
		}
		dlq := s.lookupARN(d.dlq)
		if dlq == nil {
			continue // the dead-letter queue is gone: the message is dropped
		}
		raw, err := s.db.Get(seqKey(q.bodyPfx, d.e.seq))
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("dead-lettering a message of %s: %w", q.key.name, err)
		}
		m, err := decodeBody(raw)
		if err != nil {
			return fmt.Errorf("dead-lettering a message of %s: %w", q.key.name, err)
		}
		old, err := q.loadState(d.e.seq)
		if err != nil {
			return err
		}
		// It keeps its id, attributes and receive count.
		m.DLQSource = q.arn
		dlq.mu.Lock()
		e := entry{visibleAt: now, seq: dlq.nextSeqLocked(now), receives: d.e.receives, sent: d.e.sent}
		dlq.mu.Unlock()
		st := state{VisibleAtMs: e.visibleAt, ReceiveCount: e.receives, SentSec: e.sent}
		if old != nil {
			st.FirstReceiveMs = old.FirstReceiveMs
		}
		if dlq.fifo {
			st.GroupID = m.GroupID
		}
		buf = appendBody(buf[:0], m)
		b.Set(seqKey(dlq.bodyPfx, e.seq), buf)
		buf = appendState(buf[:0], &st)
		b.Set(seqKey(dlq.statePfx, e.seq), buf)
		moves = append(moves, move{dlq, e, m.GroupID})
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("removing messages of %s: %w", q.key.name, err)
	}
	for _, mv := range moves {
		mv.dlq.mu.Lock()
		if !mv.dlq.deleted {
			mv.dlq.addLocked(mv.e, mv.group, now)
			mv.dlq.wakeLocked()
		}
		mv.dlq.mu.Unlock()
	}
	return nil
}

// render builds the Message a receive answers, with the attributes asked
// for.
func (r received) render(q *queue, in *ReceiveMessageRequest) Message {
	m := r.b
	out := Message{MessageId: ptr.To(m.ID), ReceiptHandle: ptr.To(encodeReceipt(q.key, r.p.e.seq, r.p.nonce)),
		Body: ptr.To(m.Body), MD5OfBody: ptr.To(m.MD5Body)}
	if attrs := selectAttributes(m.Attrs, in.MessageAttributeNames); attrs != nil {
		out.MessageAttributes = attrs
		out.MD5OfMessageAttributes = ptr.To(md5OfAttributes(attrs))
	}
	want := map[string]bool{}
	for _, n := range append(append([]string(nil), in.AttributeNames...), in.MessageSystemAttributeNames...) {
		if n == "All" {
			for _, a := range systemAttributeNames {
				want[a] = true
			}
			continue
		}
		want[n] = true
	}
	if len(want) == 0 {
		return out
	}
	all := map[string]string{
		"ApproximateReceiveCount":          strconv.FormatUint(uint64(r.p.e.receives), 10),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(r.p.firstReceive, 10),
		"SentTimestamp":                    strconv.FormatInt(m.SentMs, 10),
		"SenderId":                         m.SenderID,
	}
	if m.TraceHeader != "" {
		all["AWSTraceHeader"] = m.TraceHeader
	}
	if m.DLQSource != "" {
		all["DeadLetterQueueSourceArn"] = m.DLQSource
	}
	if q.fifo {
		all["MessageGroupId"] = m.GroupID
		all["MessageDeduplicationId"] = m.DedupID
		all["SequenceNumber"] = strconv.FormatUint(r.p.e.seq, 10)
	} else if m.GroupID != "" {
		all["MessageGroupId"] = m.GroupID
	}
	out.Attributes = map[string]string{}
	for name := range want {
		if v, ok := all[name]; ok {
			out.Attributes[name] = v
		}
	}
	return out
}

// Receipt handles name the queue, the message (its sequence number) and
// the receive (its nonce).

func encodeReceipt(k queueKey, seq, nonce uint64) string {
	raw := k.account + "/" + k.name + "/" + strconv.FormatUint(seq, 10) + "/" + strconv.FormatUint(nonce, 16)
	return base64.StdEncoding.EncodeToString([]byte(raw))
}

// decodeReceipt returns the sequence number and receive nonce of a handle
// for the queue k.
func decodeReceipt(k queueKey, handle string) (seq, nonce uint64, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(handle)
	if err != nil {
		return 0, 0, false
	}
	parts := strings.Split(string(raw), "/")
	if len(parts) != 4 || parts[0] != k.account || parts[1] != k.name {
		return 0, 0, false
	}
	seq, err1 := strconv.ParseUint(parts[2], 10, 64)
	nonce, err2 := strconv.ParseUint(parts[3], 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return seq, nonce, true
}
