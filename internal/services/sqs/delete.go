package sqs

import (
	"context"
	"errors"
	"fmt"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// deleteRecords adds the deletion of message seq's records to b.
func (q *queue) deleteRecords(b *storage.Batch, seq uint64) {
	b.Delete(seqKey(q.bodyPfx, seq))
	b.Delete(seqKey(q.statePfx, seq))
}

// entryError turns the error of one batch entry into its Failed entry.
// An internal error (the store failed) fails that entry alone, logged
// here, and not the batch: the entries before it have changed the queue's
// index already, and their writes must still be committed.
func (s *Service) entryError(id *string, err error) BatchResultErrorEntry {
	var e *awserr.Error
	if !errors.As(err, &e) {
		s.log.Error("sqs: a batch entry failed", "id", ptr.Value(id), "err", err)
		e = awserr.Internal()
	}
	return failedEntry(ptr.Value(id), e)
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
	seq, found, err := q.deleteLocked(*in.ReceiptHandle, s.nowMillis())
	q.mu.Unlock()
	if err != nil || !found {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	q.deleteRecords(b, seq)
	if err := b.Commit(); err != nil {
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
		seq, found, err := q.deleteLocked(ptr.Value(e.ReceiptHandle), now)
		if err != nil {
			out.Failed = append(out.Failed, s.entryError(e.Id, err))
			continue
		}
		if found {
			q.deleteRecords(b, seq)
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
	b := s.db.NewBatch()
	defer b.Close()
	// Stored under q.mu, so that a delete that follows comes after it.
	q.mu.Lock()
	defer q.mu.Unlock()
	seq, st, err := q.changeVisibilityLocked(*in.ReceiptHandle, *in.VisibilityTimeout, s.nowMillis())
	if err != nil {
		return err
	}
	b.Set(seqKey(q.statePfx, seq), appendState(nil, st))
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
	defer q.mu.Unlock()
	for _, e := range in.Entries {
		seq, st, err := q.changeVisibilityLocked(ptr.Value(e.ReceiptHandle), ptr.Value(e.VisibilityTimeout), now)
		if err != nil {
			out.Failed = append(out.Failed, s.entryError(e.Id, err))
			continue
		}
		b.Set(seqKey(q.statePfx, seq), appendState(nil, st))
		out.Successful = append(out.Successful, ChangeMessageVisibilityBatchResultEntry{Id: e.Id})
	}
	if b.Len() > 0 {
		if err := b.CommitNoSync(); err != nil {
			return nil, fmt.Errorf("storing messages of %s: %w", q.key.name, err)
		}
	}
	return out, nil
}
