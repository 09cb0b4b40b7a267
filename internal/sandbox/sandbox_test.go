package sandbox

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// newSandbox returns a Sandbox, skipping the test where the host cannot
// isolate fully (not root, no cgroups) unless NIMBUS_REQUIRE_ISOLATION is
// set, which turns the skip into a failure.
func newSandbox(t *testing.T) *Sandbox {
	t.Helper()
	s := New(Options{})
	t.Cleanup(s.Close)
	if !s.Isolation().Complete() {
		msg := "isolation not available here: " + strings.Join(s.Missing(), "; ")
		if os.Getenv("NIMBUS_REQUIRE_ISOLATION") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return s
}

type box struct {
	*Box
	dir, code, tmp string
}

func prepare(t *testing.T, s *Sandbox, id string, memory int64) box {
	t.Helper()
	dir := t.TempDir()
	code := filepath.Join(dir, "code")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{code, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(code, "hello.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := s.Prepare(Spec{
		ID: id, Root: filepath.Join(dir, "root"), Tmp: tmp,
		Binds:       []Bind{{Host: code, View: "/var/task"}},
		MemoryBytes: memory, FileSizeBytes: 1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	return box{b, dir, code, tmp}
}

// run runs a shell script in b and returns its output and error.
func (b box) run(t *testing.T, script string) (string, error) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = "/var/task"
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := b.Start(cmd); err != nil {
		t.Fatalf("Start: %v", err)
	}
	err := cmd.Wait()
	return out.String(), err
}

func TestViewAndUser(t *testing.T) {
	s := newSandbox(t)
	b := prepare(t, s, "view", 64<<20)
	defer b.Release()
	out, err := b.run(t, `
pwd
cat /var/task/hello.txt; echo
id -u
echo $$
touch /var/task/new 2>/dev/null && echo task-writable || echo task-readonly
touch /usr/new 2>/dev/null && echo usr-writable || echo usr-readonly
echo data > /tmp/file && cat /tmp/file
ls /proc | grep -E '^[0-9]+$' | wc -l
ls /opt | wc -l
ulimit -n
`)
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	// The user id is the first free one from 990000, host-wide.
	want := []string{"/var/task", "hello", "", "1", "task-readonly", "usr-readonly", "data", "", "0", "1024"}
	got := strings.Split(strings.TrimSpace(out), "\n")
	if len(got) != len(want) {
		t.Fatalf("output:\n%s", out)
	}
	for i, w := range want {
		if w != "" && got[i] != w {
			t.Errorf("line %d = %q, want %q\n%s", i, got[i], w, out)
		}
	}
	if uid, err := strconv.Atoi(got[2]); err != nil || uid < 990000 || uid != b.uid {
		t.Errorf("uid %s, want the box's own (%d), from 990000", got[2], b.uid)
	}
	// Only the shell and ls (and wc, grep) of this instance exist in /proc.
	if n := strings.TrimSpace(got[7]); n == "0" || len(n) > 1 {
		t.Errorf("processes visible in /proc: %s", n)
	}
	if data, err := os.ReadFile(filepath.Join(b.tmp, "file")); err != nil || string(data) != "data\n" {
		t.Errorf("host view of /tmp/file: %q, %v", data, err)
	}
}

func TestInstancesCannotSeeEachOther(t *testing.T) {
	s := newSandbox(t)
	a := prepare(t, s, "a", 64<<20)
	defer a.Release()
	b := prepare(t, s, "b", 64<<20)
	defer b.Release()

	// a keeps running with a secret in its /tmp while b looks for it.
	// It says "written" once the secret is there: b must fail to find a
	// secret that is there, not one not written yet.
	cmd := exec.Command("/bin/sh", "-c", "echo secret > /tmp/secret; echo written; exec sleep 30")
	said, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(cmd); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if line, err := bufio.NewReader(said).ReadString('\n'); line != "written\n" {
		t.Fatalf("a never wrote its secret: %q, %v", line, err)
	}
	if data, _ := os.ReadFile(filepath.Join(a.tmp, "secret")); string(data) != "secret\n" {
		t.Fatalf("a's secret, seen from the host: %q", data)
	}
	out, err := b.run(t, `
test -e /tmp/secret && echo own-tmp-has-it || echo own-tmp-clean
cat `+a.tmp+`/secret 2>/dev/null || echo host-path-refused
cat /proc/`+strconv.Itoa(cmd.Process.Pid)+`/root/tmp/secret 2>/dev/null || echo proc-refused
ls /proc | grep -c -x `+strconv.Itoa(cmd.Process.Pid)+`
`)
	_ = err // grep -c exits 1 when it counts 0
	want := "own-tmp-clean\nhost-path-refused\nproc-refused\n0\n"
	if out != want {
		t.Errorf("b saw:\n%s\nwant:\n%s", out, want)
	}
}

func TestMemoryLimitKills(t *testing.T) {
	s := newSandbox(t)
	b := prepare(t, s, "oom", 32<<20)
	defer b.Release()
	// Holds 64 MB in the shell's memory: past the 32 MB limit.
	out, err := b.run(t, `x=$(head -c 67108864 /dev/zero | tr '\0' a); echo survived ${#x}`)
	if err == nil || !strings.Contains(err.Error(), "signal: killed") {
		t.Fatalf("err = %v, output %q; want killed", err, out)
	}
	if !b.OOMKilled() {
		t.Error("OOMKilled() = false")
	}
	if peak := b.PeakMemoryBytes(); peak < 30<<20 || peak > 33<<20 {
		t.Errorf("peak = %d, want about the 32 MB limit", peak)
	}
}

func TestFileSizeLimit(t *testing.T) {
	s := newSandbox(t)
	b := prepare(t, s, "fsize", 64<<20)
	defer b.Release()
	out, _ := b.run(t, `trap '' XFSZ; head -c 2097152 /dev/zero > /tmp/big 2>/dev/null; stat -c %s /tmp/big`)
	if strings.TrimSpace(out) != "1048576" {
		t.Errorf("size of a 2 MB write under a 1 MB limit: %q", out)
	}
}

// BenchmarkStart measures what isolation adds to starting a process:
// /bin/true in a prepared box (cgroups, view, user) against a plain start.
func BenchmarkStart(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		for range b.N {
			if err := exec.Command("/bin/true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("isolated", func(b *testing.B) {
		s := New(Options{})
		defer s.Close()
		if !s.Isolation().Complete() {
			b.Skip("isolation not available here")
		}
		for n := range b.N {
			dir := b.TempDir()
			tmp := filepath.Join(dir, "tmp")
			if err := os.Mkdir(tmp, 0o700); err != nil {
				b.Fatal(err)
			}
			box, err := s.Prepare(Spec{ID: "bench" + strconv.Itoa(n), Root: filepath.Join(dir, "root"), Tmp: tmp,
				Binds: []Bind{{Host: dir, View: "/var/task"}}, MemoryBytes: 128 << 20})
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command("/bin/true")
			if err := box.Start(cmd); err != nil {
				b.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				b.Fatal(err)
			}
			box.Release()
		}
	})
}

func TestCgroupLimits(t *testing.T) {
	s := newSandbox(t)
	b := prepare(t, s, "limits", 96<<20)
	defer b.Release()
	limit := "memory.limit_in_bytes"
	if b.cg.v2 {
		limit = "memory.max"
	}
	if got, _ := os.ReadFile(filepath.Join(b.cg.memory, limit)); strings.TrimSpace(string(got)) != strconv.Itoa(96<<20) {
		t.Errorf("%s = %q, want %d", limit, got, 96<<20)
	}
	pidsDir := b.cg.pids
	if b.cg.v2 {
		pidsDir = b.cg.memory
	}
	if pidsDir == "" {
		t.Skip("no pids controller here")
	}
	if got, _ := os.ReadFile(filepath.Join(pidsDir, "pids.max")); strings.TrimSpace(string(got)) != "1024" {
		t.Errorf("pids.max = %q, want 1024", got)
	}
	// The process runs inside both groups.
	out, err := b.run(t, "cat /proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{b.cg.memory, pidsDir} {
		if rel := filepath.Base(dir); !strings.Contains(out, "/"+rel+"\n") {
			t.Errorf("/proc/self/cgroup does not name %s:\n%s", rel, out)
		}
	}
}
