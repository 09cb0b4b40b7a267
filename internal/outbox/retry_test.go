package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/clock"
)

func TestRetryError(t *testing.T) {
	errThrottled := errors.New("throttled")
	tests := []struct {
		name      string
		err       error
		wantAfter time.Duration
		wantText  string
		wantCause error
	}{
		{"with cause", Retry(time.Second, errThrottled), time.Second, "outbox: retry in 1s: throttled", errThrottled},
		{"without cause", Retry(5*time.Minute, nil), 5 * time.Minute, "outbox: retry in 5m0s", nil},
		{"wrapped", fmt.Errorf("invoking: %w", Retry(time.Millisecond, errThrottled)), time.Millisecond, "invoking: outbox: retry in 1ms: throttled", errThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *RetryError
			if !errors.As(tt.err, &r) {
				t.Fatalf("errors.As(%v, *RetryError) = false", tt.err)
			}
			if r.After != tt.wantAfter {
				t.Errorf("After = %v, want %v", r.After, tt.wantAfter)
			}
			if got := tt.err.Error(); got != tt.wantText {
				t.Errorf("Error() = %q, want %q", got, tt.wantText)
			}
			if tt.wantCause != nil && !errors.Is(tt.err, tt.wantCause) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.wantCause)
			}
		})
	}
}

// logBuffer is a concurrency-safe buffer for a test logger.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRetryParksWithoutHoldingAWorker(t *testing.T) {
	db := openDB(t, "")
	clk := clock.NewFake(time.Unix(1700000000, 0))
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := newOutbox(t, Config{DB: db, Clock: clk, Logger: logger, MaxInFlight: 1})
	type delivery struct {
		Body               string
		Attempts, Failures int
	}
	got := make(chan delivery, 10)
	o.Handle("k", func(_ context.Context, m *Message) error {
		got <- delivery{string(m.Body), m.Attempts, m.Failures}
		if string(m.Body) == "park" && m.Attempts == 0 {
			return fmt.Errorf("invoking: %w", Retry(10*time.Second, errors.New("throttled")))
		}
		return nil
	})
	for _, b := range []string{"park", "a", "b", "c"} {
		if err := o.Enqueue("k", []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	o.Start()
	next := func() delivery {
		t.Helper()
		select {
		case d := <-got:
			return d
		case <-time.After(5 * time.Second):
			t.Fatal("no delivery")
			return delivery{}
		}
	}

	// The one worker moves on while "park" waits for its time.
	var first []delivery
	for range 4 {
		first = append(first, next())
	}
	want := []delivery{{"park", 0, 0}, {"a", 0, 0}, {"b", 0, 0}, {"c", 0, 0}}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Fatalf("first deliveries (-want +got):\n%s", diff)
	}

	// Not due yet: the timer stays pending and later messages pass.
	waitFor(t, func() bool { return clk.Pending() == 1 })
	clk.Advance(9 * time.Second)
	if n := clk.Pending(); n != 1 {
		t.Fatalf("%d timers pending 1s before the retry, want 1", n)
	}
	if err := o.Enqueue("k", []byte("d")); err != nil {
		t.Fatal(err)
	}
	if d := next(); d != (delivery{"d", 0, 0}) {
		t.Fatalf("delivered %+v before the retry was due, want d", d)
	}

	clk.Advance(time.Second)
	if d := next(); d != (delivery{"park", 1, 0}) {
		t.Fatalf("redelivered %+v, want park with Attempts 1, Failures 0", d)
	}
	waitFor(t, func() bool { return stored(t, db) == 0 })
	if s := logs.String(); bytes.Contains([]byte(s), []byte("level=WARN")) || !bytes.Contains([]byte(s), []byte("outbox delivery deferred")) {
		t.Errorf("logs: a Retry must be logged at debug level only, not as a failure:\n%s", s)
	}
}

func TestRestartRedeliversUndelivered(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	clk := clock.NewFake(time.Unix(1700000000, 0))
	o, err := New(Config{DB: db, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	delivered := make(chan string, 10)
	o.Handle("k", func(ctx context.Context, m *Message) error {
		delivered <- string(m.Body)
		switch string(m.Body) {
		case "parked":
			return Retry(time.Hour, nil)
		case "failing":
			return errors.New("failing")
		case "blocked":
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	o.Start()
	for _, b := range []string{"done", "parked", "failing", "blocked"} {
		if err := o.Enqueue("k", []byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		select {
		case <-delivered:
		case <-time.After(5 * time.Second):
			t.Fatal("not every message was delivered once")
		}
	}
	waitFor(t, func() bool {
		o.mu.Lock()
		defer o.mu.Unlock()
		return len(o.retries.parked) == 2
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := o.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want the deadline to cut the blocked delivery", err)
	}
	if n := clk.Pending(); n != 0 {
		t.Errorf("%d retry timers left after Close", n)
	}
	clk.Advance(2 * time.Hour) // Nothing is delivered after Close.
	db.Close()
	select {
	case b := <-delivered:
		t.Errorf("%s delivered after Close", b)
	default:
	}

	db = openDB(t, dir)
	defer db.Close()
	o, err = New(Config{DB: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	o.Handle("k", c.handle)
	o.Start()
	defer o.Close(context.Background())
	if diff := cmp.Diff([]string{"blocked", "failing", "parked"}, c.wait(t, 3)); diff != "" {
		t.Errorf("redelivered after restart (-want +got):\n%s", diff)
	}
}
