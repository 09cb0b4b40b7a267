package nimbustest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Recorder collects what functions post to it: the test function's
// "record" action sends its request id. Functions run isolated, so a
// loopback URL is how they tell a test they ran.
type Recorder struct {
	srv   *httptest.Server
	mu    sync.Mutex
	lines []string
}

// NewRecorder starts a Recorder that stops with the test.
func NewRecorder(t testing.TB) *Recorder {
	r := &Recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.lines = append(r.lines, string(body))
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
