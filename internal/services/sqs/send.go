package sqs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// dedupWindowMs is FIFO deduplication's window: five minutes.
const dedupWindowMs = 5 * 60 * 1000

// maxBatchBytes bounds the total size of a SendMessageBatch.
const maxBatchBytes = 1048576

var batchIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// messageIDPattern is what MessageGroupId and MessageDeduplicationId may
// be: alphanumeric and punctuation characters, 1 to 128.
var messageIDPattern = regexp.MustCompile(`^[!-~]{1,128}$`)

func newOutgoing(body *string, attrs map[string]MessageAttributeValue, sys map[string]MessageSystemAttributeValue,
	delay *int32, group, dedup *string) *outgoing {
	return &outgoing{body: ptr.Value(body), attrs: attrs, sysAttrs: sys, delay: delay,
		groupID: ptr.Value(group), groupSet: group != nil, dedupID: ptr.Value(dedup), dedupSet: dedup != nil}
}

// checkIDs checks the FIFO ids of a message for q: the failures that fail
// a whole batch.
func (q *queue) checkIDs(o *outgoing, missingGroup func() *awserr.Error) *awserr.Error {
	if o.groupSet && !messageIDPattern.MatchString(o.groupID) {
		return errInvalidParameterValue("Value %s for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.", o.groupID)
	}
	if !q.fifo {
		if o.dedupSet {
			return errInvalidParameterValue("The request include parameter that is not valid for this queue type")
		}
		return nil
	}
	if o.dedupSet && !messageIDPattern.MatchString(o.dedupID) {
		return errInvalidParameterValue("Value %s for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.", o.dedupID)
	}
	if !o.groupSet {
		return missingGroup()
	}
	q.mu.Lock()
	contentDedup := q.rec.Attributes["ContentBasedDeduplication"] == "true"
	q.mu.Unlock()
	if !o.dedupSet && !contentDedup {
		return errInvalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
	}
	return nil
}

// outgoing is a message being sent: the entry's fields, checked.
type outgoing struct {
	// groupSet and dedupSet say whether the ids were given at all.
	groupSet, dedupSet bool
	body               string
	attrs              map[string]MessageAttributeValue
	sysAttrs           map[string]MessageSystemAttributeValue
	delay              *int32
	groupID            string
	dedupID            string
	size               int
	traceHeader        string
}

// sent is what a send answers for one message.
type sent struct {
	id, md5Body, md5Attrs, md5Sys, sequence string
}

// checkOutgoing validates a message for q, its ids checked already;
// inBatch words a size failure as a batch entry's.
func (q *queue) checkOutgoing(o *outgoing, inBatch bool) *awserr.Error {
	if o.body == "" {
		return errMissingParameter("MessageBody")
	}
	if !validBody(o.body) {
		return withQueryCode(ErrInvalidMessageContents("Invalid characters found."))
	}
	attrSize, err := checkMessageAttributes(o.attrs)
	if err != nil {
		return err
	}
	for name, v := range o.sysAttrs {
		if name != "AWSTraceHeader" {
			return errInvalidParameterValue("Message system attribute name '%s' is invalid.", name)
		}
		if ptr.Value(v.DataType) != "String" || v.StringValue == nil {
			return errInvalidParameterValue("Message system attribute '%s' must be of type String.", name)
		}
		o.traceHeader = *v.StringValue
	}
	o.size = len(o.body) + attrSize
	q.mu.Lock()
	maxSize := q.intAttr("MaximumMessageSize")
	contentDedup := q.rec.Attributes["ContentBasedDeduplication"] == "true"
	q.mu.Unlock()
	if int64(o.size) > maxSize {
		verb := "are invalid"
		if inBatch {
			verb = "cannot be validated"
		}
		return errInvalidParameterValue("One or more parameters %s. Reason: Message must be shorter than %d bytes.", verb, maxSize)
	}
	if o.delay != nil && (*o.delay < 0 || *o.delay > 900) {
		return errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", *o.delay)
	}
	if !q.fifo {
		return nil
	}
	if o.delay != nil && *o.delay != 0 {
		return errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", *o.delay)
	}
	if !o.dedupSet && contentDedup {
		sum := sha256.Sum256([]byte(o.body))
		o.dedupID = hex.EncodeToString(sum[:])
	}
	return nil
}

