package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nimbus-dev/nimbus/internal/clock"
)

// rawFn is a function run by the plain net/http runtime in mode.
func (h *harness) rawFn(name, mode string) *Function {
	fn := h.fn(name)
	fn.Environment = map[string]string{"RAW_MODE": mode}
	return fn
}

func TestRuntimeAPIProtocolErrors(t *testing.T) {
	h := newHarness(t, fixtures.raw, Config{})
	fn := h.rawFn("protocol", "protocol")
	_, resp := h.invoke(fn, `{}`)
	if string(resp.Payload) != `"first"` || resp.FunctionError != "" {
		t.Fatalf("response = %s (%s), want the first posted result", resp.Payload, resp.FunctionError)
	}
	var seen []string
	for _, msg := range h.sink.messages(fn.LogGroup) {
		if strings.HasPrefix(msg, "[") {
			if err := json.Unmarshal([]byte(msg), &seen); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []string{
		`400 {"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, // response before /next
		`400 {"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`, // wrong id
		`403 InvalidStateTransition`, // /next without a result
		`403 InvalidStateTransition`, // init/error after init
		`404 {"errorMessage":"Unknown Runtime API path","errorType":"NotFound"}`, // unknown path
		`202 {"status":"OK"}`,        // the response
		`403 InvalidStateTransition`, // a second response
	}
	for i := range seen {
		if strings.HasPrefix(seen[i], "403 ") && strings.Contains(seen[i], `"errorType":"InvalidStateTransition"`) {
			seen[i] = "403 InvalidStateTransition"
		}
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("Runtime API answers (-want +got):\n%s", diff)
	}
	_, resp = h.invoke(fn, `{}`)
	if string(resp.Payload) != `"ok"` || resp.ColdStart {
		t.Errorf("second invocation = %s (ColdStart %v), want ok on the warm instance", resp.Payload, resp.ColdStart)
	}
}

func TestRuntimeAPITrailerError(t *testing.T) {
	h := newHarness(t, fixtures.raw, Config{})
	_, resp := h.invoke(h.rawFn("trailer", "trailer"), `{}`)
	want := &Response{
		Payload:       []byte(`{"errorMessage":"reader failed","errorType":"Runtime.TruncatedResponse"}`),
		FunctionError: "Unhandled",
		ErrorType:     "Runtime.TruncatedResponse",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("response with error trailers (-want +got):\n%s", diff)
	}
}

func TestRuntimeAPIErrorHeader(t *testing.T) {
	h := newHarness(t, fixtures.raw, Config{})
	_, resp := h.invoke(h.rawFn("errhdr", "errorheader"), `{}`)
	want := &Response{
		Payload:       []byte(`{"errorMessage":"custom","errorType":"MyError","stackTrace":[]}`),
		FunctionError: "Unhandled",
		ErrorType:     "Function.Custom",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("error with a type header (-want +got):\n%s", diff)
	}
}

func TestRuntimeAPIInitError(t *testing.T) {
	h := newHarness(t, fixtures.raw, Config{})
	fn := h.rawFn("initerr", "initerror")
	req, resp := h.invoke(fn, `{}`)
	want := &Response{
		Payload:       []byte(`{"errorMessage":"bad config","errorType":"InitFailed"}`),
		FunctionError: "Unhandled",
		ErrorType:     "Runtime.InitFailed",
	}
	if diff := cmp.Diff(want, errorPart(resp)); diff != "" {
		t.Errorf("init error (-want +got):\n%s", diff)
	}
	assertSequence(t, h.sink.messages(fn.LogGroup),
		regexp.MustCompile(`^init failing\n$`),
		regexp.MustCompile(`^START RequestId: `+req.ID),
		regexp.MustCompile(`^END RequestId: `+req.ID),
		regexp.MustCompile(`^REPORT .*\tInit Duration: \d+\.\d\d ms\tStatus: error\tError Type: Runtime.InitFailed\t\n$`),
	)
	if s := h.m.Stats(); s.Running != 0 {
		t.Errorf("after an init error, Stats = %+v", s)
	}
}

func TestRuntimeAPIExitWithoutReason(t *testing.T) {
	h := newHarness(t, fixtures.raw, Config{})
	req, resp := h.invoke(h.rawFn("exit0", "exit0"), `{}`)
	want := `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: ` + req.ID + ` Error: Runtime exited without providing a reason"}`
	if string(resp.Payload) != want {
		t.Errorf("payload = %s, want %s", resp.Payload, want)
	}
}

func TestRuntimeAPITooLarge(t *testing.T) {
	h := newHarness(t, fixtures.raw, Config{})
	fn := h.rawFn("toolarge", "big")
	_, resp := h.invoke(fn, `{}`)
	if resp.ErrorType != "Function.ResponseSizeTooLarge" {
		t.Errorf("ErrorType = %q", resp.ErrorType)
	}
	want := `413 {"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}` + "\n"
	if indexOf(h.sink.messages(fn.LogGroup), want) < 0 {
		t.Errorf("the runtime did not log %q:\n%q", want, h.sink.messages(fn.LogGroup))
	}
}

func TestRuntimeAPIInitTimeout(t *testing.T) {
	h := newHarness(t, fixtures.raw, Config{InitTimeout: 200 * time.Millisecond})
	_, resp := h.invoke(h.rawFn("hang", "hang"), `{}`)
	if resp.ErrorType != "Sandbox.Timedout" {
		t.Errorf("init that never asks for an event: %s", resp.Payload)
	}
	if s := h.m.Stats(); s.Running != 0 {
		t.Errorf("Stats = %+v", s)
	}
}

// fuzzInstance is an instance without a process, its invocation req-1 in
// phase p (pending ones on a starting instance, as on a cold start).
func fuzzInstance(p phase) (*instance, *invocation) {
	m := &Manager{
		cfg:        Config{IdleTimeout: time.Minute, InitTimeout: time.Minute},
		clock:      clock.NewFake(time.Unix(1700000000, 0)),
		log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		pools:      map[poolKey]*pool{},
		active:     map[scope]int{},
		unreserved: map[scope]int{},
		freed:      make(chan struct{}),
		instances:  map[*instance]struct{}{},
	}
	fn := &Function{Name: "f", Timeout: time.Second}
	i := &instance{
		m:     m,
		fn:    *fn,
		log:   &streamLog{sink: discardSink{}, clock: m.clock},
		state: stateBusy,
		wake:  make(chan struct{}, 1),
		dead:  make(chan struct{}),
	}
	v := newInvocation(fn, &Request{ID: "req-1", Payload: []byte(`{}`)})
	v.phase = p
	if p == phasePending {
		i.state = stateStarting
	}
	i.inv = v
	return i, v
}

type discardSink struct{}

func (discardSink) AppendFunctionLogs(string, string, string, string, []LogEvent) {}

// FuzzRuntimeAPI sends arbitrary requests to an instance's Runtime API and
// checks that only the right request moves its invocation along.
func FuzzRuntimeAPI(f *testing.F) {
	f.Add(uint8(1), "POST", "/2018-06-01/runtime/invocation/req-1/response", "Content-Type: application/json", []byte(`{"ok":true}`))
	f.Add(uint8(1), "POST", "/2018-06-01/runtime/invocation/req-1/error", "Lambda-Runtime-Function-Error-Type: Runtime.Unknown", []byte(`{"errorMessage":"x","errorType":"y"}`))
	f.Add(uint8(1), "POST", "/2018-06-01/runtime/invocation/req-1/response", "T-Lambda-Runtime-Function-Error-Type: Runtime.X\nT-Lambda-Runtime-Function-Error-Body: e30=", []byte(`{`))
	f.Add(uint8(1), "POST", "/2018-06-01/runtime/invocation/req-2/response", "", []byte(`1`))
	f.Add(uint8(1), "POST", "/2018-06-01/runtime/invocation/req-1/response", "Lambda-Runtime-Function-Response-Mode: bogus", []byte(`1`))
	f.Add(uint8(2), "GET", "/2018-06-01/runtime/invocation/next", "", []byte(nil))
	f.Add(uint8(0), "GET", "/2018-06-01/runtime/invocation/next", "", []byte(nil))
	f.Add(uint8(0), "POST", "/2018-06-01/runtime/init/error", "", []byte(`{"errorMessage":"x"}`))
	f.Add(uint8(1), "GET", "/2018-06-01/runtime/invocation/%6Eext", "", []byte(nil))
	f.Add(uint8(1), "PUT", "/2020-01-01/extension/register", "Lambda-Extension-Name: x", []byte(`{}`))
	f.Fuzz(func(t *testing.T, p uint8, method, path, headers string, body []byte) {
		i, v := fuzzInstance(phase(p % 3))
		before, startState := v.phase, i.state
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a /next that would wait returns at once
		r, err := http.NewRequestWithContext(ctx, method, "http://127.0.0.1"+path, bytes.NewReader(body))
		if err != nil || r.URL.Path == "" || r.URL.Path[0] != '/' {
			return
		}
		for _, line := range strings.Split(headers, "\n") {
			k, val, ok := strings.Cut(line, ": ")
			if !ok {
				continue
			}
			if name, ok := strings.CutPrefix(k, "T-"); ok {
				if r.Trailer == nil {
					r.Trailer = http.Header{}
				}
				r.Trailer.Set(name, val)
			} else {
				r.Header.Set(k, val)
			}
		}
		w := httptest.NewRecorder()
		i.routes().ServeHTTP(w, r)
		method = r.Method // "" means GET

		invPath := "/2018-06-01/runtime/invocation/req-1/"
		post := method == "POST" && (r.URL.Path == invPath+"response" || r.URL.Path == invPath+"error")
		initErr := method == "POST" && r.URL.Path == "/2018-06-01/runtime/init/error" && startState == stateStarting
		if v.result != nil && !(post && before == phaseRunning) && !initErr {
			t.Errorf("%s %s (phase %d) set a result", method, path, before)
		}
		if v.phase == phaseRunning && before != phaseRunning &&
			!(method == "GET" && r.URL.Path == "/2018-06-01/runtime/invocation/next" && before == phasePending) {
			t.Errorf("%s %s delivered the invocation", method, path)
		}
		switch v.outcome {
		case outcomeNone:
		case outcomeCompleted:
			if method != "GET" || r.URL.Path != "/2018-06-01/runtime/invocation/next" || before != phaseResponded {
				t.Errorf("%s %s (phase %d) completed the invocation", method, path, before)
			}
		case outcomeFailed:
			if method != "POST" || r.URL.Path != "/2018-06-01/runtime/init/error" || startState != stateStarting {
				t.Errorf("%s %s failed the invocation's init", method, path)
			}
		default:
			t.Errorf("%s %s ended the invocation with outcome %d", method, path, v.outcome)
		}
		if w.Code >= 400 && w.Code != http.StatusMovedPermanently {
			var e struct{ ErrorMessage, ErrorType string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.ErrorType == "" {
				t.Errorf("%s %s: error answer %d %q is not Runtime API error JSON", method, path, w.Code, w.Body)
			}
		}
	})
}
