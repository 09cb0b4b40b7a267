// Package storage is Nimbus's embedded key-value store: one Pebble database
// per process, shared by every service, which keep their data apart with key
// prefixes built by Key, AppendString and AppendUint64.
//
// A DB is safe for concurrent use. Writes made with Set, Delete and
// Batch.Commit are durable when they return; Batch.CommitNoSync writes become
// durable at the next Sync, which a background syncer runs at least every
// Options.SyncInterval. After Close every operation answers ErrClosed: a
// goroutine that outlives the code that should have stopped it gets an
// error, never a panic from Pebble.
package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrNotFound is returned by Get when the key is absent. Check it with
// errors.Is.
var ErrNotFound = errors.New("storage: not found")

// ErrClosed is returned by every operation on a DB that is closed or
// closing, and by a second Close. Check it with errors.Is.
var ErrClosed = errors.New("storage: closed")

// Pebble's sizes: see openFS.
const (
	blockCacheSize = 128 << 20
	memTableSize   = 32 << 20
)

// DefaultSyncInterval is the SyncInterval used when Options leaves it zero.
const DefaultSyncInterval = time.Second

// Options configures Open. The zero value opens an on-disk DB that logs
// Pebble's errors to slog.Default() and syncs NoSync writes every second.
type Options struct {
	// InMemory keeps all data in memory (Pebble's vfs.NewMem); the dir
	// argument of Open is ignored and everything is lost on Close. The
	// default is false.
	InMemory bool

	// Logger receives Pebble's error messages at slog.LevelError and its
	// informational messages at slog.LevelDebug. The default is slog.Default().
	Logger *slog.Logger

	// SyncInterval bounds how long a Batch.CommitNoSync write may stay
	// non-durable: a background goroutine calls Sync at most this long after
	// such a write. Zero means DefaultSyncInterval (1 s); a negative value
	// disables background syncing, leaving durability to explicit Sync calls.
	SyncInterval time.Duration
}

// DB is an open store. It is safe for concurrent use. Operations after
// Close return ErrClosed.
type DB struct {
	pdb *pebble.DB

	// ops admits operations until Close and lets Close wait for those in
	// progress before it closes Pebble, which panics on use after close.
	ops gate

	// dirty is set by CommitNoSync and cleared just before a background sync.
	dirty atomic.Bool
	// wake tells the syncer that dirty became true; buffered, size 1.
	wake chan struct{}
	// stop is closed by Close to end the syncer; done is closed when it has.
	stop, done chan struct{}

	closed atomic.Bool
}

// Open opens the store in dir, creating dir and the database if needed, or
// a fresh in-memory store when opts.InMemory is set. The caller must Close
// the DB.
func Open(dir string, opts Options) (*DB, error) {
	if opts.InMemory {
		return openFS(vfs.NewMem(), "nimbus", opts)
	}
	return openFS(vfs.Default, dir, opts)
}

// openFS opens a DB in dir on fs; tests pass a crashable in-memory fs.
func openFS(fs vfs.FS, dir string, opts Options) (*DB, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	// Pebble's default block cache (8 MB) sends reads to disk once a few
	// tables' worth of items exist: a write that must read the item first
	// (a condition, an index, a stream record) then paid a disk read each.
	// The cache grows only as it fills, so an idle server does not pay it.
	cache := pebble.NewCache(blockCacheSize)
	defer cache.Unref()
	pdb, err := pebble.Open(dir, &pebble.Options{
		FS:                 fs,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{logger.With("component", "pebble")},
		Cache:              cache,
		// Larger memtables flush (and compact) less often under a write load.
		MemTableSize: memTableSize,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: opening database in %q: %w", dir, err)
	}
	db := &DB{
		pdb:  pdb,
		ops:  gate{drained: make(chan struct{})},
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	interval := opts.SyncInterval
	if interval == 0 {
		interval = DefaultSyncInterval
	}
	if interval > 0 {
		go db.syncLoop(interval, logger)
	} else {
		close(db.done)
	}
	return db, nil
}

// Get returns a copy of the value stored under key, or ErrNotFound. The
// caller owns the returned slice.
func (db *DB) Get(key []byte) ([]byte, error) {
	if !db.ops.enter() {
		return nil, ErrClosed
	}
	defer db.ops.leave()
	v, closer, err := db.pdb.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("storage: get %q: %w", key, err)
	}
	out := make([]byte, len(v))
	copy(out, v)
	if err := closer.Close(); err != nil {
		return nil, fmt.Errorf("storage: get %q: %w", key, err)
	}
	return out, nil
}

// Set stores value under key and returns once the write is durable. It is
// safe to modify key and value after Set returns.
func (db *DB) Set(key, value []byte) error {
	if !db.ops.enter() {
		return ErrClosed
	}
	defer db.ops.leave()
	if err := db.pdb.Set(key, value, pebble.Sync); err != nil {
		return fmt.Errorf("storage: set %q: %w", key, err)
	}
	return nil
}

// Delete removes key, if present, and returns once the deletion is durable.
func (db *DB) Delete(key []byte) error {
	if !db.ops.enter() {
		return ErrClosed
	}
	defer db.ops.leave()
	if err := db.pdb.Delete(key, pebble.Sync); err != nil {
		return fmt.Errorf("storage: delete %q: %w", key, err)
	}
	return nil
}

// Sync makes every write committed before the call durable, including those
// of Batch.CommitNoSync.
func (db *DB) Sync() error {
	if !db.ops.enter() {
		return ErrClosed
	}
	defer db.ops.leave()
	return db.sync()
}

// sync is Sync for callers admitted already (or Close, which has stopped
// admitting).
func (db *DB) sync() error {
	// An empty, synced LogData record fsyncs the write-ahead log, which holds
	// every earlier commit.
	if err := db.pdb.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("storage: syncing: %w", err)
	}
	return nil
}