// enqueue stores checked messages durably, then makes them receivable.
func (s *Service) enqueue(ctx context.Context, q *queue, batch []*outgoing) ([]sent, error) {
	info := awsproto.Info(ctx)
	sender := info.AccessKeyID
	if sender == "" {
		sender = info.Account
	}
	now := s.nowMillis()
	out := make([]sent, len(batch))
	bodies := make([]*body, len(batch))
	for i, o := range batch {
		b := &body{ID: s.ids.RequestID(), SentMs: now, MD5Body: md5Hex(o.body), MD5Attrs: md5OfAttributes(o.attrs),
			SenderID: sender, GroupID: o.groupID, DedupID: o.dedupID, TraceHeader: o.traceHeader, Body: o.body, Attrs: o.attrs}
		if b.TraceHeader == "" {
			b.TraceHeader = info.TraceHeader
		}
		bodies[i] = b
		out[i] = sent{id: b.ID, md5Body: b.MD5Body, md5Attrs: b.MD5Attrs}
		if len(o.sysAttrs) > 0 {
			out[i].md5Sys = md5OfAttributes(systemAsMessageAttributes(o.sysAttrs))
		}
	}
	type fresh struct {
		b *body
		e entry
	}
	var stored []fresh
	var reserved []string

	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nil, errQueueDoesNotExist()
	}
	q.pruneLocked(now)
	delay := q.intAttr("DelaySeconds")
	scope := q.rec.Attributes["DeduplicationScope"]
	for i, o := range batch {
		d := delay
		if o.delay != nil {
			d = int64(*o.delay)
		}
		e := entry{visibleAt: now + d*1000, sent: sentSec(now)}
		if q.fifo {
			key := o.dedupID
			if scope == "messageGroup" {
				key = o.groupID + "\x00" + o.dedupID
			}
			if prior, ok := q.dedup[key]; ok && prior.expires > now {
				out[i].id, out[i].sequence = prior.id, strconv.FormatUint(prior.seq, 10)
				continue
			}
			e.seq = q.nextSeqLocked(now)
			q.dedup[key] = dedupEntry{expires: now + dedupWindowMs, id: bodies[i].ID, seq: e.seq}
			q.dedupOrder = append(q.dedupOrder, expiring{now + dedupWindowMs, key})
			reserved = append(reserved, key)
			out[i].sequence = strconv.FormatUint(e.seq, 10)
		} else {
			e.seq = q.nextSeqLocked(now)
		}
		stored = append(stored, fresh{bodies[i], e})
	}
	q.mu.Unlock()

	if len(stored) == 0 {
		return out, nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	var buf []byte
	for _, f := range stored {
		buf = appendBody(buf[:0], f.b)
		b.Set(seqKey(q.bodyPfx, f.e.seq), buf)
		st := state{VisibleAtMs: f.e.visibleAt, SentSec: f.e.sent}
		if q.fifo {
			st.GroupID = f.b.GroupID
		}
		buf = appendState(buf[:0], &st)
		b.Set(seqKey(q.statePfx, f.e.seq), buf)
	}
	if err := b.Commit(); err != nil {
		q.mu.Lock()
		for _, k := range reserved {
			delete(q.dedup, k)
		}
		q.mu.Unlock()
		return nil, fmt.Errorf("storing messages of %s: %w", q.key.name, err)
	}
	q.mu.Lock()
	if !q.deleted {
		for _, f := range stored {
			q.addLocked(f.e, f.b.GroupID, now)
		}
		q.wakeLocked()
	}
	q.mu.Unlock()
	return out, nil
}

