package runtime

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/sandbox"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// marker is what every test handler below logs when it is called.
const marker = "handler called with "

// A Node.js handler that logs every call.
const nodeMarkHandler = `export const handler = async (event) => {
  console.log("` + marker + `" + JSON.stringify(event));
  return "ok";
};
`

// A Python handler that logs every call.
const pythonMarkHandler = `import json

def handler(event, context):
    print("` + marker + `" + json.dumps(event), flush=True)
    return "ok"
`

// markingFunction is a function of the harness whose handler writes
// marker on each call, in runtime: "go" (aws-lambda-go), "python" or
// "node". It skips (fails under CI) when the interpreter is missing.
func markingFunction(t *testing.T, h *harness, runtime string) *Function {
	t.Helper()
	fn := h.fn("marks-" + runtime)
	var file, code string
	switch runtime {
	case "go":
		fn.Environment = map[string]string{"MARK_CALLS": "1"}
		return fn
	case "python":
		fn.Runtime, fn.Handler = "python3.12", "handler.handler"
		file, code = "handler.py", pythonMarkHandler
	case "node":
		fn.Runtime, fn.Handler = "nodejs20.x", "index.handler"
		file, code = "index.mjs", nodeMarkHandler
	}
	if err := h.m.Supports(fn.Runtime); err != nil {
		testenv.Missing(t, "no interpreter for %s (install python3 and node): %v", fn.Runtime, err)
	}
	if err := os.WriteFile(filepath.Join(h.codeDir, file), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	return fn
}

// countMarkers counts the handler calls in msgs.
func countMarkers(msgs []string) int {
	n := 0
	for _, msg := range msgs {
		if strings.Contains(msg, marker) {
			n++
		}
	}
	return n
}

// Stopping a warm instance (Close, idle expiry, Retire) never invokes its
// handler and leaves nothing in its log: no call with a made-up event, no
// complaint about the Runtime API, no "Runtime exited" line. The stop uses
// a fake clock that never reaches the grace, so it also shows that a
// runtime which dies of its SIGTERM is not kept waiting for the SIGKILL.
func TestStopInvokesNothingAndLogsNothing(t *testing.T) {
	stops := []struct {
		name string
		stop func(t *testing.T, h *harness, fake *clock.Fake, fn *Function)
	}{
		{"Close", func(t *testing.T, h *harness, _ *clock.Fake, _ *Function) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := h.m.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
		}},
		{"idle expiry", func(t *testing.T, h *harness, fake *clock.Fake, _ *Function) {
			fake.Advance(time.Minute)
			stopped(t, h.m)
		}},
		{"Retire", func(t *testing.T, h *harness, _ *clock.Fake, fn *Function) {
			h.m.Retire(fn.Account, fn.Region, fn.Name)
			stopped(t, h.m)
		}},
	}
	for _, isolated := range []bool{false, true} {
		for _, runtime := range []string{"go", "python", "node"} {
			for _, stop := range stops {
				name := runtime + "/" + stop.name
				if isolated {
					if stop.name != "idle expiry" {
						continue // all stops take the same path; one is enough for PID 1
					}
					name = "sandbox/" + name
				}
				t.Run(name, func(t *testing.T) {
					testStop(t, isolated, runtime, stop.stop)
				})
			}
		}
	}
}

