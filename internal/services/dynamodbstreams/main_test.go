package dynamodbstreams_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the tests: a background
// loop that Close did not stop, a store or server not closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
