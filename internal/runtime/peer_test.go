package runtime

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nimbus-dev/nimbus/internal/sandbox"
	"github.com/nimbus-dev/nimbus/internal/sockdiag"
	"github.com/nimbus-dev/nimbus/internal/testenv"
	"golang.org/x/sys/unix"
)

// buildPeerFixture builds testdata/peerfn (static, for any view) into a
// temporary directory.
func buildPeerFixture(t *testing.T) string {
	t.Helper()
	if fixtures.missing != "" {
		testenv.Missing(t, "%s", fixtures.missing)
	}
	out := filepath.Join(t.TempDir(), "peerfn")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "./testdata/peerfn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building testdata/peerfn: %v\n%s", err, b)
	}
	return out
}

// logBuffer collects a Manager's own log, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// logger returns a debug-level text logger writing to b.
func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lines returns the lines with msg and every one of attrs ("key=value").
func (b *logBuffer) lines(msg string, attrs ...string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, line := range strings.Split(b.buf.String(), "\n") {
		ok := strings.Contains(line, `msg="`+msg+`"`)
		for _, a := range attrs {
			ok = ok && strings.Contains(line+" ", " "+a+" ")
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

const (
	refusedMsg  = "runtime: refused a Runtime API connection"
	admittedMsg = "runtime: admitted a Runtime API connection"
)

// instanceOf returns the only instance of the function name, once it is
// parked in its /next.
func (h *harness) instanceOf(name string) *instance {
	h.t.Helper()
	var found []*instance
	waitFor(h.t, name+" parked in /next", func() bool {
		h.m.mu.Lock()
		defer h.m.mu.Unlock()
		found = found[:0]
		for i := range h.m.instances {
			if i.fn.Name == name {
				found = append(found, i)
			}
		}
		return len(found) > 1 || (len(found) == 1 && found[0].state == stateIdle && found[0].polling)
	})
	if len(found) != 1 {
		h.t.Fatalf("%s has %d instances, want 1", name, len(found))
	}
	return found[0]
}

// peerOutcome is what the peerfn fixture's Runtime API call got.
type peerOutcome struct {
	Status    int    `json:"status,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Err       string `json:"err,omitempty"`
}

func TestRuntimeAPIRefusesOtherInstances(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	t.Cleanup(sb.Close) // after the Manager's Close, which releases every box
	if sb.Isolation().User != "per-instance" {
		testenv.Missing(t, "instances need a user each to be told apart (run as root on Linux, with mount namespaces): %s",
			strings.Join(sb.Missing(), "; "))
	}
	fixture := buildPeerFixture(t)
	var log logBuffer
	h := newHarness(t, fixture, Config{Sandbox: sb, Logger: log.logger()})
	a, b := h.fn("peer-a"), h.fn("peer-b")
	a.Timeout, b.Timeout = 30*time.Second, 30*time.Second

	type echo struct {
		Echo string `json:"echo"`
		UID  int    `json:"uid"`
	}
	invokeA := func(text string) (echo, bool) {
		t.Helper()
		_, resp := h.invoke(a, `{"echo":"`+text+`"}`)
		var got echo
		if err := json.Unmarshal(resp.Payload, &got); err != nil || resp.FunctionError != "" {
			t.Fatalf("A answered %s (%s)", resp.Payload, resp.FunctionError)
		}
		return got, resp.ColdStart
	}
	first, _ := invokeA("first")
	instA := h.instanceOf("peer-a") // warm, waiting for its next event

	_, resp := h.invoke(b, `{"target":"`+instA.ln.Addr().String()+`"}`)
	var got struct {
		UID                 int
		Next, Response, Own peerOutcome
	}
	if err := json.Unmarshal(resp.Payload, &got); err != nil || resp.FunctionError != "" {
		t.Fatalf("B answered %s (%s)", resp.Payload, resp.FunctionError)
	}
	denied := peerOutcome{Status: http.StatusForbidden, ErrorType: "AccessDenied"}
	// Neither A's event nor a result for A; B's own API, on a new
	// connection, answers.
	want := struct{ Next, Response, Own peerOutcome }{
		Next:     denied,
		Response: denied,
		Own:      peerOutcome{Status: http.StatusNotFound, ErrorType: "NotFound"},
	}
	if diff := cmp.Diff(want, struct{ Next, Response, Own peerOutcome }{got.Next, got.Response, got.Own}); diff != "" {
		t.Errorf("B's calls (-want +got):\n%s", diff)
	}
	if got.UID == first.UID || got.UID == 0 || first.UID == 0 {
		t.Fatalf("A runs as uid %d, B as %d: want two users of their own", first.UID, got.UID)
	}

	// A's event was not taken: it serves its next invocation, warm.
	second, cold := invokeA("second")
	if second.Echo != "second" || cold {
		t.Errorf("A's next invocation answered %+v (cold start %v), want the echo of its own event, warm", second, cold)
	}
	refused := log.lines(refusedMsg, "instance="+instA.id, fmt.Sprintf("peer_uid=%d", got.UID),
		fmt.Sprintf("instance_uid=%d", first.UID))
	if len(refused) != 2 {
		t.Errorf("%d warnings name instance A and B's uid, want 2 (one per connection):\n%s", len(refused), log.lines(refusedMsg))
	}
	if all := log.lines(refusedMsg); len(all) != 2 {
		t.Errorf("%d connections refused, want B's 2:\n%s", len(all), strings.Join(all, "\n"))
	}
}

// Without isolation every instance runs as Nimbus's user: the API admits
// that user's sockets (this process's, here) and refuses every other's.
func TestRuntimeAPIPeerWithoutIsolation(t *testing.T) {
	var log logBuffer
	h := newHarness(t, fixtures.lambda, Config{Logger: log.logger()})
	fn := h.fn("peer-plain")
	h.invoke(fn, `{"action":"count"}`)
	inst := h.instanceOf(fn.Name)
	addr := inst.ln.Addr().String()

	t.Run("Nimbus's user, once per connection", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for n := range 3 {
			status, errType, _ := roundTrip(t, c, r)
			if status != http.StatusNotFound || errType != "NotFound" {
				t.Fatalf("request %d on one connection: %d %s, want 404 NotFound", n, status, errType)
			}
		}
		if got := log.lines(admittedMsg, "peer="+c.LocalAddr().String()); len(got) != 1 {
			t.Errorf("connection checked %d times for 3 requests, want once", len(got))
		}
	})

	t.Run("another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			testenv.Missing(t, "connecting as another user needs root (run the tests as root)")
		}
		const uid = 4243
		fd := socketAs(t, uid)
		f := os.NewFile(uintptr(fd), "peer")
		defer f.Close()
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Connect(fd, &unix.SockaddrInet4{Port: tcp.Port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A failure bound only: the refusal closes the connection at once.
		if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		status, errType, closed := roundTrip(t, c, r)
		if status != http.StatusForbidden || errType != "AccessDenied" || !closed {
			t.Errorf("answer %d %s (closing %v), want 403 AccessDenied and the connection closed", status, errType, closed)
		}
		if _, err := r.ReadByte(); err != io.EOF {
			t.Errorf("after the refusal, read %v, want EOF", err)
		}
		if got := log.lines(refusedMsg, "instance="+inst.id, fmt.Sprintf("peer_uid=%d", uid),
			fmt.Sprintf("instance_uid=%d", os.Geteuid())); len(got) != 1 {
			t.Errorf("%d warnings name the instance and uid %d, want 1:\n%s", len(got), uid, log.lines(refusedMsg))
		}
	})

	_, resp := h.invoke(fn, `{"action":"count"}`)
	if string(resp.Payload) != "2" || resp.ColdStart {
		t.Errorf("next invocation answered %s (cold start %v), want 2 from the warm instance", resp.Payload, resp.ColdStart)
	}
}

// roundTrip sends a request for an unknown path on c and reads the answer.
func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader) (status int, errType string, closing bool) {
	t.Helper()
	if _, err := io.WriteString(c, "GET /2018-06-01/runtime/no/such/path HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ ErrorType string }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, e.ErrorType, resp.Close
}

// socketAs creates an IPv4 TCP socket owned by uid (its creator's fsuid),
// on a thread of its own that is thrown away.
func socketAs(t *testing.T, uid int) int {
	t.Helper()
	type result struct {
		fd  int
		err error
	}
	done := make(chan result)
	go func() {
		// The thread's filesystem uid is changed and restored, never left
		// changed, and the thread survives: a locked goroutine that exits
		// ends its thread, and an instance forked from that thread would
		// get its Pdeathsig (SIGKILL).
		goruntime.LockOSThread()
		defer goruntime.UnlockOSThread()
		prev, _ := unix.SetfsuidRetUid(uid)
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if _, rerr := unix.SetfsuidRetUid(prev); rerr != nil && err == nil {
			err = rerr
		}
		done <- result{fd, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.fd
}

func TestJudgePeer(t *testing.T) {
	const want = 990001
	for _, tt := range []struct {
		name string
		s    sockdiag.Socket
		err  string
	}{
		{"the instance's socket", sockdiag.Socket{State: sockdiag.StateEstablished, UID: want, Inode: 7}, ""},
		{"half-closed, still held", sockdiag.Socket{State: 5 /* FIN_WAIT2 */, UID: want, Inode: 7}, ""},
		{"another user's socket", sockdiag.Socket{State: sockdiag.StateEstablished, UID: 990002, Inode: 7},
			"the peer runs as uid 990002, the instance as uid 990001"},
		{"root's socket", sockdiag.Socket{State: sockdiag.StateEstablished, UID: 0, Inode: 7},
			"the peer runs as uid 0, the instance as uid 990001"},
		{"an orphan", sockdiag.Socket{State: 4 /* FIN_WAIT1 */, UID: want, Inode: 0}, "the peer's socket is closed"},
		{"TIME_WAIT", sockdiag.Socket{State: sockdiag.StateTimeWait, UID: want, Inode: 7}, "the peer's socket is closed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := judgePeer(tt.s, want)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.err {
				t.Errorf("judgePeer(%+v) = %q, want %q", tt.s, got, tt.err)
			}
		})
	}
	// A closed socket of root's is refused even when the instance is root's:
	// the kernel reports uid 0 for sockets no process holds.
	if err := judgePeer(sockdiag.Socket{State: sockdiag.StateTimeWait}, 0); err == nil {
		t.Error("a closed socket reported as root's was admitted for an instance of root's")
	}
}

// BenchmarkAdmit is what a new Runtime API connection pays once: the
// kernel lookup of its peer and the verdict. Requests on an admitted
// connection pay nothing more.
func BenchmarkAdmit(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	i := &instance{m: &Manager{log: slog.New(slog.DiscardHandler)}, cmd: &exec.Cmd{}}
	b.ReportAllocs()
	for b.Loop() {
		if err := i.admit(server); err != nil {
			b.Fatal(err)
		}
	}
}
