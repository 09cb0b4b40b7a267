package outbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nimbus-dev/nimbus/internal/storage"
)

// Dispatching.
//
// Each kind has a lane: a cursor over its stored keys, which sort by
// sequence number. A worker that finds nothing ready loads the next batch
// of keys from the next lane with more (one loader at a time), queues them
// as entries and starts more workers, up to MaxInFlight. Every key at or
// before a lane's cursor has been loaded, so only a message committed out
// of order (Add batches commit whenever their caller does) can fall behind
// it: its Notify queues it directly. A Notify that comes while its lane is
// being scanned is held in late until the scan ends, as the scan's snapshot
// may or may not hold the message.
//
// All fields are guarded by Outbox.mu; the store is read without it.

// lane is the state of one kind.
type lane struct {
	kind   string
	prefix []byte // of the kind's keys
	cursor []byte // the last key loaded; nil before the first
	more   bool   // the store may hold messages after cursor
}

// entry is a loaded message: its key and what this process knows of it.
// Its body stays in the store.
type entry struct {
	key      []byte
	kind     string
	seq      uint64
	attempts int
	failures int
	due      time.Time // when a parked entry is due
}

// laneLocked returns the lane of kind, creating it.
func (o *Outbox) laneLocked(kind string) *lane {
	l := o.lanes[kind]
	if l == nil {
		l = &lane{kind: kind, prefix: storage.AppendString(bytes.Clone(prefix), kind)}
		o.lanes[kind] = l
		o.order = append(o.order, l)
	}
	return l
}

// notify is Notify: the message under key has been committed.
func (o *Outbox) notify(kind string, key []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	l := o.laneLocked(kind)
	if o.scanning == l {
		o.late = append(o.late, key)
		return
	}
	o.placeLocked(l, key)
	o.kickLocked()
}

// placeLocked makes sure the committed message under key will be loaded:
// by the next scan of l, or now if l's cursor has passed it.
func (o *Outbox) placeLocked(l *lane, key []byte) {
	if l.cursor == nil || bytes.Compare(key, l.cursor) > 0 {
		l.more = true
		return
	}
	if _, ok := o.tracked[string(key)]; !ok {
		// Committed after a later key was loaded, or Notify called again
		// after delivery (then the read finds nothing).
		if e := o.trackLocked(l, key); e != nil {
			o.ready.push(e)
		}
	}
}

// trackLocked returns a new entry for key, or nil if key is malformed.
func (o *Outbox) trackLocked(l *lane, key []byte) *entry {
	seq, rest, err := storage.ReadUint64(key[len(l.prefix):])
	if err != nil || len(rest) != 0 {
		o.cfg.Logger.Error("skipping a malformed outbox key", "key", key)
		return nil
	}
	e := &entry{key: key, kind: l.kind, seq: seq}
	o.tracked[string(key)] = e
	return e
}

// loadableLocked reports whether some lane may have messages to load.
func (o *Outbox) loadableLocked() bool {
	for _, l := range o.order {
		if l.more && o.handlers[l.kind] != nil {
			return true
		}
	}
	return false
}

// kickLocked wakes or starts workers for the entries ready, or one to
// load more, up to MaxInFlight.
func (o *Outbox) kickLocked() {
	if !o.started || o.closed {
		return
	}
	want := o.ready.len()
	if want > 0 && o.waiting > 0 {
		o.wake.Broadcast()
	}
	if want == 0 && o.scanning == nil && o.loadableLocked() {
		want = 1
	}
	for o.idle < want && o.workers < o.cfg.MaxInFlight {
		o.workers++
		o.idle++
		o.wg.Add(1)
		go o.work()
	}
}

// work delivers entries until none is ready or loadable, or Close begins.
// A worker that finds nothing ready loads a batch, or waits while another
// worker does.
func (o *Outbox) work() {
	defer o.wg.Done()
	for {
		e := o.take()
		if e == nil {
			return
		}
		o.run(e)
	}
}

// take returns the next entry to deliver, loading a batch from the store
// when none is ready, or nil when the worker should exit.
func (o *Outbox) take() *entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.closed {
		if e := o.ready.pop(); e != nil {
			o.idle--
			return e
		}
		if o.scanning != nil {
			o.waiting++
			o.wake.Wait()
			o.waiting--
			continue
		}
		if !o.loadLocked() {
			break
		}
	}
	o.idle--
	o.workers--
	return nil
}

