package sandbox

import (
	"testing"

	"go.uber.org/goleak"
)

// The threads Start runs processes from live until Release: a test that
// forgets a Box leaks a goroutine, which this catches.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
