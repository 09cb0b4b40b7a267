package outbox

import (
	"container/heap"
	"fmt"
	"time"

	"github.com/nimbus-dev/nimbus/internal/clock"
)

// RetryError is returned by a Handler to have its message delivered again
// once After has passed, for instance when the target is throttled. Unlike
// other errors it is not logged as a failure, does not count in
// Message.Failures and does not back off: each RetryError sets its own
// delay. The outbox finds it with errors.As, so it may be wrapped.
type RetryError struct {
	// After is how long to wait before delivering again. Zero or less
	// means at once, behind the messages already waiting.
	After time.Duration
	// Err is why, for the debug log; it may be nil.
	Err error
}

// Retry returns a *RetryError asking for another delivery after the given
// delay, with cause (which may be nil) as its reason.
func Retry(after time.Duration, cause error) error {
	return &RetryError{After: after, Err: cause}
}

// Error reports the delay and the cause.
func (e *RetryError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("outbox: retry in %v", e.After)
	}
	return fmt.Sprintf("outbox: retry in %v: %v", e.After, e.Err)
}

// Unwrap returns the cause.
func (e *RetryError) Unwrap() error { return e.Err }

// retries holds the parked entries, earliest due first, and one timer for
// the earliest; guarded by Outbox.mu.
type retries struct {
	parked byDue
	timer  clock.Timer
	at     time.Time // when timer fires
	gen    uint64    // identifies timer; a callback of an older one does nothing
}

// parkLocked queues e for delivery once d has passed; it holds no worker
// meanwhile.
func (o *Outbox) parkLocked(e *entry, d time.Duration) {
	if d <= 0 {
		o.ready.push(e)
		o.kickLocked()
		return
	}
	e.due = o.cfg.Clock.Now().Add(d)
	heap.Push(&o.retries.parked, e)
	o.wakeLocked()
}

// wakeLocked queues the parked entries that are due and arms the timer
// for the next.
func (o *Outbox) wakeLocked() {
	r := &o.retries
	now := o.cfg.Clock.Now()
	for len(r.parked) > 0 && !r.parked[0].due.After(now) {
		o.ready.push(heap.Pop(&r.parked).(*entry))
	}
	o.kickLocked()
	if len(r.parked) == 0 {
		return
	}
	due := r.parked[0].due
	if r.timer != nil && !r.at.After(due) {
		return // Armed early enough.
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	r.gen++
	gen := r.gen
	r.at = due
	r.timer = o.cfg.Clock.AfterFunc(due.Sub(now), func() {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.closed || gen != r.gen {
			return
		}
		r.timer = nil
		o.wakeLocked()
	})
}

// stop drops the parked entries and stops the timer.
func (r *retries) stop() {
	if r.timer != nil {
		r.timer.Stop()
	}
	r.timer = nil
	r.gen++
	r.parked = nil
}

// byDue is a heap of entries by due time, then arrival.
type byDue []*entry

func (h byDue) Len() int { return len(h) }

func (h byDue) Less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}

func (h byDue) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *byDue) Push(x any) { *h = append(*h, x.(*entry)) }

func (h *byDue) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
