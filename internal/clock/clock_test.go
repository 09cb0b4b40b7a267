package clock

import (
	"testing"
	"time"
)

func TestFakeRunsTimersWhenDue(t *testing.T) {
	start := time.Unix(1700000000, 0)
	c := NewFake(start)
	fired := make(chan string, 3)
	c.AfterFunc(time.Second, func() { fired <- "1s" })
	stopped := c.AfterFunc(2*time.Second, func() { fired <- "2s" })
	c.AfterFunc(time.Minute, func() { fired <- "1m" })
	if !stopped.Stop() {
		t.Fatal("Stop of a pending timer reported false")
	}
	c.Advance(10 * time.Second)
	if got := <-fired; got != "1s" {
		t.Fatalf("fired %s, want 1s", got)
	}
	select {
	case got := <-fired:
		t.Fatalf("%s fired early or after Stop", got)
	case <-time.After(20 * time.Millisecond):
	}
	if c.Pending() != 1 || !c.Now().Equal(start.Add(10*time.Second)) {
		t.Fatalf("pending %d, now %v", c.Pending(), c.Now())
	}
	if stopped.Stop() {
		t.Error("second Stop reported true")
	}
}
