// Package outbox is Nimbus's one durable queue for asynchronous work
// between services: an Event invoke now; S3 and SNS notifications, stream
// records and destinations later.
//
// A producer stores its message before it acknowledges the request that
// caused it, in the same synced write (or the same atomic batch as the
// change itself, with Add). A dispatcher hands each stored message to the
// handler of its kind and deletes it once the handler returns nil. A
// message whose handler fails, or that was in flight when the server died,
// is delivered again: delivery is at least once.
//
// The store is the queue: a backlog costs disk, not memory. The outbox
// keeps in memory only the keys of the messages it is about to deliver, is
// delivering or waits to retry, and reads a message's body just before its
// handler runs, so at most MaxInFlight bodies are held at once.
// Deliveries of one kind start in the order its messages were stored
// (retries aside, see Handler); kinds take turns.
package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// DefaultMaxInFlight is the MaxInFlight used when Config leaves it zero.
const DefaultMaxInFlight = 64

// Message is one stored unit of asynchronous work. A handler owns the
// Message it is given, Body included: the outbox neither keeps nor reuses it.
type Message struct {
	// ID is unique within the outbox and orders the messages of a kind by
	// arrival.
	ID   string
	Kind string
	Body []byte
	// Enqueued is when the message was stored.
	Enqueued time.Time
	// Attempts counts earlier deliveries in this server's lifetime, those
	// that asked for a Retry included.
	Attempts int
	// Failures counts the earlier deliveries, of Attempts, whose handler
	// failed with an error other than a *RetryError.
	Failures int
}

// Handler delivers a message. Returning nil deletes it. Returning a
// *RetryError (see Retry), possibly wrapped, delivers it again once the
// error's delay has passed, without logging it or counting it as a failure.
// Any other error is logged and the message delivered again after
// Config.Backoff. A message waiting to be delivered again holds no worker
// and, once due, queues behind the messages already waiting, so retries
// break the order of arrival.
//
// Handlers run concurrently, up to MaxInFlight at once, each call in a
// worker goroutine of the outbox; a panic counts as a failure. ctx ends
// when Close gives up waiting for deliveries in flight.
type Handler func(ctx context.Context, m *Message) error

// Config configures an Outbox. DB is required.
type Config struct {
	// DB holds the messages, under keys starting with Key("outbox"). The
	// outbox does not close it; close the outbox first.
	DB *storage.DB
	// Clock times retries. The default is clock.Real{}.
	Clock clock.Clock
	// Logger receives failed deliveries (Warn) and retries (Debug). The
	// default is slog.Default().
	Logger *slog.Logger
	// MaxInFlight bounds concurrent deliveries, hence the outbox's worker
	// goroutines and the message bodies it holds. Workers start when there
	// is work and exit when there is none. Zero or less means
	// DefaultMaxInFlight (64).
	MaxInFlight int
	// Backoff is the delay before retry number n (1-based) of a message
	// whose handler failed. The default doubles from one second up to five
	// minutes. It is called from worker goroutines, concurrently.
	Backoff func(n int) time.Duration
}

// Outbox stores and dispatches messages. It is safe for concurrent use.
type Outbox struct {
	cfg    Config
	batch  int             // keys loaded from the store per scan
	ctx    context.Context // handlers' context; ends when Close gives up waiting
	cancel context.CancelFunc
	wg     sync.WaitGroup // running workers

	mu       sync.Mutex
	wake     sync.Cond // signalled on o.mu when entries are ready or Close begins
	handlers map[string]Handler
	seq      uint64 // the last sequence number used, for every kind
	started  bool
	closed   bool
	lanes    map[string]*lane
	order    []*lane // lanes in turn order
	turn     int     // index in order of the next lane to load from
	scanning *lane   // the lane a worker is loading from, or nil
	late     [][]byte
	tracked  map[string]*entry // by key: entries ready, in flight or parked
	ready    fifo              // entries waiting for a worker
	workers  int               // running workers
	idle     int               // workers not delivering: starting, taking or loading
	waiting  int               // idle workers waiting on wake for a load to end
	retries  retries
}

// record is the stored value of a message.
type record struct {
	Body     []byte    `json:"body"`
	Enqueued time.Time `json:"enqueued"`
}

var prefix = storage.Key("outbox")

