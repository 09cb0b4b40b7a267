package outbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// collector records delivered bodies.
type collector struct {
	mu   sync.Mutex
	got  []string
	done chan string
}

func newCollector() *collector { return &collector{done: make(chan string, 100)} }

func (c *collector) handle(_ context.Context, m *Message) error {
	c.mu.Lock()
	c.got = append(c.got, string(m.Body))
	c.mu.Unlock()
	c.done <- string(m.Body)
	return nil
}

func (c *collector) wait(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	for i := 0; i < n; i++ {
		select {
		case b := <-c.done:
			got = append(got, b)
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d messages delivered: %v", i, n, got)
		}
	}
	sort.Strings(got)
	return got
}

func openDB(t *testing.T, dir string) *storage.DB {
	t.Helper()
	db, err := storage.Open(dir, storage.Options{InMemory: dir == ""})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // After the outboxes' cleanups; a second Close is harmless.
	return db
}

func TestDeliversEnqueuedMessages(t *testing.T) {
	db := openDB(t, "")
	defer db.Close()
	o, err := New(Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	o.Handle("k", c.handle)
	// Enqueued before Start: held until then.
	if err := o.Enqueue("k", []byte("early")); err != nil {
		t.Fatal(err)
	}
	o.Start()
	for i := 0; i < 3; i++ {
		if err := o.Enqueue("k", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"0", "1", "2", "early"}, c.wait(t, 4)); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if err := o.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Delivered messages are gone from the store.
	left := 0
	db.Scan(prefix, func(_, _ []byte) error { left++; return nil })
	if left != 0 {
		t.Errorf("%d delivered messages still stored", left)
	}
}

func TestUndeliveredMessagesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	o, err := New(Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	block := make(chan struct{})
	running := make(chan struct{}, 2)
	o.Handle("k", func(ctx context.Context, m *Message) error {
		running <- struct{}{}
		select {
		case <-block:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	o.Start()
	for _, b := range []string{"a", "b"} {
		if err := o.Enqueue("k", []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	<-running // Both deliveries are in flight when Close begins.
	<-running
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := o.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want the deadline to cut the blocked deliveries", err)
	}
	db.Close()

	db = openDB(t, dir)
	defer db.Close()
	o, err = New(Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	o.Handle("k", c.handle)
	o.Start()
	defer o.Close(context.Background())
	if diff := cmp.Diff([]string{"a", "b"}, c.wait(t, 2)); diff != "" {
		t.Errorf("redelivered (-want +got):\n%s", diff)
	}
}

func TestFailedDeliveryRetriesWithBackoff(t *testing.T) {
	db := openDB(t, "")
	defer db.Close()
	clk := clock.NewFake(time.Unix(1700000000, 0))
	var delays []time.Duration
	o, err := New(Config{DB: db, Clock: clk, Backoff: func(n int) time.Duration {
		d := time.Duration(n) * time.Second
		delays = append(delays, d)
		return d
	}})
	if err != nil {
		t.Fatal(err)
	}
	attempts := make(chan int, 10)
	o.Handle("k", func(_ context.Context, m *Message) error {
		attempts <- m.Attempts
		if m.Attempts < 2 {
			return errors.New("not yet")
		}
		return nil
	})
	o.Start()
	defer o.Close(context.Background())
	if err := o.Enqueue("k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for want := 0; want <= 2; want++ {
		select {
		case got := <-attempts:
			if got != want {
				t.Fatalf("attempt %d delivered with Attempts=%d", want, got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("attempt %d never came", want)
		}
		// Let the retry timer be armed, then fire it.
		waitFor(t, func() bool { return clk.Pending() > 0 || want == 2 })
		clk.Advance(time.Minute)
	}
}

func TestAddIsAtomicWithTheCallersBatch(t *testing.T) {
	db := openDB(t, "")
	defer db.Close()
	o, _ := New(Config{DB: db})
	c := newCollector()
	o.Handle("k", c.handle)
	o.Start()
	defer o.Close(context.Background())

	b := db.NewBatch()
	notify := o.Add(b, "k", []byte("with-change"))
	b.Set([]byte("change"), []byte("1"))
	b.Close() // abandoned: neither the change nor the message exists
	n := 0
	db.Scan(prefix, func(_, _ []byte) error { n++; return nil })
	if n != 0 {
		t.Fatalf("an abandoned batch left %d messages", n)
	}
	_ = notify

	b = db.NewBatch()
	notify = o.Add(b, "k", []byte("committed"))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	notify()
	if diff := cmp.Diff([]string{"committed"}, c.wait(t, 1)); diff != "" {
		t.Error(diff)
	}
}

// waitFor polls cond until it holds, for up to five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	waitForWithin(t, 30*time.Second, cond)
}

// waitForWithin polls cond until it holds or d passes.
func waitForWithin(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}