func systemAsMessageAttributes(sys map[string]MessageSystemAttributeValue) map[string]MessageAttributeValue {
	out := make(map[string]MessageAttributeValue, len(sys))
	for k, v := range sys {
		out[k] = MessageAttributeValue{DataType: v.DataType, StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	return out
}

// SendMessage sends one message.
func (s *Service) SendMessage(ctx context.Context, in *SendMessageRequest) (*SendMessageResult, error) {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	o := newOutgoing(in.MessageBody, in.MessageAttributes, in.MessageSystemAttributes, in.DelaySeconds,
		in.MessageGroupId, in.MessageDeduplicationId)
	if o.body == "" {
		return nil, errMissingParameter("MessageBody")
	}
	if e := q.checkIDs(o, func() *awserr.Error { return errMissingParameter("MessageGroupId") }); e != nil {
		return nil, e
	}
	if e := q.checkOutgoing(o, false); e != nil {
		return nil, e
	}
	res, err := s.enqueue(ctx, q, []*outgoing{o})
	if err != nil {
		return nil, err
	}
	r := res[0]
	return &SendMessageResult{MessageId: ptr.To(r.id), MD5OfMessageBody: ptr.To(r.md5Body),
		MD5OfMessageAttributes: optional(r.md5Attrs), MD5OfMessageSystemAttributes: optional(r.md5Sys),
		SequenceNumber: optional(r.sequence)}, nil
}

// SendMessageBatch sends up to ten messages; each entry succeeds or fails
// on its own.
func (s *Service) SendMessageBatch(ctx context.Context, in *SendMessageBatchRequest) (*SendMessageBatchResult, error) {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := checkBatchIDs("SendMessageBatch", entryIDs(in.Entries, func(e SendMessageBatchRequestEntry) *string { return e.Id })); err != nil {
		return nil, err
	}
	total := 0
	for _, e := range in.Entries {
		total += len(ptr.Value(e.MessageBody))
		for name, v := range e.MessageAttributes {
			total += len(name) + len(ptr.Value(v.DataType)) + len(ptr.Value(v.StringValue)) + len(v.BinaryValue)
		}
	}
	if total > maxBatchBytes {
		return nil, withQueryCode(ErrBatchRequestTooLong("Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchBytes, total))
	}
	// A FIFO id missing or malformed fails the whole batch.
	entries := make([]*outgoing, len(in.Entries))
	for i, e := range in.Entries {
		entries[i] = newOutgoing(e.MessageBody, e.MessageAttributes, e.MessageSystemAttributes, e.DelaySeconds,
			e.MessageGroupId, e.MessageDeduplicationId)
		missing := func() *awserr.Error {
			return errInvalidParameterValue("The request must contain the parameter MessageGroupId.")
		}
		if fail := q.checkIDs(entries[i], missing); fail != nil {
			return nil, fail
		}
	}
	out := &SendMessageBatchResult{}
	var good []*outgoing
	var goodIDs []string
	for i, e := range in.Entries {
		o := entries[i]
		if fail := q.checkOutgoing(o, true); fail != nil {
			out.Failed = append(out.Failed, failedEntry(ptr.Value(e.Id), fail))
			continue
		}
		good = append(good, o)
		goodIDs = append(goodIDs, ptr.Value(e.Id))
	}
	if len(good) > 0 {
		res, err := s.enqueue(ctx, q, good)
		if err != nil {
			return nil, err
		}
		for i, r := range res {
			out.Successful = append(out.Successful, SendMessageBatchResultEntry{Id: ptr.To(goodIDs[i]), MessageId: ptr.To(r.id),
				MD5OfMessageBody: ptr.To(r.md5Body), MD5OfMessageAttributes: optional(r.md5Attrs),
				MD5OfMessageSystemAttributes: optional(r.md5Sys), SequenceNumber: optional(r.sequence)})
		}
	}
	return out, nil
}

// entryIDs lists the Id of each batch entry.
func entryIDs[E any](entries []E, id func(E) *string) []string {
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = ptr.Value(id(e))
	}
	return ids
}

// checkBatchIDs checks a batch's entry ids: some, at most ten, well formed
// and distinct.
func checkBatchIDs(op string, ids []string) error {
	if len(ids) == 0 {
		return errEmptyBatch(op)
	}
	if len(ids) > 10 {
		return errTooManyEntries(len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !batchIDPattern.MatchString(id) {
			return withQueryCode(ErrInvalidBatchEntryId("A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."))
		}
		if seen[id] {
			return withQueryCode(ErrBatchEntryIdsNotDistinct("Id %s repeated.", id))
		}
		seen[id] = true
	}
	return nil
}

// failedEntry turns an entry's error into its Failed entry.
// Entries carry the query code ("InvalidParameterValue"), as recorded.
func failedEntry(id string, e *awserr.Error) BatchResultErrorEntry {
	code := e.Code
	if e.QueryCode != "" {
		code = e.QueryCode
	}
	return BatchResultErrorEntry{Id: ptr.To(id), Code: ptr.To(code), Message: ptr.To(e.Message), SenderFault: ptr.To(e.Fault == awserr.Sender)}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
