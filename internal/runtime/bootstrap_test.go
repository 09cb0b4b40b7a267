package runtime

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// scriptedAPI is a Runtime API that answers each request with the next of
// its answers, and records the requests.
type scriptedAPI struct {
	mu       sync.Mutex
	answers  []func(w http.ResponseWriter)
	requests []string
}

func (a *scriptedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.requests = append(a.requests, r.Method+" "+strings.TrimPrefix(r.URL.Path, "/2018-06-01/runtime"))
	var answer func(http.ResponseWriter)
	if len(a.answers) > 0 {
		answer, a.answers = a.answers[0], a.answers[1:]
	}
	a.mu.Unlock()
	if answer == nil {
		answer = status(http.StatusInternalServerError, `{"errorMessage":"the script has ended","errorType":"Test"}`)
	}
	answer(w)
}

func (a *scriptedAPI) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.requests...)
}

// status answers with code and a JSON body.
func status(code int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		w.Write([]byte(body))
	}
}

// event answers /next with the event of request id.
func event(id, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set(hdrRequestID, id)
		w.Header().Set(hdrDeadline, "9999999999999")
		status(http.StatusOK, body)(w)
	}
}

// dropConnection drops the connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// The embedded bootstraps run the handler only with a real event: a /next
// answered with anything but 200, or not answered at all, ends the runtime
// quietly (exit status 0, nothing logged), and a refused result does not
// stop it from asking for the next event.
func TestBootstrapsRunOnlyRealEvents(t *testing.T) {
	shuttingDown := status(http.StatusGone, `{"errorMessage":"The execution environment is shutting down","errorType":"InstanceShuttingDown"}`)
	tooLarge := status(http.StatusRequestEntityTooLarge, `{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}`)
	tests := []struct {
		name      string
		answers   []func(http.ResponseWriter)
		wantCalls int
		// wantRequests, when set, is every request the runtime made.
		wantRequests []string
	}{
		{
			name:         "410 on next",
			answers:      []func(http.ResponseWriter){shuttingDown},
			wantRequests: []string{"GET /invocation/next"},
		},
		{
			name:         "403 on next",
			answers:      []func(http.ResponseWriter){status(http.StatusForbidden, `{"errorMessage":"A /next request is already waiting","errorType":"InvalidStateTransition"}`)},
			wantRequests: []string{"GET /invocation/next"},
		},
		{
			name:    "next dropped",
			answers: []func(http.ResponseWriter){dropConnection, dropConnection, dropConnection},
		},
		{
			name:         "a refused response, then the next event",
			answers:      []func(http.ResponseWriter){event("r1", `{"n":1}`), tooLarge, event("r2", `{"n":2}`), status(http.StatusAccepted, `{"status":"OK"}`), shuttingDown},
			wantCalls:    2,
			wantRequests: []string{"GET /invocation/next", "POST /invocation/r1/response", "GET /invocation/next", "POST /invocation/r2/response", "GET /invocation/next"},
		},
		{
			name:         "the Runtime API fails a post",
			answers:      []func(http.ResponseWriter){event("r1", `{"n":1}`), status(http.StatusInternalServerError, `{"errorMessage":"Internal Server Error","errorType":"InternalServerError"}`)},
			wantCalls:    1,
			wantRequests: []string{"GET /invocation/next", "POST /invocation/r1/response"},
		},
	}
	for _, runtime := range []string{"python", "node"} {
		for _, tt := range tests {
			t.Run(runtime+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				api := &scriptedAPI{answers: tt.answers}
				srv := httptest.NewServer(api)
				defer srv.Close()
				out, err := runBootstrap(t, runtime, strings.TrimPrefix(srv.URL, "http://"))
				if err != nil {
					t.Errorf("the runtime ended with %v, want exit status 0; output:\n%s", err, out)
				}
				if calls := strings.Count(out, marker); calls != tt.wantCalls {
					t.Errorf("handler called %d times, want %d; output:\n%s", calls, tt.wantCalls, out)
				}
				if tt.wantCalls == 0 && out != "" {
					t.Errorf("the runtime wrote %q, want nothing", out)
				}
				if tt.wantRequests != nil {
					if diff := cmp.Diff(tt.wantRequests, api.seen()); diff != "" {
						t.Errorf("requests (-want +got):\n%s", diff)
					}
				}
			})
		}
	}
}

// runBootstrap runs the embedded bootstrap of runtime ("python" or
// "node") with a handler that writes marker, against the Runtime API at
// addr, and returns its output once it has exited.
func runBootstrap(t *testing.T, runtime, addr string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	var in interpreters
	var it interpreter
	var boot, handler, file, code string
	var src []byte
	switch runtime {
	case "python":
		it = in.python("python3.12")
		boot, handler, file, code, src = "bootstrap.py", "handler.handler", "handler.py", pythonMarkHandler, pythonBootstrap
	case "node":
		it = in.node("nodejs20.x")
		boot, handler, file, code, src = "bootstrap.mjs", "index.handler", "index.mjs", nodeMarkHandler, nodeBootstrap
	}
	if it.err != nil {
		testenv.Missing(t, "no interpreter to run the %s bootstrap (install python3 and node): %v", runtime, it.err)
	}
	for name, content := range map[string][]byte{boot: src, file: []byte(code)} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A failure bound only: each case ends in a few hundred milliseconds.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, it.path, filepath.Join(dir, boot))
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"AWS_LAMBDA_RUNTIME_API=" + addr,
		"_HANDLER=" + handler,
		"LAMBDA_TASK_ROOT=" + dir,
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
