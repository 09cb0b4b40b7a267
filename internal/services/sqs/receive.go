package sqs

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-dev/nimbus/internal/ptr"
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
		if cached, ok := q.attempts[attempt]; attempt != "" && ok && cached.expires > now {
			q.mu.Unlock()
			return &ReceiveMessageResult{Messages: cached.messages}, nil
		}
		visibility := q.intAttr("VisibilityTimeout")
		if in.VisibilityTimeout != nil {
			visibility = int64(*in.VisibilityTimeout)
		}
		got, doomed, nextDue := q.takeLocked(now, int(max), visibility, s)
		notify, gone := q.notify, q.deleted
		q.mu.Unlock()

		if err := s.settle(q, got, doomed); err != nil {
			return nil, err
		}
		if len(got) > 0 || gone {
			out := &ReceiveMessageResult{}
			for _, r := range got {
				out.Messages = append(out.Messages, r.render(q, in))
			}
			if attempt != "" && len(out.Messages) > 0 {
				q.mu.Lock()
				q.attempts[attempt] = receiveAttempt{expires: now + attemptWindowMs, messages: out.Messages}
				q.mu.Unlock()
			}
			return out, nil
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
		timer := make(chan struct{})
		t := s.clock.AfterFunc(left, func() { close(timer) })
		select {
		case <-notify:
		case <-timer:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		t.Stop()
	}
}

func (s *Service) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// received is a message as one receive got it.
type received struct {
	m       message // a copy: the queue's may change once unlocked
	receipt string
}

// doomed is a message leaving the queue on a receive: past its retention,
// or past maxReceiveCount on its way to the dead-letter queue.
type doomed struct {
	m   *message
	dlq string // ARN, "" to drop
}

// takeLocked marks up to n receivable messages received and returns them,
// the messages that leave the queue instead (expired, dead-lettered), and
// when the next message becomes receivable (epoch ms, 0 if unknown).
func (q *queue) takeLocked(now int64, n int, visibility int64, s *Service) ([]received, []doomed, int64) {
	retentionMs := q.intAttr("MessageRetentionPeriod") * 1000
	policy, _ := parseRedrivePolicy(q.rec.Attributes["RedrivePolicy"])
	var got []received
	var gone []doomed
	// take receives m or moves it out; it reports whether m was received.
	take := func(m *message) bool {
		if m.SentMs+retentionMs <= now {
			q.removeLocked(m)
			gone = append(gone, doomed{m: m})
			return false
		}
		if policy != nil && m.ReceiveCount >= policy.MaxReceiveCount {
			q.removeLocked(m)
			gone = append(gone, doomed{m: m, dlq: policy.DeadLetterTargetArn})
			return false
		}
		m.ReceiveCount++
		if m.FirstReceiveMs == 0 {
			m.FirstReceiveMs = now
		}
		m.Receipt = s.ids.Hex(16)
		q.setVisibleLocked(m, now+visibility*1000)
		got = append(got, received{m: *m, receipt: encodeReceipt(q.key, m.ID, m.Receipt)})
		return true
	}
	if !q.fifo {
		for len(got) < n && q.ready.Len() > 0 && q.ready[0].VisibleAtMs <= now {
			take(q.ready[0])
		}
		next := int64(0)
		if q.ready.Len() > 0 {
			next = q.ready[0].VisibleAtMs
		}
		return got, gone, next
	}
	// FIFO: groups in order of their oldest message, each up to its first
	// message in flight.
	groups := make([]*group, 0, len(q.groups))
	for _, g := range q.groups {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].msgs[0].Seq < groups[j].msgs[0].Seq })
	next := int64(0)
	for _, g := range groups {
		if len(got) >= n {
			break
		}
		// Received messages stay in place (in flight now); removed ones
		// leave, so i then names the next.
		for i := 0; len(got) < n && i < len(g.msgs); {
			m := g.msgs[i]
			if m.VisibleAtMs > now { // in flight or delayed: the group waits
				if next == 0 || m.VisibleAtMs < next {
					next = m.VisibleAtMs
				}
				break
			}
			if take(m) {
				i++
			}
		}
	}
	for key, e := range q.dedup {
		if e.expires <= now {
			delete(q.dedup, key)
		}
	}
	for key, a := range q.attempts {
		if a.expires <= now {
			delete(q.attempts, key)
		}
	}
	return got, gone, next
}

// settle stores what a receive changed: the received messages' counts and
// visibility (not synced: a crash at worst redelivers), and the messages
// that left, dead-lettered ones into their queue (synced).
func (s *Service) settle(q *queue, got []received, gone []doomed) error {
	if len(got) == 0 && len(gone) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, r := range got {
		b.Set(messageKey(q.key, r.m.Seq), mustJSON(&r.m))
	}
	type move struct {
		dlq *queue
		m   *message
	}
	var moves []move
	for _, d := range gone {
		b.Delete(messageKey(q.key, d.m.Seq))
		if d.dlq == "" {
			continue
		}
		dlq := s.lookupARN(d.dlq)
		if dlq == nil {
			continue // the dead-letter queue is gone: the message is dropped
		}
		// It keeps its id, attributes and receive count.
		m := *d.m
		m.Receipt = ""
		m.DLQSource = q.arn
		now := s.nowMillis()
		m.VisibleAtMs = now
		dlq.mu.Lock()
		m.Seq = dlq.nextSeqLocked(now)
		dlq.mu.Unlock()
		b.Set(messageKey(dlq.key, m.Seq), mustJSON(&m))
		moves = append(moves, move{dlq, &m})
	}
	commit := b.CommitNoSync
	if len(gone) > 0 {
		commit = b.Commit
	}
	if err := commit(); err != nil {
		return fmt.Errorf("storing received messages of %s: %w", q.key.name, err)
	}
	for _, mv := range moves {
		mv.dlq.mu.Lock()
		if !mv.dlq.deleted {
			mv.dlq.addLocked(mv.m)
			mv.dlq.wakeLocked()
		}
		mv.dlq.mu.Unlock()
	}
	return nil
}

// render builds the Message a receive answers, with the attributes asked
// for.
func (r received) render(q *queue, in *ReceiveMessageRequest) Message {
	m := r.m
	out := Message{MessageId: ptr.To(m.ID), ReceiptHandle: ptr.To(r.receipt), Body: ptr.To(m.Body), MD5OfBody: ptr.To(m.MD5Body)}
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
		"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
		"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.FirstReceiveMs, 10),
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
		all["SequenceNumber"] = m.sequenceNumber()
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

// Receipt handles name the queue, the message and the receive.

func encodeReceipt(k queueKey, id, nonce string) string {
	return base64.StdEncoding.EncodeToString([]byte(k.account + "/" + k.name + "/" + id + "/" + nonce))
}

// decodeReceipt returns the message id and receive nonce of a handle for q.
func decodeReceipt(k queueKey, handle string) (id, nonce string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(handle)
	if err != nil {
		return "", "", false
	}
	parts := strings.Split(string(raw), "/")
	if len(parts) != 4 || parts[0] != k.account || parts[1] != k.name {
		return "", "", false
	}
	return parts[2], parts[3], true
}
