package logs_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if goroutines of the service or the store outlive
// the tests (a sweeper not stopped by Close, a DB not closed).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
