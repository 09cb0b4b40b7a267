// Package testenv decides what a test does when something it needs from the
// host is missing (an interpreter, a tool, privileges): on a developer's
// machine it skips with a message that says how to get it; under CI=true it
// fails, because CI installs everything and a skip there would hide a
// check that never ran.
package testenv

import (
	"os"
	"strconv"
	"time"
)

// TB is the part of testing.TB that Missing uses.
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// InCI reports whether the tests run under CI (CI=true, as CI systems set
// it): every input must then be present.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// Missing ends the test because what it needs is absent: a skip with why,
// or, under CI=true, a failure.
func Missing(t TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true and a test input is missing: "+format, args...)
		return
	}
	t.Skipf("skip: "+format, args...)
}

// Patience bounds Eventually's wait. It only bounds a failure: nothing
// that uses it assumes how long a cold start or an invocation takes on a
// busy machine.
const Patience = 60 * time.Second

// Eventually polls cond until it holds, and fails the test with what it
// waited for once Patience has passed. It is for outcomes that raise no
// event a test can wait on (state read through an API); where the code
// under test signals, wait on that instead.
func Eventually(t FatalTB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", Patience, what)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FatalTB is the part of testing.TB that Eventually uses.
type FatalTB interface {
	Helper()
	Fatalf(format string, args ...any)
}
