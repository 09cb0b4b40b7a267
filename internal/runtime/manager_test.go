package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

func TestEchoAndWarmStart(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("echo")

	_, cold := h.invoke(fn, `{"action":"echo","x":1}`)
	if got, want := string(cold.Payload), `{"action":"echo","x":1}`; got != want {
		t.Errorf("payload = %s, want %s", got, want)
	}
	if cold.FunctionError != "" || !cold.ColdStart || cold.InitDuration <= 0 {
		t.Errorf("cold response = %+v, want no error, ColdStart and an InitDuration", cold)
	}
	if cold.BilledDuration < cold.Duration+cold.InitDuration || cold.BilledDuration%time.Millisecond != 0 {
		t.Errorf("BilledDuration %v, want Duration+InitDuration (%v) rounded up to ms", cold.BilledDuration, cold.Duration+cold.InitDuration)
	}
	if cold.MaxMemoryUsedMB <= 0 {
		t.Errorf("MaxMemoryUsedMB = %d, want > 0", cold.MaxMemoryUsedMB)
	}

	_, warm := h.invoke(fn, `{"action":"echo","x":2}`)
	if warm.ColdStart || warm.InitDuration != 0 {
		t.Errorf("second invoke: ColdStart %v InitDuration %v, want a warm start", warm.ColdStart, warm.InitDuration)
	}
	if diff := cmp.Diff(Stats{Running: 1, Idle: 1}, h.m.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestWarmReuseKeepsGlobals(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("counter")
	for want := 1; want <= 3; want++ {
		_, resp := h.invoke(fn, `{"action":"count"}`)
		if got := string(resp.Payload); got != fmt.Sprint(want) {
			t.Fatalf("invocation %d: counter = %s", want, got)
		}
	}
	if n := len(h.sink.streamNames(fn.LogGroup)); n != 1 {
		t.Errorf("%d log streams, want 1 (one instance)", n)
	}
}

func TestFunctionError(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	_, resp := h.invoke(h.fn("fails"), `{"action":"error"}`)
	want := &Response{
		Payload:       []byte(`{"errorMessage":"boom","errorType":"errorString"}`),
		FunctionError: "Unhandled",
		ErrorType:     "errorString",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("error response (-want +got):\n%s", diff)
	}
}

// errorPart keeps the fields of r that describe its outcome.
func errorPart(r *Response) *Response {
	return &Response{Payload: r.Payload, FunctionError: r.FunctionError, ErrorType: r.ErrorType}
}

func TestPanicReturnsErrorThenColdStarts(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("panics")
	_, resp := h.invoke(fn, `{"action":"panic"}`)
	var e struct{ ErrorMessage, ErrorType string }
	if err := json.Unmarshal(resp.Payload, &e); err != nil {
		t.Fatalf("payload %s: %v", resp.Payload, err)
	}
	if resp.FunctionError != "Unhandled" || e.ErrorMessage != "oops" || e.ErrorType != "string" || resp.ErrorType != "string" {
		t.Errorf("panic response = %s (%s %s)", resp.Payload, resp.FunctionError, resp.ErrorType)
	}
	_, next := h.invoke(fn, `{"action":"count"}`)
	if !next.ColdStart || string(next.Payload) != "1" {
		t.Errorf("after a panic: ColdStart %v, counter %s; want a new instance", next.ColdStart, next.Payload)
	}
}

func TestTimeoutKillsInstance(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("slow")
	fn.Timeout = time.Second
	never, _ := gate(t) // released only by the test's cleanup
	req, resp := h.invoke(fn, string(blockPayload(never)))
	want := &Response{
		Payload:       []byte(`{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ` + req.ID + ` Error: Task timed out after 1.00 seconds"}`),
		FunctionError: "Unhandled",
		ErrorType:     "Sandbox.Timedout",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("timeout response (-want +got):\n%s", diff)
	}
	if resp.Duration != time.Second {
		t.Errorf("Duration = %v, want 1s", resp.Duration)
	}
	msgs := h.sink.messages(fn.LogGroup)
	timedOut := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ` + req.ID + ` Task timed out after 1\.00 seconds\n$`)
	assertSequence(t, msgs,
		regexp.MustCompile(`^START RequestId: `+req.ID+` Version: \$LATEST\n$`),
		timedOut,
		regexp.MustCompile(`^END RequestId: `+req.ID+`\n$`),
		regexp.MustCompile(`^REPORT RequestId: `+req.ID+`\tDuration: 1000\.00 ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\tStatus: timeout\t\n$`),
	)
	if s := h.m.Stats(); s.Running != 0 {
		t.Errorf("after a timeout, Stats = %+v, want no instance", s)
	}
	_, next := h.invoke(fn, `{"action":"echo"}`)
	if !next.ColdStart {
		t.Error("invocation after a timeout was not a cold start")
	}
}

// Without a memory cgroup, the resident-memory poll stops an instance
// past its MemorySize, and the REPORT says so as Lambda's does.
func TestMemoryPollKills(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("hog")
	fn.MemoryMB = 128
	fn.Timeout = 5 * time.Minute // only the poll ends it
	req, resp := h.invoke(fn, `{"action":"hold","n":200,"ms":300000}`)
	want := &Response{
		Payload:       []byte(`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + req.ID + ` Error: Runtime exited with error: signal: killed"}`),
		FunctionError: "Unhandled",
		ErrorType:     "Runtime.ExitError",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	msgs := h.sink.messages(fn.LogGroup)
	if last := msgs[len(msgs)-1]; !strings.HasSuffix(last, "\tStatus: error\tError Type: Runtime.OutOfMemory\t\n") {
		t.Errorf("REPORT = %q", last)
	}
}

func TestCrashThenRecovers(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("crashes")
	req, resp := h.invoke(fn, `{"action":"exit"}`)
	want := &Response{
		Payload:       []byte(`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + req.ID + ` Error: Runtime exited with error: exit status 1"}`),
		FunctionError: "Unhandled",
		ErrorType:     "Runtime.ExitError",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("crash response (-want +got):\n%s", diff)
	}
	assertSequence(t, h.sink.messages(fn.LogGroup),
		regexp.MustCompile(`^START RequestId: `+req.ID),
		regexp.MustCompile(`^exiting now\n$`),
		regexp.MustCompile(`^RequestId: `+req.ID+` Error: Runtime exited with error: exit status 1\nRuntime.ExitError\n$`),
		regexp.MustCompile(`^END RequestId: `+req.ID),
		regexp.MustCompile(`^REPORT RequestId: `+req.ID+`.*\tStatus: error\tError Type: Runtime.ExitError\t\n$`),
	)
	_, next := h.invoke(fn, `{"action":"echo"}`)
	if !next.ColdStart || next.FunctionError != "" {
		t.Errorf("after a crash: %+v, want a cold start that works", next)
	}
}

func TestRevisionChangeStartsNewInstance(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("revised")
	h.invoke(fn, `{"action":"count"}`)
	_, r := h.invoke(fn, `{"action":"count"}`)
	if string(r.Payload) != "2" {
		t.Fatalf("counter = %s, want 2", r.Payload)
	}
	fn.Revision = "r2"
	_, r = h.invoke(fn, `{"action":"count"}`)
	if string(r.Payload) != "1" || !r.ColdStart {
		t.Errorf("after a revision change: counter %s, ColdStart %v; want a new instance", r.Payload, r.ColdStart)
	}
	waitFor(t, "the old revision's instance to stop", func() bool { return h.m.Stats() == Stats{Running: 1, Idle: 1} })
}

func TestRetire(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("retired")
	h.invoke(fn, `{"action":"echo"}`)
	h.m.Retire(fn.Account, fn.Region, fn.Name)
	if s := h.m.Stats(); s.Running != 0 {
		t.Fatalf("after Retire, Stats = %+v", s)
	}

	// A busy instance finishes its invocation, then stops.
	path, release := gate(t)
	done := make(chan *Response)
	go func() {
		resp, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: blockPayload(path)})
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	waitFor(t, "a busy instance", func() bool { return h.m.Stats().Busy == 1 })
	h.m.Retire(fn.Account, fn.Region, fn.Name)
	if s := h.m.Stats(); s != (Stats{Running: 1, Busy: 1}) {
		t.Errorf("Retire stopped a busy instance: Stats = %+v", s)
	}
	release()
	if resp := <-done; resp == nil || string(resp.Payload) != `"released"` {
		t.Errorf("retired busy invocation answered %+v", resp)
	}
	settle(t, h.m)
	if s := h.m.Stats(); s.Running != 0 {
		t.Errorf("after the retired instance's invocation, Stats = %+v", s)
	}
}

func TestIdleExpiry(t *testing.T) {
	fake := clock.NewFake(time.Now())
	h := newHarness(t, fixtures.lambda, Config{Clock: fake, IdleTimeout: time.Minute})
	fn := h.fn("idler")
	h.invoke(fn, `{"action":"echo"}`)
	// Invoke answers when the runtime posts its result; the instance parks
	// (and arms its idle timer) when it asks for the next event.
	waitFor(t, "the instance to park", func() bool { return h.m.Stats().Idle == 1 })
	fake.Advance(59 * time.Second)
	if s := h.m.Stats(); s != (Stats{Running: 1, Idle: 1}) {
		t.Fatalf("before the idle timeout, Stats = %+v", s)
	}
	fake.Advance(time.Second)
	waitFor(t, "the idle instance to expire", func() bool { return h.m.Stats().Running == 0 })
	_, resp := h.invoke(fn, `{"action":"echo"}`)
	if !resp.ColdStart {
		t.Error("invocation after idle expiry was not a cold start")
	}
}

func TestLogFraming(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("printer")
	first, _ := h.invoke(fn, `{"action":"print"}`)
	second, _ := h.invoke(fn, `{"action":"print"}`)

	streams := h.sink.streamNames(fn.LogGroup)
	if len(streams) != 1 || !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(streams[0]) {
		t.Fatalf("streams = %q, want one named YYYY/MM/DD/[$LATEST]<32 hex>", streams)
	}
	if !strings.HasPrefix(streams[0], time.Now().UTC().Format("2006/01/02")) {
		t.Errorf("stream %q is not dated today (UTC)", streams[0])
	}
	msgs := h.sink.messages(fn.LogGroup)
	report := `\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: [1-9]\d* MB\t`
	for _, inv := range []struct {
		id   string
		init string
	}{{first.ID, `Init Duration: \d+\.\d\d ms\t`}, {second.ID, ``}} {
		start := indexOf(msgs, "START RequestId: "+inv.id+" Version: $LATEST\n")
		end := indexOf(msgs, "END RequestId: "+inv.id+"\n")
		if start < 0 || end != start+4 || end+1 >= len(msgs) {
			t.Fatalf("invocation %s not framed by START/END with its 3 lines:\n%q", inv.id, msgs)
		}
		body := append([]string(nil), msgs[start+1:end]...)
		slices.Sort(body)
		if diff := cmp.Diff([]string{"hello stderr\n", "hello stdout\n", "no newline\n"}, body); diff != "" {
			t.Errorf("lines between START and END (-want +got):\n%s", diff)
		}
		want := regexp.MustCompile(`^REPORT RequestId: ` + inv.id + report + inv.init + `\n$`)
		if !want.MatchString(msgs[end+1]) {
			t.Errorf("REPORT line %q does not match %s", msgs[end+1], want)
		}
	}
	if msgs[0] != "init: starting\n" {
		t.Errorf("first event %q, want the init output before START", msgs[0])
	}
}

func TestLogTail(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("tail")
	req := &Request{ID: newRequestID(), Payload: []byte(`{"action":"print"}`), Tail: true}
	resp, err := h.m.Invoke(context.Background(), fn, req)
	if err != nil {
		t.Fatal(err)
	}
	tail := string(resp.LogTail)
	if !strings.HasPrefix(tail, "START RequestId: "+req.ID+" Version: $LATEST\n") ||
		!strings.Contains(tail, "hello stdout\n") ||
		!regexp.MustCompile(`\nEND RequestId: `+req.ID+`\nREPORT RequestId: `+req.ID+`\t.*\t\n$`).MatchString(tail) {
		t.Errorf("tail = %q, want START … END, REPORT", tail)
	}

	req = &Request{ID: newRequestID(), Payload: []byte(`{"action":"printmany","n":300,"text":"0123456789012345678901234567890123456789"}`), Tail: true}
	resp, err = h.m.Invoke(context.Background(), fn, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.LogTail) != 4096 || !strings.HasSuffix(string(resp.LogTail), "\t\n") {
		t.Errorf("tail of a long log: %d bytes ending %q, want 4096 ending with REPORT", len(resp.LogTail), resp.LogTail[max(0, len(resp.LogTail)-20):])
	}
	if strings.Contains(string(resp.LogTail), "START") {
		t.Error("tail of a long log still holds START")
	}

	req.ID, req.Tail = newRequestID(), false
	if resp, _ := h.m.Invoke(context.Background(), fn, req); resp.LogTail != nil {
		t.Error("LogTail set without Tail")
	}
}

func TestResponseSize(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("big")
	// The JSON string adds two quotes: exactly the limit passes.
	_, resp := h.invoke(fn, fmt.Sprintf(`{"action":"big","n":%d}`, maxResponse-2))
	if resp.FunctionError != "" || len(resp.Payload) != maxResponse {
		t.Errorf("response of exactly %d bytes: %d bytes, FunctionError %q", maxResponse, len(resp.Payload), resp.FunctionError)
	}
	_, resp = h.invoke(fn, fmt.Sprintf(`{"action":"big","n":%d}`, maxResponse-1))
	want := &Response{
		Payload:       []byte(`{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes)."}`),
		FunctionError: "Unhandled",
		ErrorType:     "Function.ResponseSizeTooLarge",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("oversized response (-want +got):\n%s", diff)
	}
}

func TestCancelKillsInstance(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	never, _ := gate(t) // released only by the test's cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := h.m.Invoke(ctx, h.fn("cancelled"), &Request{ID: newRequestID(), Payload: blockPayload(never)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if s := h.m.Stats(); s.Running != 0 {
		t.Errorf("after cancel, Stats = %+v", s)
	}
	if pids := processesIn(h.codeDir); len(pids) != 0 {
		t.Errorf("after cancel, processes %v still run", pids)
	}
}

