package sqs

import (
	"context"
	"fmt"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// deleteLocked removes the message a receipt handle names and returns it
// for its key to be deleted, or nil when it is gone already. A standard
// queue takes any handle of the message; a FIFO queue refuses one whose
// visibility timeout has passed.
func (q *queue) deleteLocked(handle string, now int64) (*message, *awserr.Error) {
	id, nonce, ok := decodeReceipt(q.key, handle)
	if !ok {
		return nil, errReceiptHandleIsInvalid(handle)
	}
	m := q.msgs[id]
	if m == nil {
		return nil, nil
	}
	if q.fifo && (m.Receipt != nonce || m.VisibleAtMs <= now) {
		return nil, errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", handle)
	}
	q.removeLocked(m)
	return m, nil
}

// DeleteMessage deletes a received message.
func (s *Service) DeleteMessage(ctx context.Context, in *DeleteMessageRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	if in.ReceiptHandle == nil {
		return errMissingParameter("ReceiptHandle")
	}
	q.mu.Lock()
	m, fail := q.deleteLocked(*in.ReceiptHandle, s.nowMillis())
	q.mu.Unlock()
	if fail != nil {
		return fail
	}
	if m == nil {
		return nil
	}
	if err := s.db.Delete(messageKey(q.key, m.Seq)); err != nil {
		return fmt.Errorf("deleting a message of %s: %w", q.key.name, err)
	}
	return nil
}

// DeleteMessageBatch deletes up to ten received messages.
func (s *Service) DeleteMessageBatch(ctx context.Context, in *DeleteMessageBatchRequest) (*DeleteMessageBatchResult, error) {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := checkBatchIDs("DeleteMessageBatch", entryIDs(in.Entries, func(e DeleteMessageBatchRequestEntry) *string { return e.Id })); err != nil {
		return nil, err
	}
	out := &DeleteMessageBatchResult{}
	b := s.db.NewBatch()
	defer b.Close()
	now := s.nowMillis()
	q.mu.Lock()
	for _, e := range in.Entries {
		m, fail := q.deleteLocked(ptr.Value(e.ReceiptHandle), now)
		if fail != nil {
			out.Failed = append(out.Failed, failedEntry(ptr.Value(e.Id), fail))
			continue
		}
		if m != nil {
			b.Delete(messageKey(q.key, m.Seq))
		}
		out.Successful = append(out.Successful, DeleteMessageBatchResultEntry{Id: e.Id})
	}
	q.mu.Unlock()
	if b.Len() > 0 {
		if err := b.Commit(); err != nil {
			return nil, fmt.Errorf("deleting messages of %s: %w", q.key.name, err)
		}
	}
	return out, nil
}

// changeVisibilityLocked sets when a received message becomes receivable
// again, counted from now.
func (q *queue) changeVisibilityLocked(handle string, timeout int32, now int64) (*message, *awserr.Error) {
	id, nonce, ok := decodeReceipt(q.key, handle)
	if !ok {
		return nil, errReceiptHandleIsInvalid(handle)
	}
	if timeout < 0 || timeout > 43200 {
		return nil, errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must be an integer between 0 and 43200.", timeout)
	}
	m := q.msgs[id]
	if m == nil {
		return nil, errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", handle)
	}
	if m.Receipt != nonce || m.VisibleAtMs <= now {
		return nil, withQueryCode(ErrMessageNotInflight("Message does not exist or is not available for visibility timeout change."))
	}
	q.setVisibleLocked(m, now+int64(timeout)*1000)
	if timeout == 0 {
		q.wakeLocked()
	}
	return m, nil
}

// ChangeMessageVisibility changes a received message's visibility timeout.
func (s *Service) ChangeMessageVisibility(ctx context.Context, in *ChangeMessageVisibilityRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	if in.ReceiptHandle == nil {
		return errMissingParameter("ReceiptHandle")
	}
	if in.VisibilityTimeout == nil {
		return errMissingParameter("VisibilityTimeout")
	}
	q.mu.Lock()
	m, fail := q.changeVisibilityLocked(*in.ReceiptHandle, *in.VisibilityTimeout, s.nowMillis())
	var record []byte
	if m != nil {
		record = mustJSON(m)
	}
	q.mu.Unlock()
	if fail != nil {
		return fail
	}
	b := s.db.NewBatch()
	defer b.Close()
	b.Set(messageKey(q.key, m.Seq), record)
	if err := b.CommitNoSync(); err != nil {
		return fmt.Errorf("storing a message of %s: %w", q.key.name, err)
	}
	return nil
}

// ChangeMessageVisibilityBatch changes the visibility of up to ten
// received messages.
func (s *Service) ChangeMessageVisibilityBatch(ctx context.Context, in *ChangeMessageVisibilityBatchRequest) (*ChangeMessageVisibilityBatchResult, error) {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if err := checkBatchIDs("ChangeMessageVisibilityBatch", entryIDs(in.Entries, func(e ChangeMessageVisibilityBatchRequestEntry) *string { return e.Id })); err != nil {
		return nil, err
	}
	out := &ChangeMessageVisibilityBatchResult{}
	b := s.db.NewBatch()
	defer b.Close()
	now := s.nowMillis()
	q.mu.Lock()
	for _, e := range in.Entries {
		m, fail := q.changeVisibilityLocked(ptr.Value(e.ReceiptHandle), ptr.Value(e.VisibilityTimeout), now)
		if fail != nil {
			out.Failed = append(out.Failed, failedEntry(ptr.Value(e.Id), fail))
			continue
		}
		b.Set(messageKey(q.key, m.Seq), mustJSON(m))
		out.Successful = append(out.Successful, ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
	}
	q.mu.Unlock()
	if b.Len() > 0 {
		if err := b.CommitNoSync(); err != nil {
			return nil, fmt.Errorf("storing messages of %s: %w", q.key.name, err)
		}
	}
	return out, nil
}
