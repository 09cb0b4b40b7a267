package storage

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ErrStop may be returned by a scan callback to end the scan early; the scan
// then returns nil.
var ErrStop = errors.New("storage: stop scan")

// ScanFunc is called by the Scan methods for each key in turn. key and value
// are only valid during the call: copy them to keep them. A non-nil error
// ends the scan and is returned by it, except ErrStop, which ends the scan
// without error.
type ScanFunc func(key, value []byte) error

// Scan calls fn for every key that starts with prefix, in ascending order.
// An empty prefix visits the whole store.
func (db *DB) Scan(prefix []byte, fn ScanFunc) error {
	return db.scan(prefix, prefix, PrefixEnd(prefix), false, fn)
}

// ScanFrom is Scan starting at start (inclusive): it visits the keys k with
// prefix such that k >= start, in ascending order.
func (db *DB) ScanFrom(prefix, start []byte, fn ScanFunc) error {
	lower := prefix
	if bytes.Compare(start, lower) > 0 {
		lower = start
	}
	return db.scan(prefix, lower, PrefixEnd(prefix), false, fn)
}

// ScanReverse calls fn for every key that starts with prefix, in descending
// order.
func (db *DB) ScanReverse(prefix []byte, fn ScanFunc) error {
	return db.scan(prefix, prefix, PrefixEnd(prefix), true, fn)
}

// ScanReverseFrom is ScanReverse starting just below before: it visits the
// keys k with prefix such that k < before, in descending order.
func (db *DB) ScanReverseFrom(prefix, before []byte, fn ScanFunc) error {
	upper := PrefixEnd(prefix)
	if upper == nil || bytes.Compare(before, upper) < 0 {
		upper = before
	}
	return db.scan(prefix, prefix, upper, true, fn)
}

// scan visits [lower, upper) (upper nil = unbounded) in the given direction.
// prefix is only used in error messages.
func (db *DB) scan(prefix, lower, upper []byte, reverse bool, fn ScanFunc) (err error) {
	if upper != nil && bytes.Compare(lower, upper) >= 0 {
		return nil // Empty range; Pebble rejects inverted bounds.
	}
	if len(lower) == 0 {
		lower = nil // Pebble's invariant checks index a non-nil empty bound.
	}
	if !db.ops.enter() {
		return ErrClosed
	}
	defer db.ops.leave()
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("storage: scanning %q: %w", prefix, err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("storage: scanning %q: %w", prefix, cerr)
		}
	}()
	first, next := it.First, it.Next
	if reverse {
		first, next = it.Last, it.Prev
	}
	for ok := first(); ok; ok = next() {
		v, verr := it.ValueAndErr()
		if verr != nil {
			return fmt.Errorf("storage: scanning %q: reading %q: %w", prefix, it.Key(), verr)
		}
		if ferr := fn(it.Key(), v); ferr != nil {
			if errors.Is(ferr, ErrStop) {
				return nil
			}
			return ferr
		}
	}
	if ierr := it.Error(); ierr != nil {
		return fmt.Errorf("storage: scanning %q: %w", prefix, ierr)
	}
	return nil
}