// loadLocked loads the next batch of keys of the next lane with more, if
// any, and reports whether it tried. It releases o.mu while it reads.
func (o *Outbox) loadLocked() bool {
	var l *lane
	for i := range o.order {
		c := o.order[(o.turn+i)%len(o.order)]
		if c.more && o.handlers[c.kind] != nil {
			l, o.turn = c, (o.turn+i+1)%len(o.order)
			break
		}
	}
	if l == nil {
		return false
	}
	start := l.prefix
	if l.cursor != nil {
		start = append(bytes.Clone(l.cursor), 0) // the smallest key after it
	}
	o.scanning = l
	o.mu.Unlock()
	keys, err := o.scan(l.prefix, start)
	o.mu.Lock()
	o.scanning = nil
	if o.closed {
		return true // Close woke the waiters.
	}
	for _, k := range keys {
		if _, ok := o.tracked[string(k)]; !ok {
			if e := o.trackLocked(l, k); e != nil {
				o.ready.push(e)
			}
		}
	}
	if len(keys) > 0 {
		l.cursor = keys[len(keys)-1]
	}
	if err != nil {
		// Leave the rest for the next Notify or Start rather than spin.
		o.cfg.Logger.Error("loading outbox messages", "kind", l.kind, "error", err)
	}
	if err != nil || len(keys) < o.batch {
		l.more = false
	}
	late := o.late
	o.late = nil
	for _, k := range late {
		o.placeLocked(l, k)
	}
	o.wake.Broadcast() // Waiters take what was loaded, load the next lane or exit.
	o.kickLocked()
	return true
}

// scan returns copies of up to o.batch keys with prefix from start on.
func (o *Outbox) scan(prefix, start []byte) ([][]byte, error) {
	var keys [][]byte
	err := o.cfg.DB.ScanFrom(prefix, start, func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		if len(keys) == o.batch {
			return storage.ErrStop
		}
		return nil
	})
	return keys, err
}

// run delivers e once and settles its fate.
func (o *Outbox) run(e *entry) {
	msg, err := o.read(e)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		o.settle(e, nil) // Delivered already.
	case errors.Is(err, errUndecodable):
		o.cfg.Logger.Error("skipping an unreadable outbox message; it stays stored", "kind", e.kind, "id", msgID(e.seq), "error", err)
		o.settle(e, nil)
	case err != nil:
		o.settle(e, fmt.Errorf("reading an outbox message: %w", err))
	default:
		o.settle(e, o.deliver(msg, e.key))
	}
}

// errUndecodable marks a stored value that is not a record.
var errUndecodable = errors.New("outbox: undecodable message")

// read returns e's message, its body read from the store now.
func (o *Outbox) read(e *entry) (*Message, error) {
	val, err := o.cfg.DB.Get(e.key)
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(val, &rec); err != nil {
		return nil, fmt.Errorf("%w %s: %w", errUndecodable, msgID(e.seq), err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return &Message{ID: msgID(e.seq), Kind: e.kind, Body: rec.Body, Enqueued: rec.Enqueued,
		Attempts: e.attempts, Failures: e.failures}, nil
}

// deliver hands m to its handler and deletes it, stored under key, once
// the handler returns nil.
func (o *Outbox) deliver(m *Message, key []byte) (err error) {
	o.mu.Lock()
	h := o.handlers[m.Kind]
	o.mu.Unlock()
	if h == nil {
		return fmt.Errorf("no handler for outbox messages of kind %q", m.Kind)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("outbox handler panicked: %v", p)
		}
	}()
	if err := h(o.ctx, m); err != nil {
		return err
	}
	// Losing this delete in a crash only means one more delivery.
	b := o.cfg.DB.NewBatch()
	defer b.Close()
	b.Delete(key)
	if err := b.CommitNoSync(); err != nil && !errors.Is(err, storage.ErrClosed) {
		o.cfg.Logger.Error("deleting a delivered outbox message", "id", m.ID, "error", err)
	}
	return nil
}

// settle ends a delivery of e that returned err, and sends its worker
// back to take. It forgets e if err is nil or the outbox is closing; else
// it parks e until its retry.
func (o *Outbox) settle(e *entry, err error) {
	o.mu.Lock()
	o.idle++
	if err == nil || o.closed {
		delete(o.tracked, string(e.key))
		o.mu.Unlock()
		return
	}
	var retry *RetryError
	isRetry := errors.As(err, &retry)
	e.attempts++
	if !isRetry {
		e.failures++
	}
	attempts, failures := e.attempts, e.failures
	o.mu.Unlock()

	var delay time.Duration
	if isRetry {
		delay = retry.After
		o.cfg.Logger.Debug("outbox delivery deferred", "kind", e.kind, "id", msgID(e.seq), "attempt", attempts, "retry_in", delay, "cause", retry.Err)
	} else {
		delay = o.cfg.Backoff(failures)
		o.cfg.Logger.Warn("outbox delivery failed; will retry", "kind", e.kind, "id", msgID(e.seq), "attempt", attempts, "retry_in", delay, "error", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		delete(o.tracked, string(e.key))
		return
	}
	o.parkLocked(e, delay)
}

func msgID(seq uint64) string { return fmt.Sprintf("%016x", seq) }

// fifo is a queue of entries.
type fifo struct {
	items []*entry
	head  int
}

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) push(e *entry) {
	if q.head > 32 && q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, e)
}

func (q *fifo) pop() *entry {
	if q.head == len(q.items) {
		return nil
	}
	e := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return e
}