// testStop runs a warm instance of a function of runtime that marks its
// handler calls, stops it with stop and checks that the stop logged
// nothing. An isolated instance runs in a sandbox, as PID 1 of its
// namespace: a runtime without a SIGTERM handler (Python, Node.js) would
// never see the SIGTERM, and the fake clock never ends the grace.
func testStop(t *testing.T, isolated bool, runtime string, stop func(*testing.T, *harness, *clock.Fake, *Function)) {
	fake := clock.NewFake(time.Now())
	cfg := Config{Clock: fake, IdleTimeout: time.Minute}
	if isolated {
		cfg.Sandbox = fullSandbox(t)
	}
	h := newHarness(t, fixtures.lambda, cfg)
	if isolated {
		// The instance's user reads /var/task, bound from the code dir.
		if err := os.Chmod(h.codeDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fn := markingFunction(t, h, runtime)
	_, resp := h.invoke(fn, `{"action":"echo","n":1}`)
	if resp.FunctionError != "" {
		t.Fatalf("invoke: %s %s", resp.FunctionError, resp.Payload)
	}
	before := h.sink.messages(fn.LogGroup)
	if n := countMarkers(before); n != 1 {
		t.Fatalf("%d handler calls logged by one invoke, want 1:\n%q", n, before)
	}

	stop(t, h, fake, fn)

	if s := h.m.Stats(); s != (Stats{}) {
		t.Errorf("after the stop, Stats = %+v", s)
	}
	if diff := cmp.Diff(before, h.sink.messages(fn.LogGroup)); diff != "" {
		t.Errorf("the stop wrote to the function's log (-before +after):\n%s", diff)
	}
}

// fullSandbox returns a Sandbox that isolates instances completely, and
// skips the test where the host cannot (not root, no cgroups) unless
// NIMBUS_REQUIRE_ISOLATION=1, which makes that a failure. Its cleanup runs
// after the harness's Close.
func fullSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	sb := sandbox.New(sandbox.Options{})
	t.Cleanup(sb.Close)
	if !sb.Isolation().Complete() {
		msg := "instances cannot be fully isolated here (run as root on Linux with cgroups): " + strings.Join(sb.Missing(), "; ")
		if os.Getenv("NIMBUS_REQUIRE_ISOLATION") == "1" {
			t.Fatal(msg)
		}
		t.Skip("skip: " + msg)
	}
	return sb
}

// A runtime that handles SIGTERM and stays gets Config.ShutdownGrace, on
// the Manager's clock, and then SIGKILL.
func TestStopKillsAfterTheGrace(t *testing.T) {
	fake := clock.NewFake(time.Now())
	h := newHarness(t, fixtures.lambda, Config{Clock: fake, ShutdownGrace: 2 * time.Second})
	fn := h.fn("stays")
	fn.Environment = map[string]string{"TRAP_SIGTERM": "1"}
	h.invoke(fn, `{"action":"echo"}`)
	h.m.Retire(fn.Account, fn.Region, fn.Name)
	waitFor(t, "the runtime to log its SIGTERM", func() bool {
		return indexOf(h.sink.messages(fn.LogGroup), "SIGTERM received\n") >= 0
	})
	waitFor(t, "the grace timer", func() bool { return fake.Pending() == 1 })
	if pids := processesIn(h.codeDir); len(pids) != 1 {
		t.Fatalf("processes %v, want the one that kept running after its SIGTERM", pids)
	}
	fake.Advance(2 * time.Second)
	stopped(t, h.m)
	if pids := processesIn(h.codeDir); len(pids) != 0 {
		t.Errorf("after the grace, processes %v still run", pids)
	}
}

// Close bounded by its context does not wait out a grace: what still
// runs when the context ends is killed.
func TestCloseCutsTheGraceShort(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{ShutdownGrace: time.Hour})
	fn := h.fn("lingers")
	fn.Environment = map[string]string{"TRAP_SIGTERM": "1"}
	h.invoke(fn, `{"action":"echo"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := h.m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want DeadlineExceeded", err)
	}
	if pids := processesIn(h.codeDir); len(pids) != 0 {
		t.Errorf("after Close, processes %v still run", pids)
	}
}

// An instance that filled its /tmp during an invocation is stopped even
// when the invocation ended before the watch looked: /tmp is sized once
// more after each invocation.
func TestTmpOverLimitStopsInstance(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("filler")
	fn.EphemeralMB = 512
	h.invoke(fn, `{"action":"fill","n":300}`)
	waitFor(t, "the instance to be stopped", func() bool { return h.m.Stats().Running == 0 })
	want := "Nimbus: /tmp holds more than the function's ephemeral storage (512 MB); the instance is stopped\n"
	if indexOf(h.sink.messages(fn.LogGroup), want) < 0 {
		t.Errorf("the log does not say why the instance stopped:\n%q", h.sink.messages(fn.LogGroup))
	}
}

// The watch sizes /tmp while the instance runs code and once after, and
// never while it idles; it sleeps when idle unless it polls memory.
func TestWatchSchedule(t *testing.T) {
	type step struct {
		wake       bool // an invocation begins (instead of a tick)
		running    bool
		wantSize   bool
		wantPeriod time.Duration
	}
	tests := []struct {
		name       string
		pollMemory bool
		steps      []step
	}{
		{"init, invocation, idle, with the memory poll", true, []step{
			{running: true, wantSize: true, wantPeriod: watchInterval}, // init
			{running: false, wantSize: true, wantPeriod: idleWatchInterval},
			{running: false, wantSize: false, wantPeriod: idleWatchInterval},
			{running: false, wantSize: false, wantPeriod: idleWatchInterval},
			{wake: true},
			{running: true, wantSize: true, wantPeriod: watchInterval},
			{running: true, wantSize: true, wantPeriod: watchInterval},
			{running: false, wantSize: true, wantPeriod: idleWatchInterval}, // once after
			{running: false, wantSize: false, wantPeriod: idleWatchInterval},
		}},
		{"an invocation between two ticks is sized after", true, []step{
			{running: false, wantSize: true, wantPeriod: idleWatchInterval},
			{running: false, wantSize: false, wantPeriod: idleWatchInterval},
			{wake: true},
			{running: false, wantSize: true, wantPeriod: idleWatchInterval},
			{running: false, wantSize: false, wantPeriod: idleWatchInterval},
		}},
		{"with a memory cgroup, an idle watch sleeps", false, []step{
			{running: true, wantSize: true, wantPeriod: watchInterval},
			{running: false, wantSize: true, wantPeriod: 0},
			{wake: true},
			{running: true, wantSize: true, wantPeriod: watchInterval},
			{running: false, wantSize: true, wantPeriod: 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w watchState
			for n, s := range tt.steps {
				if s.wake {
					w.wake()
					continue
				}
				size, period := w.tick(s.running, tt.pollMemory)
				if size != s.wantSize || period != s.wantPeriod {
					t.Errorf("step %d (running %v): size %v, next %v; want %v, %v", n, s.running, size, period, s.wantSize, s.wantPeriod)
				}
			}
		})
	}
}

func TestStatusDropsSignal(t *testing.T) {
	const (
		none   = "0000000000000000"
		term   = "0000000000004000" // SIGTERM is signal 15
		others = "0000000000000002" // SIGINT
	)
	status := func(nspid, ign, cgt string) string {
		return "Name:\tbootstrap\nNSpid:\t" + nspid + "\nSigBlk:\t" + none + "\nSigIgn:\t" + ign + "\nSigCgt:\t" + cgt + "\n"
	}
	tests := []struct {
		name   string
		status string
		want   bool
	}{
		{"host process, default action", status("4242", none, none), false},
		{"host process, handler", status("4242", none, term), false},
		{"host process, ignored", status("4242", term, none), true},
		{"namespace init, no handler", status("4242\t1", none, others), true},
		{"namespace init, handler", status("4242\t1", none, term), false},
		{"namespace init, ignored", status("4242\t1", term, none), true},
		{"process in a namespace, not its init", status("4242\t7", none, none), false},
		{"unreadable", "Name:\tx\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusDropsSignal([]byte(tt.status), syscall.SIGTERM); got != tt.want {
				t.Errorf("statusDropsSignal = %v, want %v", got, tt.want)
			}
		})
	}
}