// New returns an outbox that will deliver every message stored earlier.
// It reads only the first and last key of each kind; bodies are read at
// delivery. Register handlers with Handle, then call Start.
func New(cfg Config) (*Outbox, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(n int) time.Duration {
			d := time.Second << min(n-1, 9)
			return min(d, 5*time.Minute)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Outbox{
		cfg: cfg, batch: max(2*cfg.MaxInFlight, 16), ctx: ctx, cancel: cancel,
		handlers: map[string]Handler{}, lanes: map[string]*lane{}, tracked: map[string]*entry{},
	}
	o.wake.L = &o.mu
	if err := o.discover(); err != nil {
		cancel()
		return nil, fmt.Errorf("loading the outbox: %w", err)
	}
	return o, nil
}

// discover finds the kinds that have stored messages and the highest
// sequence number used, seeking to each kind's first and last key.
func (o *Outbox) discover() error {
	start := prefix
	for start != nil {
		first, err := o.edgeKey(prefix, start, false)
		if err != nil || first == nil {
			return err
		}
		kind, _, err := storage.ReadString(first[len(prefix):])
		if err != nil {
			return fmt.Errorf("reading outbox key %q: %w", first, err)
		}
		l := o.laneLocked(kind)
		l.more = true
		last, err := o.edgeKey(l.prefix, l.prefix, true)
		if err != nil {
			return err
		}
		seq, _, err := storage.ReadUint64(last[len(l.prefix):])
		if err != nil {
			return fmt.Errorf("reading outbox key %q: %w", last, err)
		}
		o.seq = max(o.seq, seq)
		start = storage.PrefixEnd(l.prefix)
	}
	return nil
}

// edgeKey returns a copy of the first key with prefix at or after start,
// or with reverse the last key with prefix; nil if there is none.
func (o *Outbox) edgeKey(prefix, start []byte, reverse bool) ([]byte, error) {
	var key []byte
	fn := func(k, _ []byte) error { key = bytes.Clone(k); return storage.ErrStop }
	var err error
	if reverse {
		err = o.cfg.DB.ScanReverse(prefix, fn)
	} else {
		err = o.cfg.DB.ScanFrom(prefix, start, fn)
	}
	return key, err
}

// Handle registers the handler of a kind, replacing any earlier one.
// Messages of a kind without a handler stay stored and are not delivered.
// Call it before Start; a handler registered later delivers its kind's
// messages from then on.
func (o *Outbox) Handle(kind string, h Handler) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.handlers[kind] = h
	o.kickLocked()
}

// Start begins delivering, first the messages stored before it in the
// order they were stored. Calling it again does nothing.
func (o *Outbox) Start() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.started || o.closed {
		return
	}
	o.started = true
	for _, l := range o.order {
		if l.more && o.handlers[l.kind] == nil {
			o.cfg.Logger.Warn("outbox messages have no handler; they stay stored", "kind", l.kind)
		}
	}
	o.kickLocked()
}

// Add puts a message into b, to be committed atomically with the change
// that caused it; body is copied. Call Notify after b commits so the
// message is delivered now; a committed message whose Notify is never
// called may wait for the next Start. Notify is safe to call from any
// goroutine, more than once, and does nothing after Close.
func (o *Outbox) Add(b *storage.Batch, kind string, body []byte) (Notify func()) {
	o.mu.Lock()
	o.seq = max(o.seq+1, uint64(o.cfg.Clock.Now().UnixNano()))
	seq := o.seq
	o.mu.Unlock()
	key := storage.AppendUint64(storage.AppendString(bytes.Clone(prefix), kind), seq)
	val, _ := json.Marshal(record{Body: body, Enqueued: o.cfg.Clock.Now()})
	b.Set(key, val)
	return func() { o.notify(kind, key) }
}

// Enqueue stores a message durably (synced) and schedules its delivery;
// body is copied. Before Start, the message waits for it.
func (o *Outbox) Enqueue(kind string, body []byte) error {
	b := o.cfg.DB.NewBatch()
	defer b.Close()
	notify := o.Add(b, kind, body)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("storing an outbox message: %w", err)
	}
	notify()
	return nil
}

// Close stops delivering: no new delivery starts, deliveries in flight may
// finish until ctx ends, then their context is cancelled and Close waits
// for their handlers to return. Messages waiting for a worker or a retry
// are dropped from memory; like every undelivered message they stay stored
// for the next Start. Close returns ctx.Err() if ctx ended first; calling
// it again returns nil at once.
func (o *Outbox) Close(ctx context.Context) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	o.retries.stop()
	o.ready = fifo{}
	o.late = nil
	clear(o.tracked)
	o.wake.Broadcast()
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	defer o.cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		o.cancel()
		<-done
		return ctx.Err()
	}
}
