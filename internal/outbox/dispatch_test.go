package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/nimbus-dev/nimbus/internal/storage"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newOutbox returns a started-later outbox on db, closed at cleanup.
func newOutbox(t *testing.T, cfg Config) *Outbox {
	t.Helper()
	o, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close(context.Background()) })
	return o
}

// stored counts the messages in db.
func stored(t *testing.T, db *storage.DB) int {
	t.Helper()
	n := 0
	if err := db.Scan(prefix, func(_, _ []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// rewriteBodies replaces the body of every stored message with "v2-"
// followed by what came after "v1-".
func rewriteBodies(t *testing.T, db *storage.DB) {
	t.Helper()
	b := db.NewBatch()
	defer b.Close()
	err := db.Scan(prefix, func(k, v []byte) error {
		var rec record
		if err := json.Unmarshal(v, &rec); err != nil {
			return err
		}
		rec.Body = []byte(strings.Replace(string(rec.Body), "v1-", "v2-", 1))
		nv, _ := json.Marshal(rec)
		b.Set(k, nv)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestBacklogIsBounded(t *testing.T) {
	const inFlight = 8
	n := 20000
	if testing.Short() {
		n = 2000
	}
	tests := []struct {
		name string
		// beforeStart stores the backlog with an earlier outbox, as if the
		// server restarted; else it is enqueued while every worker is busy.
		beforeStart bool
	}{
		{"stored before start", true},
		{"enqueued while busy", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, "")
			base := runtime.NumGoroutine()
			if tt.beforeStart {
				first := newOutbox(t, Config{DB: db})
				b := db.NewBatch()
				for i := range n {
					first.Add(b, "k", fmt.Appendf(nil, "v1-%05d", i))
				}
				if err := b.Commit(); err != nil {
					t.Fatal(err)
				}
				b.Close()
				first.Close(context.Background())
				rewriteBodies(t, db) // Bodies are read at delivery, not by New.
			}

			o := newOutbox(t, Config{DB: db, MaxInFlight: inFlight})
			gate := make(chan struct{})
			var mu sync.Mutex
			got := map[string]int{}
			maxGoroutines, maxTracked := 0, 0
			o.Handle("k", func(ctx context.Context, m *Message) error {
				<-gate
				o.mu.Lock()
				tracked := len(o.tracked)
				o.mu.Unlock()
				mu.Lock()
				defer mu.Unlock()
				got[string(m.Body)]++
				maxGoroutines = max(maxGoroutines, runtime.NumGoroutine())
				maxTracked = max(maxTracked, tracked)
				return nil
			})
			o.Start()
			if !tt.beforeStart {
				for i := range n {
					if err := o.Enqueue("k", fmt.Appendf(nil, "v1-%05d", i)); err != nil {
						t.Fatal(err)
					}
				}
				if g := runtime.NumGoroutine(); g > base+inFlight+20 {
					t.Errorf("%d goroutines with %d messages waiting, from %d before", g, n, base)
				}
				// Only the bodies of the deliveries in flight were read.
				rewriteBodies(t, db)
			}
			close(gate)
			waitForWithin(t, time.Minute, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(got) == n
			})

			mu.Lock()
			defer mu.Unlock()
			t.Logf("%d messages: up to %d goroutines (%d before), %d tracked", n, maxGoroutines, base, maxTracked)
			old := 0
			for body, times := range got {
				if times != 1 {
					t.Errorf("%s delivered %d times", body, times)
				}
				if strings.HasPrefix(body, "v1-") {
					old++
				}
			}
			if old > inFlight {
				t.Errorf("%d messages delivered with the body they had before it was rewritten; want at most %d (the deliveries in flight)", old, inFlight)
			}
			if maxGoroutines > base+inFlight+20 {
				t.Errorf("up to %d goroutines while delivering %d messages, from %d before", maxGoroutines, n, base)
			}
			if limit := inFlight + o.batch; maxTracked > limit {
				t.Errorf("up to %d messages tracked in memory, want at most %d", maxTracked, limit)
			}
			waitFor(t, func() bool { return stored(t, db) == 0 })
		})
	}
}

func TestFIFOPerKindWithOneWorker(t *testing.T) {
	tests := []struct {
		name                  string
		stored, before, after int // per kind: by an earlier outbox, before Start, after
	}{
		{"enqueued before start", 0, 40, 0},
		{"enqueued after start", 0, 0, 40},
		{"both", 0, 25, 25},
		{"after a restart", 30, 5, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, "")
			kinds := []string{"b", "a", "c"}
			next := map[string]int{}
			enqueue := func(o *Outbox, n int) {
				for range n {
					for _, k := range kinds {
						if err := o.Enqueue(k, fmt.Append(nil, next[k])); err != nil {
							t.Fatal(err)
						}
						next[k]++
					}
				}
			}
			if tt.stored > 0 {
				first := newOutbox(t, Config{DB: db})
				enqueue(first, tt.stored)
				first.Close(context.Background())
			}
			o := newOutbox(t, Config{DB: db, MaxInFlight: 1})
			var mu sync.Mutex
			got := map[string][]int{}
			total := 0
			for _, k := range kinds {
				o.Handle(k, func(_ context.Context, m *Message) error {
					var i int
					fmt.Sscan(string(m.Body), &i)
					mu.Lock()
					defer mu.Unlock()
					got[k] = append(got[k], i)
					total++
					return nil
				})
			}
			enqueue(o, tt.before)
			o.Start()
			enqueue(o, tt.after)
			n := tt.stored + tt.before + tt.after
			waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return total == n*len(kinds) })

			want := map[string][]int{}
			for _, k := range kinds {
				for i := range n {
					want[k] = append(want[k], i)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("delivery order per kind (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLateCommitIsDelivered(t *testing.T) {
	db := openDB(t, "")
	o := newOutbox(t, Config{DB: db, MaxInFlight: 1})
	c := newCollector()
	o.Handle("k", c.handle)
	o.Start()

	// The first message's batch commits after a later one was delivered,
	// so the dispatcher's cursor has passed its key.
	b1, b2 := db.NewBatch(), db.NewBatch()
	defer b1.Close()
	defer b2.Close()
	notify1 := o.Add(b1, "k", []byte("first"))
	notify2 := o.Add(b2, "k", []byte("second"))
	if err := b2.Commit(); err != nil {
		t.Fatal(err)
	}
	notify2()
	if diff := cmp.Diff([]string{"second"}, c.wait(t, 1)); diff != "" {
		t.Fatal(diff)
	}
	if err := b1.Commit(); err != nil {
		t.Fatal(err)
	}
	notify1()
	notify2() // A second Notify of a delivered message does nothing.
	if diff := cmp.Diff([]string{"first"}, c.wait(t, 1)); diff != "" {
		t.Fatal(diff)
	}
	waitFor(t, func() bool { return stored(t, db) == 0 })
	select {
	case b := <-c.done:
		t.Errorf("%s delivered again", b)
	default:
	}
}

func TestConcurrentProducers(t *testing.T) {
	const producers, each = 8, 300
	db := openDB(t, "")
	o := newOutbox(t, Config{DB: db, MaxInFlight: 3})
	var mu sync.Mutex
	got := map[string]int{}
	total := 0
	o.Handle("k", func(_ context.Context, m *Message) error {
		mu.Lock()
		defer mu.Unlock()
		got[string(m.Body)]++
		total++
		return nil
	})
	o.Start()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			// Two messages per batch, so commits interleave with the
			// sequence numbers of other producers.
			for i := 0; i < each; i += 2 {
				b := db.NewBatch()
				n1 := o.Add(b, "k", fmt.Appendf(nil, "%d-%d", p, i))
				n2 := o.Add(b, "k", fmt.Appendf(nil, "%d-%d", p, i+1))
				if err := b.Commit(); err != nil {
					t.Error(err)
				}
				b.Close()
				n2()
				n1()
			}
		})
	}
	wg.Wait()
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return total >= producers*each })
	mu.Lock()
	defer mu.Unlock()
	if len(got) != producers*each {
		t.Errorf("%d distinct messages delivered, want %d", len(got), producers*each)
	}
	for body, n := range got {
		if n != 1 {
			t.Errorf("%s delivered %d times", body, n)
		}
	}
}

