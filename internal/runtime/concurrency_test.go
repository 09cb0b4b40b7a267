package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestThrottling(t *testing.T) {
	t.Run("reserved", func(t *testing.T) {
		h := newHarness(t, fixtures.lambda, Config{})
		fn := h.fn("reserved")
		one := 1
		fn.ReservedConcurrency = &one
		path, release := gate(t)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: blockPayload(path)}); err != nil {
				t.Error(err)
			}
		}()
		waitFor(t, "the first invocation to occupy the slot", func() bool { return h.m.Stats().Running == 1 })
		_, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: []byte(`{"action":"echo"}`)})
		var te *ThrottleError
		if !errors.As(err, &te) || te.Reason != ReasonReserved {
			t.Errorf("second concurrent invoke: err = %v, want a ThrottleError %s", err, ReasonReserved)
		}
		release()
		wg.Wait()
	})
	t.Run("reserved zero", func(t *testing.T) {
		h := newHarness(t, fixtures.lambda, Config{})
		fn := h.fn("zero")
		zero := 0
		fn.ReservedConcurrency = &zero
		_, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: []byte(`{}`)})
		var te *ThrottleError
		if !errors.As(err, &te) || te.Reason != ReasonReserved {
			t.Errorf("err = %v, want a ThrottleError %s", err, ReasonReserved)
		}
		if s := h.m.Stats(); s.Running != 0 {
			t.Errorf("Stats = %+v, want no instance", s)
		}
	})
	t.Run("account", func(t *testing.T) {
		h := newHarness(t, fixtures.lambda, Config{AccountConcurrency: 1})
		path, release := gate(t)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.m.Invoke(context.Background(), h.fn("a"), &Request{ID: newRequestID(), Payload: blockPayload(path)}); err != nil {
				t.Error(err)
			}
		}()
		waitFor(t, "the first invocation to occupy the slot", func() bool { return h.m.Stats().Running == 1 })
		_, err := h.m.Invoke(context.Background(), h.fn("b"), &Request{ID: newRequestID(), Payload: []byte(`{"action":"echo"}`)})
		var te *ThrottleError
		if !errors.As(err, &te) || te.Reason != ReasonAccount {
			t.Errorf("err = %v, want a ThrottleError %s", err, ReasonAccount)
		}
		release()
		wg.Wait()
	})
}

func TestWaitForCapacity(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("queued")
	one := 1
	fn.ReservedConcurrency = &one
	path, release := gate(t)
	first := make(chan error, 1)
	go func() {
		_, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: blockPayload(path)})
		first <- err
	}()
	waitFor(t, "the first invocation to occupy the slot", func() bool { return h.m.Stats().Running == 1 })

	// A waiter whose context ends first gives up.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := h.m.Invoke(ctx, fn, &Request{ID: newRequestID(), Payload: []byte(`{"action":"echo"}`), WaitForCapacity: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter with a short context: err = %v, want DeadlineExceeded", err)
	}

	// A waiter with time runs once the slot frees, on the now idle instance.
	go release()
	resp, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: []byte(`{"action":"echo"}`), WaitForCapacity: true})
	if err != nil {
		t.Fatalf("waiting invoke: %v", err)
	}
	if string(resp.Payload) != `{"action":"echo"}` || resp.ColdStart {
		t.Errorf("waiting invoke answered %s (ColdStart %v), want the echo on the warm instance", resp.Payload, resp.ColdStart)
	}
	if err := <-first; err != nil {
		t.Error(err)
	}
}

// Without a log tail, Invoke answers as soon as the runtime posts its
// result; the invocation finishes in the background, and the next
// sequential call still finds the same warm instance.
func TestEarlyAnswer(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("early")
	one := 1
	fn.ReservedConcurrency = &one // a second instance would be throttled
	// A runtime asks for its next event microseconds after posting a
	// result, but a loaded machine may take longer than finishWait: the
	// test is about reuse, not about that race.
	h.m.finishWait = time.Minute
	var counts []float64
	for n := 0; n < 20; n++ {
		resp, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: []byte(`{"action":"count"}`)})
		if err != nil {
			t.Fatalf("call %d: %v", n, err)
		}
		if resp.LogTail != nil || resp.FunctionError != "" {
			t.Fatalf("call %d answered %+v", n, resp)
		}
		var count float64
		json.Unmarshal(resp.Payload, &count)
		counts = append(counts, count)
	}
	for n, c := range counts {
		if c != float64(n+1) {
			t.Fatalf("counts %v: sequential calls did not all reuse one instance", counts)
		}
	}
	settle(t, h.m)
	reports := 0
	for _, e := range h.sink.messages(fn.LogGroup) {
		if strings.HasPrefix(e, "REPORT RequestId: ") {
			reports++
		}
	}
	if reports != 20 {
		t.Errorf("%d REPORT lines, want 20", reports)
	}
}

// Concurrency is a quota per account and region: reservations are carved
// out of it, and unreserved functions share what is left.
func TestUnreservedFunctionsShareWhatReservationsLeave(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{AccountConcurrency: 3})
	path, release := gate(t)
	slow := func(fn *Function) chan error {
		done := make(chan error, 1)
		go func() {
			_, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: blockPayload(path)})
			done <- err
		}()
		return done
	}
	unreserved := h.fn("shared")
	unreserved.AccountReserved = 2 // another function holds 2 of the 3
	busy := slow(unreserved)
	waitFor(t, "the unreserved share in use", func() bool { return h.m.Stats().Busy == 1 })
	var throttled *ThrottleError
	if _, err := h.m.Invoke(context.Background(), unreserved, &Request{ID: newRequestID(), Payload: []byte(`{}`)}); !errors.As(err, &throttled) || throttled.Reason != ReasonAccount {
		t.Fatalf("a second unreserved invoke with 2 of 3 reserved: %v, want %s", err, ReasonAccount)
	}
	// The same function in another region has its own quota.
	elsewhere := h.fn("shared")
	elsewhere.Region = "eu-west-1"
	elsewhere.AccountReserved = 2
	if _, err := h.m.Invoke(context.Background(), elsewhere, &Request{ID: newRequestID(), Payload: []byte(`{}`), Tail: true}); err != nil {
		t.Fatalf("another region's quota was used up: %v", err)
	}
	// A reserved function runs within its reservation while the share is full.
	two := 2
	reserved := h.fn("reserved")
	reserved.ReservedConcurrency = &two
	reserved.AccountReserved = 2
	if _, err := h.m.Invoke(context.Background(), reserved, &Request{ID: newRequestID(), Payload: []byte(`{}`), Tail: true}); err != nil {
		t.Fatalf("a reserved function was throttled by the unreserved share: %v", err)
	}
	release()
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
}
