package clock

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var start = time.Unix(1700000000, 0)

// log collects what callbacks did, in order.
type log struct {
	mu    sync.Mutex
	lines []string
}

func (l *log) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *log) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func TestFakeAdvance(t *testing.T) {
	tests := []struct {
		name string
		// arm sets timers up on c, logging to l as they fire.
		arm     func(c *Fake, l *log)
		advance []time.Duration
		want    []string
		pending int
	}{
		{
			name: "due timers run in order, at the new time",
			arm: func(c *Fake, l *log) {
				c.AfterFunc(2*time.Second, func() { l.add("2s at " + c.Now().Sub(start).String()) })
				c.AfterFunc(time.Second, func() { l.add("1s at " + c.Now().Sub(start).String()) })
				c.AfterFunc(time.Minute, func() { l.add("1m") })
			},
			advance: []time.Duration{10 * time.Second},
			want:    []string{"1s at 10s", "2s at 10s"},
			pending: 1,
		},
		{
			name: "timers due at once run in the order they were armed",
			arm: func(c *Fake, l *log) {
				for _, name := range []string{"a", "b", "c"} {
					c.AfterFunc(time.Second, func() { l.add(name) })
				}
			},
			advance: []time.Duration{time.Second},
			want:    []string{"a", "b", "c"},
		},
		{
			name: "a stopped timer never runs",
			arm: func(c *Fake, l *log) {
				c.AfterFunc(time.Second, func() { l.add("stopped") }).Stop()
				c.AfterFunc(time.Second, func() { l.add("kept") })
			},
			advance: []time.Duration{time.Hour},
			want:    []string{"kept"},
		},
		{
			name: "a timer a callback arms counts from the new time",
			arm: func(c *Fake, l *log) {
				var tick func()
				tick = func() {
					l.add(c.Now().Sub(start).String())
					c.AfterFunc(time.Minute, tick)
				}
				c.AfterFunc(time.Minute, tick)
			},
			advance: []time.Duration{150 * time.Second, 59 * time.Second, time.Second},
			want:    []string{"2m30s", "3m30s"},
			pending: 1,
		},
		{
			name: "nothing runs before it is due",
			arm: func(c *Fake, l *log) {
				c.AfterFunc(time.Minute, func() { l.add("1m") })
			},
			advance: []time.Duration{59 * time.Second, 999 * time.Millisecond},
			pending: 1,
		},
		{
			name: "a callback may stop another timer",
			arm: func(c *Fake, l *log) {
				var later Timer
				c.AfterFunc(time.Second, func() { l.add("first"); later.Stop() })
				later = c.AfterFunc(2*time.Second, func() { l.add("later") })
			},
			advance: []time.Duration{time.Minute},
			want:    []string{"first"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewFake(start)
			var l log
			tt.arm(c, &l)
			var total time.Duration
			for _, d := range tt.advance {
				c.Advance(d)
				total += d
			}
			// Advance returned after the callbacks did: no waiting here.
			if diff := cmp.Diff(tt.want, l.get()); diff != "" {
				t.Errorf("callbacks (-want +got):\n%s", diff)
			}
			if got := c.Pending(); got != tt.pending {
				t.Errorf("Pending() = %d, want %d", got, tt.pending)
			}
			if got := c.Now(); !got.Equal(start.Add(total)) {
				t.Errorf("Now() = %v, want %v", got, start.Add(total))
			}
		})
	}
}

func TestFakeStop(t *testing.T) {
	c := NewFake(start)
	fired := c.AfterFunc(time.Second, func() {})
	pending := c.AfterFunc(time.Minute, func() {})
	c.Advance(time.Second)
	if fired.Stop() {
		t.Error("Stop of a timer that ran reported true")
	}
	if !pending.Stop() {
		t.Error("Stop of a pending timer reported false")
	}
	if pending.Stop() {
		t.Error("a second Stop reported true")
	}
	if n := c.Pending(); n != 0 {
		t.Errorf("Pending() = %d after Stop, want 0", n)
	}
}

func TestFakeRunsDueTimersAtOnce(t *testing.T) {
	c := NewFake(start)
	ran := make(chan time.Time)
	tm := c.AfterFunc(0, func() { ran <- c.Now() })
	if got := <-ran; !got.Equal(start) {
		t.Errorf("ran at %v, want %v", got, start)
	}
	if tm.Stop() {
		t.Error("Stop of a timer that ran reported true")
	}
	if n := c.Pending(); n != 0 {
		t.Errorf("Pending() = %d, want 0", n)
	}
}

func TestFakeAdvanceTo(t *testing.T) {
	c := NewFake(start)
	var l log
	c.AfterFunc(time.Hour, func() { l.add("1h") })
	c.AdvanceTo(start.Add(time.Hour))
	c.AdvanceTo(start) // never back
	if diff := cmp.Diff([]string{"1h"}, l.get()); diff != "" {
		t.Errorf("callbacks (-want +got):\n%s", diff)
	}
	if got := c.Now(); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("Now() = %v, want an hour on", got)
	}
}

func TestFakeBlockUntil(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := NewFake(start)
	armed := make(chan struct{})
	go func() {
		defer close(armed)
		c.AfterFunc(time.Second, func() {})
		c.AfterFunc(3*time.Second, func() {})
	}()
	if err := c.BlockUntil(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := c.BlockUntilTimer(ctx, func(due time.Time) bool { return due.Equal(start.Add(3 * time.Second)) }); err != nil {
		t.Fatal(err)
	}
	<-armed
	if diff := cmp.Diff([]time.Time{start.Add(time.Second), start.Add(3 * time.Second)}, c.Timers()); diff != "" {
		t.Errorf("Timers() (-want +got):\n%s", diff)
	}

	short, cancelShort := context.WithCancel(ctx)
	cancelShort()
	if err := c.BlockUntil(short, 3); err != context.Canceled {
		t.Errorf("BlockUntil with an ended context = %v, want context.Canceled", err)
	}
}