func TestKindWithoutHandlerStaysStored(t *testing.T) {
	db := openDB(t, "")
	o := newOutbox(t, Config{DB: db})
	c := newCollector()
	o.Handle("k", c.handle)
	if err := o.Enqueue("orphan", []byte("o")); err != nil {
		t.Fatal(err)
	}
	o.Start()
	if err := o.Enqueue("k", []byte("k")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"k"}, c.wait(t, 1)); diff != "" {
		t.Fatal(diff)
	}
	waitFor(t, func() bool { return stored(t, db) == 1 })
	o.Handle("orphan", c.handle)
	if diff := cmp.Diff([]string{"o"}, c.wait(t, 1)); diff != "" {
		t.Fatal(diff)
	}
}

func TestNoDeliveryAfterClose(t *testing.T) {
	db := openDB(t, "")
	o := newOutbox(t, Config{DB: db})
	c := newCollector()
	o.Handle("k", c.handle)
	o.Start()
	if err := o.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := o.Enqueue("k", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if n := stored(t, db); n != 1 {
		t.Errorf("%d messages stored after Enqueue, want 1", n)
	}
	o.mu.Lock()
	workers := o.workers
	o.mu.Unlock()
	if workers != 0 {
		t.Errorf("%d workers started after Close", workers)
	}
	select {
	case b := <-c.done:
		t.Errorf("%s delivered after Close", b)
	default:
	}
}
