// Package clock gives Nimbus a time source that tests can control.
//
// Every time-dependent behaviour (deadlines, idle expiry, retention, retries)
// reads time through a Clock so tests step a Fake clock instead of sleeping.
package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is a source of time and timers. Implementations are safe for
// concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has elapsed (at once
	// when d <= 0), and returns a Timer that can stop that call.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not run yet, and reports whether it did so.
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

var _ Clock = Real{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Fake is a Clock that only moves when told to: Advance and AdvanceTo set
// the new time, then run the timers that came due, earliest first, one at
// a time, and return once their callbacks have returned. Callbacks read
// the new time, and timers they arm count from it (so a timer that
// re-arms itself runs once per Advance, however far it goes). Tests use
// BlockUntil and BlockUntilTimer to wait, without sleeping, until the code
// under test has armed the timer they are about to pass.
//
// What a callback sets in motion in other goroutines (a poller woken by a
// closed channel, say) is not waited for: wait for its outcome, or for the
// timer it arms next. A callback must neither call Advance nor wait for
// the fake time to move, as the Advance that runs it waits for it.
//
// The zero value is not usable; call NewFake. A Fake is safe for
// concurrent use.
type Fake struct {
	// advancing serialises Advance and AdvanceTo.
	advancing sync.Mutex

	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer // pending, in no particular order
	seq    uint64       // orders timers due at the same time by creation
	// changed is closed and replaced whenever the pending timers change,
	// to wake BlockUntil and BlockUntilTimer.
	changed chan struct{}
}

var _ Clock = (*Fake)(nil)

// NewFake returns a Fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start, changed: make(chan struct{})} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// AfterFunc schedules fn to run when the fake time reaches Now()+d. When d
// <= 0, fn runs at once in its own goroutine, as with time.AfterFunc.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	t := &fakeTimer{clock: f, at: f.now.Add(d), seq: f.seq, fn: fn}
	if d <= 0 {
		t.fired = true
		go fn()
		return t
	}
	f.timers = append(f.timers, t)
	f.changedLocked()
	return t
}

// Advance moves the fake time forward by d, as AdvanceTo(Now()+d).
func (f *Fake) Advance(d time.Duration) {
	f.advancing.Lock()
	defer f.advancing.Unlock()
	f.advanceTo(f.Now().Add(d))
}

// AdvanceTo moves the fake time forward to t (never back), then runs the
// timers due by then, earliest first, each once the one before has
// returned, and returns after the last.
func (f *Fake) AdvanceTo(t time.Time) {
	f.advancing.Lock()
	defer f.advancing.Unlock()
	f.advanceTo(t)
}

func (f *Fake) advanceTo(target time.Time) {
	f.mu.Lock()
	if target.After(f.now) {
		f.now = target
	}
	now := f.now
	f.mu.Unlock()
	for {
		f.mu.Lock()
		next := f.nextDueLocked(now)
		if next == nil {
			f.mu.Unlock()
			return
		}
		f.removeLocked(next)
		next.fired = true
		f.mu.Unlock()
		// In a goroutine of its own, as the Clock contract says, but waited
		// for, so that the next timer sees what this one did.
		done := make(chan struct{})
		go func() {
			defer close(done)
			next.fn()
		}()
		<-done
	}
}

// nextDueLocked returns the earliest pending timer due by target, or nil.
func (f *Fake) nextDueLocked(target time.Time) *fakeTimer {
	var next *fakeTimer
	for _, t := range f.timers {
		if t.at.After(target) {
			continue
		}
		if next == nil || t.at.Before(next.at) || (t.at.Equal(next.at) && t.seq < next.seq) {
			next = t
		}
	}
	return next
}

// removeLocked drops t from the pending timers and reports whether it was
// there.
func (f *Fake) removeLocked(t *fakeTimer) bool {
	for i, other := range f.timers {
		if other == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			f.changedLocked()
			return true
		}
	}
	return false
}

func (f *Fake) changedLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Pending reports how many timers wait for the fake time to reach them.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// Timers returns the due times of the pending timers, earliest first.
func (f *Fake) Timers() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dueLocked()
}

func (f *Fake) dueLocked() []time.Time {
	due := make([]time.Time, len(f.timers))
	for i, t := range f.timers {
		due[i] = t.at
	}
	sort.Slice(due, func(i, j int) bool { return due[i].Before(due[j]) })
	return due
}

// BlockUntil waits until at least n timers are pending, or ctx ends (its
// error is returned then).
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	return f.blockUntil(ctx, func(due []time.Time) bool { return len(due) >= n })
}

// BlockUntilTimer waits until a pending timer's due time satisfies match,
// or ctx ends (its error is returned then). Tests use it to learn that the
// code under test has armed the timer they mean to pass, e.g. a retry due
// a minute after the fake time of a failure:
//
//	clk.BlockUntilTimer(ctx, func(due time.Time) bool { return due.Equal(failed.Add(time.Minute)) })
func (f *Fake) BlockUntilTimer(ctx context.Context, match func(due time.Time) bool) error {
	return f.blockUntil(ctx, func(due []time.Time) bool {
		for _, d := range due {
			if match(d) {
				return true
			}
		}
		return false
	})
}

// blockUntil waits until cond holds over the pending timers' due times,
// checked now and whenever they change.
func (f *Fake) blockUntil(ctx context.Context, cond func(due []time.Time) bool) error {
	for {
		f.mu.Lock()
		ok, changed := cond(f.dueLocked()), f.changed
		f.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

type fakeTimer struct {
	clock *Fake
	at    time.Time
	seq   uint64
	fn    func()
	fired bool // guarded by clock.mu
}

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	if t.fired {
		return false
	}
	t.fired = true
	return t.clock.removeLocked(t)
}
