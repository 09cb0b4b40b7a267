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
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// Message is one stored unit of asynchronous work.
type Message struct {
	// ID is unique within the outbox and orders messages by arrival.
	ID   string
	Kind string
	Body []byte
	// Enqueued is when the message was stored.
	Enqueued time.Time
	// Attempts counts earlier deliveries in this server's lifetime.
	Attempts int
}

// Handler delivers a message. Returning nil deletes it; an error keeps it
// and retries it later with backoff. ctx ends when the outbox closes.
type Handler func(ctx context.Context, m *Message) error

// Config configures an Outbox. DB is required.
type Config struct {
	DB     *storage.DB
	Clock  clock.Clock
	Logger *slog.Logger
	// MaxInFlight bounds concurrent deliveries; default 1024.
	MaxInFlight int
	// Backoff is the delay before retry number n (1-based); default doubles
	// from one second up to five minutes.
	Backoff func(n int) time.Duration
}

// Outbox stores and dispatches messages. It is safe for concurrent use.
type Outbox struct {
	cfg      Config
	handlers map[string]Handler
	sem      chan struct{}
	ctx      context.Context // handlers' context; ends when Close gives up waiting
	cancel   context.CancelFunc
	stopping chan struct{} // closed when Close starts: no new deliveries
	wg       sync.WaitGroup

	mu      sync.Mutex
	seq     uint64
	started bool
	closed  bool
	pending []*entry // loaded or enqueued before Start
}

type entry struct {
	key []byte
	msg Message
}

type record struct {
	Body     []byte    `json:"body"`
	Enqueued time.Time `json:"enqueued"`
}

var prefix = storage.Key("outbox")

// New returns an outbox holding every message stored earlier. Register
// handlers with Handle, then call Start.
func New(cfg Config) (*Outbox, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 1024
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(n int) time.Duration {
			d := time.Second << min(n-1, 9)
			return min(d, 5*time.Minute)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Outbox{cfg: cfg, handlers: map[string]Handler{}, sem: make(chan struct{}, cfg.MaxInFlight), ctx: ctx, cancel: cancel, stopping: make(chan struct{})}
	err := cfg.DB.Scan(prefix, func(key, value []byte) error {
		kind, rest, err := storage.ReadString(key[len(prefix):])
		if err != nil {
			return err
		}
		seq, _, err := storage.ReadUint64(rest)
		if err != nil {
			return err
		}
		var rec record
		if err := json.Unmarshal(value, &rec); err != nil {
			return fmt.Errorf("decoding outbox message %d: %w", seq, err)
		}
		o.seq = max(o.seq, seq)
		o.pending = append(o.pending, &entry{key: append([]byte(nil), key...),
			msg: Message{ID: fmt.Sprintf("%016x", seq), Kind: kind, Body: rec.Body, Enqueued: rec.Enqueued}})
		return nil
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("loading the outbox: %w", err)
	}
	return o, nil
}

// Handle registers the handler of a kind. Call it before Start.
func (o *Outbox) Handle(kind string, h Handler) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.handlers[kind] = h
}

// Start begins delivering, first the messages stored before New.
func (o *Outbox) Start() {
	o.mu.Lock()
	o.started = true
	pending := o.pending
	o.pending = nil
	o.mu.Unlock()
	for _, e := range pending {
		o.dispatch(e)
	}
}

// Add puts a message into b, to be committed atomically with the change
// that caused it. Call Notify after b commits so it is delivered now.
func (o *Outbox) Add(b *storage.Batch, kind string, body []byte) (Notify func()) {
	e := o.newEntry(kind, body)
	val, _ := json.Marshal(record{Body: body, Enqueued: e.msg.Enqueued})
	b.Set(e.key, val)
	return func() { o.submit(e) }
}

// Enqueue stores a message durably (synced) and schedules its delivery.
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

func (o *Outbox) newEntry(kind string, body []byte) *entry {
	o.mu.Lock()
	o.seq = max(o.seq+1, uint64(o.cfg.Clock.Now().UnixNano()))
	seq := o.seq
	o.mu.Unlock()
	key := storage.AppendUint64(storage.AppendString(append([]byte(nil), prefix...), kind), seq)
	return &entry{key: key, msg: Message{ID: fmt.Sprintf("%016x", seq), Kind: kind, Body: body, Enqueued: o.cfg.Clock.Now()}}
}

func (o *Outbox) submit(e *entry) {
	o.mu.Lock()
	if !o.started {
		o.pending = append(o.pending, e)
		o.mu.Unlock()
		return
	}
	o.mu.Unlock()
	o.dispatch(e)
}

// dispatch delivers e in its own goroutine, bounded by MaxInFlight.
func (o *Outbox) dispatch(e *entry) {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.wg.Add(1)
	o.mu.Unlock()
	go func() {
		defer o.wg.Done()
		select {
		case o.sem <- struct{}{}:
		case <-o.stopping:
			return
		}
		err := o.deliver(e)
		<-o.sem
		if err == nil || o.isClosed() {
			return
		}
		e.msg.Attempts++
		delay := o.cfg.Backoff(e.msg.Attempts)
		o.cfg.Logger.Warn("outbox delivery failed; will retry", "kind", e.msg.Kind, "id", e.msg.ID, "attempt", e.msg.Attempts, "retry_in", delay, "error", err)
		o.cfg.Clock.AfterFunc(delay, func() { o.dispatch(e) })
	}()
}

func (o *Outbox) deliver(e *entry) (err error) {
	o.mu.Lock()
	h := o.handlers[e.msg.Kind]
	o.mu.Unlock()
	if h == nil {
		return fmt.Errorf("no handler for outbox messages of kind %q", e.msg.Kind)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("outbox handler panicked: %v", p)
		}
	}()
	msg := e.msg
	if err := h(o.ctx, &msg); err != nil {
		return err
	}
	// Losing this delete in a crash only means one more delivery.
	b := o.cfg.DB.NewBatch()
	defer b.Close()
	b.Delete(e.key)
	if err := b.CommitNoSync(); err != nil && !errors.Is(err, storage.ErrClosed) {
		o.cfg.Logger.Error("deleting a delivered outbox message", "id", e.msg.ID, "error", err)
	}
	return nil
}

func (o *Outbox) isClosed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// Close stops delivering: no new delivery starts, deliveries in flight may
// finish until ctx ends, then their context is cancelled. Undelivered
// messages stay stored for the next start.
func (o *Outbox) Close(ctx context.Context) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return nil
	}
	o.closed = true
	close(o.stopping)
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
