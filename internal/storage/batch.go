package storage

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Batch collects writes that commit atomically: after Commit either all of
// them are visible or, if it fails, none. Writes are invisible to readers
// until then. A Batch commits at most once. It is not safe for concurrent
// use; it copies the keys and values it is given, so callers may reuse them
// after each call.
type Batch struct {
	db        *DB
	b         *pebble.Batch
	ops       int
	committed bool
}

// errBatchDone is returned when committing a batch twice or after Close.
var errBatchDone = errors.New("storage: batch already committed or closed")

// NewBatch returns an empty batch. The caller must Close it, committed or
// not.
func (db *DB) NewBatch() *Batch {
	return &Batch{db: db, b: db.pdb.NewBatch()}
}

// Set adds a write of value under key.
func (b *Batch) Set(key, value []byte) {
	_ = b.b.Set(key, value, nil) // Always nil for an unindexed batch.
	b.ops++
}

// Delete adds a deletion of key.
func (b *Batch) Delete(key []byte) {
	_ = b.b.Delete(key, nil)
	b.ops++
}

// DeleteRange adds a deletion of every key k with start <= k < end,
// including keys written earlier in this batch.
func (b *Batch) DeleteRange(start, end []byte) {
	_ = b.b.DeleteRange(start, end, nil)
	b.ops++
}

// Len returns the number of operations (Set, Delete, DeleteRange) added.
func (b *Batch) Len() int { return b.ops }

// Commit applies the batch atomically and returns once it is durable.
func (b *Batch) Commit() error {
	if err := b.startCommit(); err != nil {
		return err
	}
	defer b.db.ops.leave()
	if err := b.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("storage: committing batch of %d operations: %w", b.ops, err)
	}
	return nil
}

// CommitNoSync applies the batch atomically without waiting for the disk:
// it is visible at once and durable after the next DB.Sync, which the
// background syncer runs within Options.SyncInterval. A crash before that
// may lose it, but never part of it. Meant for high-volume writes such as
// log lines.
func (b *Batch) CommitNoSync() error {
	if err := b.startCommit(); err != nil {
		return err
	}
	defer b.db.ops.leave()
	if err := b.b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("storage: committing batch of %d operations: %w", b.ops, err)
	}
	b.db.markDirty()
	return nil
}

// startCommit refuses a second commit, which Pebble would panic on, and a
// commit to a closed DB. An admitted commit must call b.db.ops.leave.
func (b *Batch) startCommit() error {
	if b.committed || b.b == nil {
		return errBatchDone
	}
	if !b.db.ops.enter() {
		return ErrClosed
	}
	b.committed = true
	return nil
}

// Close releases the batch; uncommitted writes are discarded. Calling Close
// more than once is a no-op. The batch must not be used after Close.
func (b *Batch) Close() {
	if b.b == nil {
		return
	}
	_ = b.b.Close() // Only fails when already closed.
	b.b = nil
}
