package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// perfRecorder records system-wide CPU profiles with Linux perf (call
// graphs, all processes, so the client, the server, the function runtimes
// and anything else on the machine show up side by side). A nil
// *perfRecorder records nothing.
type perfRecorder struct {
	dir string
}

// newPerfRecorder returns a recorder writing into dir, or nil when dir is
// empty. It fails when perf is not installed.
func newPerfRecorder(dir string) (*perfRecorder, error) {
	if dir == "" {
		return nil, nil
	}
	if _, err := exec.LookPath("perf"); err != nil {
		return nil, fmt.Errorf("-perf needs Linux perf on PATH: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &perfRecorder{dir: dir}, nil
}

// record profiles the whole machine into dir/name.perf while fn runs.
// Read it with `perf report -i FILE --sort comm` (who used the CPU) or
// `perf report -i FILE --comms nimbus --no-children` (where in Nimbus).
func (r *perfRecorder) record(name string, fn func()) {
	if r == nil {
		fn()
		return
	}
	out := filepath.Join(r.dir, name+".perf")
	cmd := exec.Command("perf", "record", "-a", "-g", "-F", "999", "-o", out)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		progress("perf: %v; running %s without a profile", err, name)
		fn()
		return
	}
	time.Sleep(300 * time.Millisecond) // let perf attach
	fn()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait() // perf exits with SIGINT's status after writing the file
	if _, statErr := os.Stat(out); statErr != nil {
		progress("perf record for %s: %v", name, err)
		return
	}
	progress("perf: wrote %s", out)
}