func TestCloseLetsInflightFinish(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("inflight")
	path, release := gate(t)
	done := make(chan *Response, 1)
	go func() {
		resp, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: blockPayload(path)})
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	waitFor(t, "a busy instance", func() bool { return h.m.Stats().Busy == 1 })
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		closed <- h.m.Close(ctx)
	}()
	waitFor(t, "Close to refuse new invocations", func() bool {
		h.m.mu.Lock()
		defer h.m.mu.Unlock()
		return h.m.closed
	})
	release()
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if resp := <-done; resp == nil || string(resp.Payload) != `"released"` {
		t.Errorf("in-flight invocation answered %+v", resp)
	}
	if _, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID()}); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close: err = %v, want ErrClosed", err)
	}
}

func TestCloseKillsWhenOutOfTime(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("stuck")
	fn.Timeout = time.Minute
	never, _ := gate(t) // released only by the test's cleanup
	errc := make(chan error, 1)
	go func() {
		_, err := h.m.Invoke(context.Background(), fn, &Request{ID: newRequestID(), Payload: blockPayload(never)})
		errc <- err
	}()
	waitFor(t, "a busy instance", func() bool { return h.m.Stats().Busy == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := h.m.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: %v, want DeadlineExceeded", err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Errorf("killed invocation: err = %v, want ErrClosed", err)
	}
	if pids := processesIn(h.codeDir); len(pids) != 0 {
		t.Errorf("after Close, processes %v still run", pids)
	}
}

func TestInvalidEntrypoint(t *testing.T) {
	h := newHarness(t, "", Config{})
	fn := h.fn("nobootstrap")
	req, resp := h.invoke(fn, `{}`)
	want := &Response{
		Payload:       []byte(`{"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: ` + req.ID + ` Error: Couldn't find valid bootstrap(s): [` + filepath.Join(h.codeDir, "bootstrap") + `]"}`),
		FunctionError: "Unhandled",
		ErrorType:     "Runtime.InvalidEntrypoint",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("missing bootstrap (-want +got):\n%s", diff)
	}

	if err := os.WriteFile(filepath.Join(h.codeDir, "bootstrap"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, resp = h.invoke(fn, `{}`)
	if resp.ErrorType != "Runtime.InvalidEntrypoint" || !strings.Contains(string(resp.Payload), "permission denied") {
		t.Errorf("non-executable bootstrap: %s", resp.Payload)
	}

	gofn := h.fn("gohandler")
	gofn.Runtime, gofn.Handler = "go1.x", "missing"
	_, resp = h.invoke(gofn, `{}`)
	if resp.ErrorType != "Runtime.InvalidEntrypoint" || !strings.Contains(string(resp.Payload), "no such file or directory") {
		t.Errorf("missing go1.x handler: %s", resp.Payload)
	}

	if _, err := h.m.Invoke(context.Background(), &Function{Runtime: "cobol85"}, &Request{}); !errors.Is(err, ErrUnsupportedRuntime) {
		t.Errorf("unknown runtime: err = %v, want ErrUnsupportedRuntime", err)
	}
	if s := h.m.Stats(); s.Running != 0 {
		t.Errorf("Stats = %+v, want no instance", s)
	}
}

func TestGoRuntimeRunsHandler(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("gox")
	fn.Runtime, fn.Handler = "go1.x", "bootstrap"
	_, resp := h.invoke(fn, `{"action":"echo"}`)
	if string(resp.Payload) != `{"action":"echo"}` {
		t.Errorf("go1.x echo = %s", resp.Payload)
	}
}

func TestEnvironment(t *testing.T) {
	workDir := t.TempDir()
	h := newHarness(t, fixtures.lambda, Config{
		WorkDir:  workDir,
		Endpoint: "http://127.0.0.1:4566",
		Credentials: func(account string) (string, string, string) {
			return "AKID" + account, "SECRET", "TOKEN"
		},
	})
	fn := h.fn("env")
	fn.MemoryMB = 256
	fn.Environment = map[string]string{"MY_VAR": "mine", "AWS_REGION": "eu-west-1", "LANG": "C.UTF-8"}
	_, resp := h.invoke(fn, `{"action":"env"}`)
	var list []string
	if err := json.Unmarshal(resp.Payload, &list); err != nil {
		t.Fatalf("payload %s: %v", resp.Payload, err)
	}
	env := map[string]string{}
	for _, kv := range list {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	stream := h.sink.streamNames(fn.LogGroup)[0]
	want := map[string]string{
		"_HANDLER":                        "bootstrap",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_LAMBDA_FUNCTION_NAME":        "env",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/env",
		"AWS_LAMBDA_LOG_STREAM_NAME":      stream,
		"AWS_ACCESS_KEY_ID":               "AKID000000000000",
		"AWS_SECRET_ACCESS_KEY":           "SECRET",
		"AWS_SESSION_TOKEN":               "TOKEN",
		"AWS_ENDPOINT_URL":                "http://127.0.0.1:4566",
		"LAMBDA_TASK_ROOT":                h.codeDir,
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"TZ":                              ":UTC",
		"LANG":                            "C.UTF-8",
		"MY_VAR":                          "mine",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if !strings.HasPrefix(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", env["AWS_LAMBDA_RUNTIME_API"])
	}
	if !strings.HasPrefix(env["TMPDIR"], workDir+"/") || env["HOME"] != env["TMPDIR"] {
		t.Errorf("TMPDIR %q HOME %q, want the instance's tmp dir under %s", env["TMPDIR"], env["HOME"], workDir)
	}
	if p := env["PATH"]; !strings.Contains(p, h.codeDir) || !strings.HasSuffix(p, ":/opt/bin") {
		t.Errorf("PATH = %q", p)
	}
	if !strings.Contains(env["LD_LIBRARY_PATH"], h.codeDir+"/lib") {
		t.Errorf("LD_LIBRARY_PATH = %q", env["LD_LIBRARY_PATH"])
	}
	if _, ok := env["NIMBUS_HOST_SECRET"]; ok {
		t.Error("the host environment leaked into the instance")
	}
}

func TestInvocationContext(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("ctx")
	req := &Request{
		ID:            newRequestID(),
		Payload:       []byte(`{"action":"context"}`),
		InvokedARN:    fn.ARN + ":prod",
		TraceID:       "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
		ClientContext: `{"client":{"app_title":"nimbus-test"}}`,
	}
	before := time.Now()
	resp, err := h.m.Invoke(context.Background(), fn, req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		RequestID, ARN, Trace, Cwd, ClientAppID string
		DeadlineMs                              int64
	}
	if err := json.Unmarshal(resp.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", resp.Payload, err)
	}
	if got.RequestID != req.ID || got.ARN != req.InvokedARN || got.Trace != req.TraceID || got.Cwd != h.codeDir || got.ClientAppID != "nimbus-test" {
		t.Errorf("context seen by the handler = %+v", got)
	}
	deadline := time.UnixMilli(got.DeadlineMs)
	if deadline.Before(before.Add(3*time.Second)) || deadline.After(time.Now().Add(3*time.Second)) {
		t.Errorf("deadline %v is not start + 3s", deadline)
	}
}

// indexOf returns the index of s in list, or -1.
func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// assertSequence checks that msgs holds, in order and one after the other,
// messages matching want.
func assertSequence(t *testing.T, msgs []string, want ...*regexp.Regexp) {
	t.Helper()
	for start := range msgs {
		if !want[0].MatchString(msgs[start]) {
			continue
		}
		ok := start+len(want) <= len(msgs)
		for k := 1; ok && k < len(want); k++ {
			ok = want[k].MatchString(msgs[start+k])
		}
		if ok {
			return
		}
	}
	t.Errorf("log does not hold the sequence %q:\n%q", want, msgs)
}

func BenchmarkWarmInvoke(b *testing.B) {
	if fixtures.missing != "" {
		testenv.Missing(b, "%s", fixtures.missing)
	}
	codeDir := b.TempDir()
	if err := os.Symlink(fixtures.lambda, filepath.Join(codeDir, "bootstrap")); err != nil {
		b.Fatal(err)
	}
	m, err := NewManager(Config{Logs: discardSink{}, WorkDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close(context.Background())
	fn := &Function{Account: "000000000000", Region: "us-east-1", Name: "bench", Runtime: "provided.al2023",
		CodeDir: codeDir, Revision: "r1", Timeout: 3 * time.Second}
	req := &Request{ID: "bench", Payload: []byte(`{"action":"echo"}`)}
	if _, err := m.Invoke(context.Background(), fn, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Invoke(context.Background(), fn, req); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLogDrainKeepsOutputInsideFrame(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("chatty")
	long := strings.Repeat("y", maxLogLine+1000)
	for round := 0; round < 3; round++ {
		req, _ := h.invoke(fn, `{"action":"printmany","n":2000,"text":"abc"}`)
		msgs := h.sink.messages(fn.LogGroup)
		start := indexOf(msgs, "START RequestId: "+req.ID+" Version: $LATEST\n")
		end := indexOf(msgs, "END RequestId: "+req.ID+"\n")
		if start < 0 || end-start-1 != 2000 {
			t.Fatalf("round %d: %d events between START and END, want 2000", round, end-start-1)
		}
		if msgs[start+1] != "line 0 abc\n" || msgs[end-1] != "line 1999 abc\n" {
			t.Errorf("round %d: frame holds %q … %q", round, msgs[start+1], msgs[end-1])
		}
	}

	req, _ := h.invoke(fn, `{"action":"printmany","n":1,"text":"`+long+`"}`)
	msgs := h.sink.messages(fn.LogGroup)
	start := indexOf(msgs, "START RequestId: "+req.ID+" Version: $LATEST\n")
	got := msgs[start+1 : start+3]
	if len(got[0]) != maxLogLine || got[0]+got[1] != "line 0 "+long+"\n" || msgs[start+3] != "END RequestId: "+req.ID+"\n" {
		t.Errorf("a %d-byte line became events of %d and %d bytes", len(long)+8, len(got[0]), len(got[1]))
	}
}

func TestIdleInstanceExitIsRemoved(t *testing.T) {
	h := newHarness(t, fixtures.lambda, Config{})
	fn := h.fn("vanishes")
	h.invoke(fn, `{"action":"echo"}`)
	pids := processesIn(h.codeDir)
	if len(pids) != 1 {
		t.Fatalf("processes %v, want one", pids)
	}
	pid, _ := strconv.Atoi(pids[0])
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dead idle instance to be removed", func() bool { return h.m.Stats().Running == 0 })
	_, resp := h.invoke(fn, `{"action":"echo"}`)
	if !resp.ColdStart || resp.FunctionError != "" {
		t.Errorf("after the idle instance died: %+v, want a working cold start", resp)
	}
}

func TestParseVmHWM(t *testing.T) {
	tests := []struct {
		name   string
		status string
		want   int
	}{
		{"rounds up", "Name:\tbootstrap\nVmPeak:\t  9000 kB\nVmHWM:\t    1025 kB\nVmRSS:\t 1000 kB\n", 2},
		{"exact", "Name:\tx\nVmHWM:\t2048 kB\n", 2},
		{"missing", "Name:\tx\nVmRSS:\t2048 kB\n", 0},
		{"garbage", "Name:\tx\nVmHWM:\tlots kB\n", 0},
		{"truncated", "Name:\tx\nVmHWM:", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseVmHWM([]byte(tt.status)); got != tt.want {
				t.Errorf("parseVmHWM = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPythonInterpreters(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Missing(t, "no python3 on this machine")
	}
	m, err := NewManager(Config{Logs: discardSink{}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	if err := m.Supports("python3.12"); err != nil {
		t.Errorf("python3.12 with python3 on PATH: %v", err)
	}
	if it := m.interpreters.python("python3.99"); it.err != nil || it.fallback == "" || strings.Contains(it.path, "shims") {
		t.Errorf("a missing python3.99 should fall back to the host's python3 (not a shim) with a warning: %+v", it)
	}
	if err := m.Supports("cobol85"); !errors.Is(err, ErrUnsupportedRuntime) {
		t.Errorf("Supports(cobol85) = %v", err)
	}

	t.Setenv("PATH", t.TempDir()) // no interpreter at all
	bare, err := NewManager(Config{Logs: discardSink{}, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close(context.Background())
	if err := bare.Supports("python3.12"); err == nil || !strings.Contains(err.Error(), "install python3.12") {
		t.Errorf("with no Python at all, Supports = %v, want what to install", err)
	}
}

func TestDescribeRuntimesWithOverrides(t *testing.T) {
	infos := DescribeRuntimes(map[string]string{"python3.12": "/bin/true", "nodejs20.x": "/nonexistent/node"})
	byName := map[string]RuntimeInfo{}
	for _, info := range infos {
		byName[info.Runtime] = info
	}
	if got := byName["python3.12"]; got.Interpreter != "/bin/true" || got.Note != "" {
		t.Errorf("configured python3.12 = %+v", got)
	}
	if got := byName["nodejs20.x"]; got.Interpreter != "" || !strings.Contains(got.Note, "cannot run") {
		t.Errorf("a configured interpreter that does not exist = %+v", got)
	}
	if got := byName["provided.al2023"]; got.Interpreter != "" || !strings.Contains(got.Note, "custom runtime") {
		t.Errorf("provided.al2023 = %+v", got)
	}
}
