package lambda_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// TestMain fails the run if a goroutine outlives the tests: a poller, a
// shard worker or an asynchronous delivery that Close did not stop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// patience bounds every wait for something that must happen (see
// testenv.Patience).
const patience = testenv.Patience

// eventually polls state read through the API until cond holds.
func eventually(t *testing.T, what string, cond func() bool) { testenv.Eventually(t, what, cond) }

// waitTimer waits until the code under test has armed a timer on clk that
// comes due at exactly at: the fake time only moves when a test says so,
// so the due time of a retry or a deadline is known to the nanosecond.
func waitTimer(t *testing.T, clk *clock.Fake, what string, at time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := clk.BlockUntilTimer(ctx, func(due time.Time) bool { return due.Equal(at) }); err != nil {
		t.Fatalf("timed out waiting for %s (a timer due at %v; pending: %v)", what, at, clk.Timers())
	}
}
