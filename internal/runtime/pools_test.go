package runtime

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nimbus-dev/nimbus/internal/clock"
)

// poolCount is how many functions the Manager keeps a pool for.
func poolCount(m *Manager) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pools)
}

// A pool lives only as long as it holds something: a function that is
// retired (deleted), idles out or is only ever throttled leaves no entry.
func TestPoolsGoWithTheirInstances(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, h *harness, fake *clock.Fake, fn *Function)
	}{
		{"retired idle instance", func(t *testing.T, h *harness, _ *clock.Fake, fn *Function) {
			h.invoke(fn, `{"action":"echo"}`)
			if n := poolCount(h.m); n != 1 {
				t.Fatalf("%d pools with an idle instance, want 1", n)
			}
			h.m.Retire(fn.Account, fn.Region, fn.Name)
		}},
		{"retired busy instance", func(t *testing.T, h *harness, _ *clock.Fake, fn *Function) {
			path, release := gate(t)
			done := make(chan error, 1)
			go func() {
				_, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: blockPayload(path)})
				done <- err
			}()
			waitFor(t, "a busy instance", func() bool { return h.m.Stats().Busy == 1 })
			h.m.Retire(fn.Account, fn.Region, fn.Name)
			if n := poolCount(h.m); n != 1 {
				t.Errorf("%d pools while the retired instance is busy, want 1", n)
			}
			release()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			settle(t, h.m)
		}},
		{"idle expiry", func(t *testing.T, h *harness, fake *clock.Fake, fn *Function) {
			h.invoke(fn, `{"action":"echo"}`)
			fake.Advance(time.Minute)
		}},
		{"throttled", func(t *testing.T, h *harness, _ *clock.Fake, fn *Function) {
			zero := 0
			fn.ReservedConcurrency = &zero
			var te *ThrottleError
			if _, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: []byte(`{}`)}); !errors.As(err, &te) {
				t.Fatalf("err = %v, want a ThrottleError", err)
			}
		}},
		{"abandoned wait for capacity", func(t *testing.T, h *harness, _ *clock.Fake, fn *Function) {
			zero := 0
			fn.ReservedConcurrency = &zero
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			if _, err := h.m.Invoke(ctx, fn, &Request{ID: newRequestID(), Payload: []byte(`{}`), WaitForCapacity: true}); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want DeadlineExceeded", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := clock.NewFake(time.Now())
			h := newHarness(t, fixtures.lambda, Config{Clock: fake, IdleTimeout: time.Minute})
			tt.run(t, h, fake, h.fn("gone"))
			stopped(t, h.m)
			if n := poolCount(h.m); n != 0 {
				t.Errorf("%d pools once the function has no instance, want 0", n)
			}
		})
	}
}
