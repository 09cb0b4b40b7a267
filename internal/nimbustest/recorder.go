package nimbustest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Recorder collects what functions post to it: the test function's
// "record" action sends its request id. Functions run isolated, so a
// loopback URL is how they tell a test they ran.
type Recorder struct {
	srv   *httptest.Server
	mu    sync.Mutex
	lines []string
	// posted is closed and replaced on every post, to wake WaitFor.
	posted chan struct{}
}

// NewRecorder starts a Recorder that stops with the test.
func NewRecorder(t testing.TB) *Recorder {
	r := &Recorder{posted: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.lines = append(r.lines, string(body))
		close(r.posted)
		r.posted = make(chan struct{})
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is where functions post.
func (r *Recorder) URL() string { return r.srv.URL }

// Lines returns what was posted so far, in arrival order.
func (r *Recorder) Lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// WaitFor waits until at least n posts have arrived and returns them,
// failing the test after within (a bound for failures only).
func (r *Recorder) WaitFor(t testing.TB, n int, within time.Duration) []string {
	t.Helper()
	timeout := time.After(within)
	for {
		r.mu.Lock()
		lines, posted := append([]string(nil), r.lines...), r.posted
		r.mu.Unlock()
		if len(lines) >= n {
			return lines
		}
		select {
		case <-posted:
		case <-timeout:
			t.Fatalf("nimbustest: %d of %d posts arrived within %v", len(lines), n, within)
		}
	}
}