// Close stops admitting operations (they answer ErrClosed from now on),
// waits for those in progress (a scan included, so a scan callback must not
// wait for Close), stops the background syncer, syncs outstanding NoSync
// writes and closes the database. A second Close returns ErrClosed.
func (db *DB) Close() error {
	if !db.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	db.ops.close()
	close(db.stop)
	<-db.done
	var errs []error
	if db.dirty.Load() {
		errs = append(errs, db.sync())
	}
	if err := db.pdb.Close(); err != nil {
		errs = append(errs, fmt.Errorf("storage: closing: %w", err))
	}
	return errors.Join(errs...)
}

// markDirty records a NoSync write and wakes the syncer.
func (db *DB) markDirty() {
	if db.dirty.CompareAndSwap(false, true) {
		select {
		case db.wake <- struct{}{}:
		default:
		}
	}
}

// syncLoop waits for a NoSync write, then syncs within interval of it.
// It uses real time: durability is a promise about the wall clock.
func (db *DB) syncLoop(interval time.Duration, logger *slog.Logger) {
	defer close(db.done)
	timer := time.NewTimer(interval)
	timer.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-db.wake:
		}
		timer.Reset(interval)
		select {
		case <-db.stop:
			timer.Stop()
			return // Close syncs.
		case <-timer.C:
		}
		db.dirty.Store(false)
		if err := db.Sync(); errors.Is(err, ErrClosed) {
			return // Close syncs.
		} else if err != nil {
			logger.Error("background sync failed; retrying", "err", err)
			db.markDirty() // Retry one interval later.
		}
	}
}

// gate admits operations until it is closed, and lets its closer wait for
// the operations admitted before. Admission is two atomic operations, no
// lock: operations may nest (a scan callback may Get) without deadlock.
type gate struct {
	inFlight atomic.Int64
	closed   atomic.Bool
	// drained is closed once the gate is closed and no operation is in
	// flight.
	drained     chan struct{}
	drainedOnce sync.Once
}

// enter admits an operation, or reports false once the gate is closed.
// An admitted operation must call leave.
func (g *gate) enter() bool {
	g.inFlight.Add(1)
	if g.closed.Load() {
		g.leave()
		return false
	}
	return true
}

func (g *gate) leave() {
	if g.inFlight.Add(-1) == 0 && g.closed.Load() {
		g.drainedOnce.Do(func() { close(g.drained) })
	}
}

// close stops admitting operations and waits for those in flight. Every
// admitted operation either saw the gate open before close set closed, and
// so counts in inFlight when close reads it, or leaves after, seeing closed.
func (g *gate) close() {
	g.closed.Store(true)
	if g.inFlight.Load() == 0 {
		g.drainedOnce.Do(func() { close(g.drained) })
	}
	<-g.drained
}

// pebbleLogger routes Pebble's log lines to slog: errors at LevelError,
// chatter at LevelDebug.
type pebbleLogger struct{ l *slog.Logger }

var _ pebble.Logger = pebbleLogger{}

// Infof logs at debug level.
func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...))
}

// Errorf logs at error level.
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}

// Fatalf logs at error level and panics: Pebble expects Fatalf not to
// return, and a panic keeps the stack.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic("storage: pebble fatal error: " + msg)
}
