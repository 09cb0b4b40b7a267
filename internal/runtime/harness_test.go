package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbus-dev/nimbus/internal/testenv"
	"go.uber.org/goleak"
)

// fixtures are the test functions, built once by TestMain.
var fixtures struct {
	missing string // why process tests cannot run: no go toolchain
	lambda  string // aws-lambda-go function (testdata/lambdafn)
	raw     string // plain net/http runtime (testdata/rawfn)
}

func TestMain(m *testing.M) {
	// Must not reach instances: they get no host environment but PATH.
	os.Setenv("NIMBUS_HOST_SECRET", "leak")
	code := func() int {
		dir, err := os.MkdirTemp("", "nimbus-runtime-fixtures-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		// A fixture that does not build is a failure, not a reason to skip:
		// only a missing toolchain skips the process tests (newHarness).
		if err := buildFixtures(dir); err != nil {
			fmt.Fprintln(os.Stderr, "building the test fixtures:", err)
			return 1
		}
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// buildFixtures builds the fixtures into dir, or records in
// fixtures.missing that there is no go toolchain to build them with.
func buildFixtures(dir string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		fixtures.missing = "no go toolchain on PATH to build the test functions (install Go): " + err.Error()
		return nil
	}
	fixtures.lambda = filepath.Join(dir, "lambdafn")
	fixtures.raw = filepath.Join(dir, "rawfn")
	for _, b := range []struct{ out, pkg, tags string }{
		{fixtures.lambda, "./testdata/lambdafn", "lambda.norpc"},
		{fixtures.raw, "./testdata/rawfn", ""},
	} {
		cmd := exec.Command(goTool, "build", "-tags", b.tags, "-o", b.out, b.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s: %v\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// memSink is a LogSink in memory.
type memSink struct {
	mu      sync.Mutex
	streams map[string][]LogEvent // group + " " + stream
	order   []string
}

func (s *memSink) AppendFunctionLogs(account, region, group, stream string, events []LogEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streams == nil {
		s.streams = map[string][]LogEvent{}
	}
	key := group + " " + stream
	if _, ok := s.streams[key]; !ok {
		s.order = append(s.order, key)
	}
	s.streams[key] = append(s.streams[key], events...)
}

// streamNames returns the streams of group, in creation order.
func (s *memSink) streamNames(group string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, key := range s.order {
		if g, name, _ := strings.Cut(key, " "); g == group {
			names = append(names, name)
		}
	}
	return names
}

// messages returns the messages of every stream of group, in order.
func (s *memSink) messages(group string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var msgs []string
	for _, key := range s.order {
		if g, _, _ := strings.Cut(key, " "); g == group {
			for _, e := range s.streams[key] {
				msgs = append(msgs, e.Message)
			}
		}
	}
	return msgs
}

// harness runs a Manager over a private copy of a fixture.
type harness struct {
	t       *testing.T
	m       *Manager
	sink    *memSink
	codeDir string
}

// newHarness starts a Manager whose functions run fixture (a path in
// fixtures, or "" for an empty code dir). cfg.Logs is set.
func newHarness(t *testing.T, fixture string, cfg Config) *harness {
	t.Helper()
	if fixtures.missing != "" {
		testenv.Missing(t, "%s", fixtures.missing)
	}
	t.Parallel()
	h := &harness{t: t, sink: &memSink{}, codeDir: t.TempDir()}
	if fixture != "" {
		installFixture(t, fixture, filepath.Join(h.codeDir, "bootstrap"))
	}
	cfg.Logs = h.sink
	if cfg.WorkDir == "" {
		cfg.WorkDir = t.TempDir()
	}
	m, err := NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a failure bound
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		if s := m.Stats(); s != (Stats{}) {
			t.Errorf("after Close, Stats = %+v", s)
		}
		if pids := processesIn(h.codeDir); len(pids) > 0 {
			t.Errorf("after Close, processes still run from %s: %v", h.codeDir, pids)
		}
		entries, _ := os.ReadDir(cfg.WorkDir)
		for _, e := range entries {
			if e.Name() != "runtimes" { // the embedded bootstraps, kept for the Manager's life
				t.Errorf("after Close, work dir holds %s", e.Name())
			}
		}
	})
	return h
}

// installFixture hard-links (or copies) a fixture, so that the processes
// of one test can be told from another's by /proc/PID/exe.
func installFixture(t *testing.T, src, dst string) {
	t.Helper()
	if os.Link(src, dst) == nil {
		return
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// processesIn lists the processes whose executable lies in dir.
func processesIn(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var pids []string
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasPrefix(exe, dir+string(filepath.Separator)) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// fn returns a provided.al2023 function over the harness's code dir.
func (h *harness) fn(name string) *Function {
	return &Function{
		Account:  "000000000000",
		Region:   "us-east-1",
		Name:     name,
		Version:  "$LATEST",
		ARN:      "arn:aws:lambda:us-east-1:000000000000:function:" + name,
		Runtime:  "provided.al2023",
		Handler:  "bootstrap",
		CodeDir:  h.codeDir,
		Revision: "r1",
		MemoryMB: 128,
		Timeout:  3 * time.Second,
		LogGroup: "/aws/lambda/" + name,
	}
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// invoke runs payload and fails the test on an Invoke error. It asks for
// the log tail, so Invoke returns once the invocation has ended, with its
// REPORT figures; TestEarlyAnswer covers answers without it.
func (h *harness) invoke(fn *Function, payload string) (*Request, *Response) {
	h.t.Helper()
	req := &Request{ID: newRequestID(), Payload: []byte(payload), Tail: true}
	resp, err := h.m.Invoke(context.Background(), fn, req)
	if err != nil {
		h.t.Fatalf("Invoke(%s): %v", payload, err)
	}
	settle(h.t, h.m)
	return req, resp
}

// settle waits until every invocation that answered its caller early has
// finished (logged END and REPORT, freed its instance).
func settle(t *testing.T, m *Manager) {
	t.Helper()
	waitFor(t, "invocations to finish", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, p := range m.pools {
			if p.finishing > 0 {
				return false
			}
		}
		return true
	})
}

// waitFor polls cond until it holds. Its deadline, a minute, only bounds
// a failure: nothing a test waits for takes that long, even on a loaded
// machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopped waits until every instance of m has been stopped completely:
// process reaped, log flushed, directory removed.
func stopped(t *testing.T, m *Manager) {
	t.Helper()
	waitFor(t, "every instance to stop", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.instances) == 0
	})
}

// gate returns the path of a file that does not exist yet, for the
// fixture's "block" action (which returns once the file exists), and the
// function that creates it. A test holds an invocation, and its slot, for
// as long as it needs, whatever the machine's speed.
func gate(t *testing.T) (path string, release func()) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "release")
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(release) // a failed test must not leave its invocation blocked
	return path, release
}

// blockPayload is the event of the fixture's "block" action on path.
func blockPayload(path string) []byte {
	return []byte(`{"action":"block","text":` + strconv.Quote(path) + `}`)
}
