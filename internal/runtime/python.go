package runtime

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// pythonBootstrap is the program that runs Python handlers: it speaks the
// Runtime API and implements Lambda's Python handler conventions.
//
//go:embed python/bootstrap.py
var pythonBootstrap []byte

// interpreters finds the real interpreter binaries for the managed
// runtimes, once each: a version manager's shim (pyenv) costs ~100 ms per
// start, the binary it points to does not. Safe for concurrent use.
type interpreters struct {
	mu    sync.Mutex
	found map[string]interpreter
}

type interpreter struct {
	path string
	// fallback is set when the runtime's own version is missing and the
	// host's default serves instead; the function's log says so.
	fallback string
	err      error
}

// python returns the interpreter for a pythonX.Y runtime.
func (in *interpreters) python(runtime string) interpreter {
	in.mu.Lock()
	defer in.mu.Unlock()
	if it, ok := in.found[runtime]; ok {
		return it
	}
	version := strings.TrimPrefix(runtime, "python")
	it := interpreter{}
	if path, err := realPython("python" + version); err == nil {
		it.path = path
	} else if path, err := realPython("python3"); err == nil {
		it.path = path
		it.fallback = fmt.Sprintf("Nimbus: no python%s on this machine; running %s on %s", version, runtime, path)
	} else {
		it.err = fmt.Errorf("no Python interpreter for %s: install python%s (or python3)", runtime, version)
	}
	if in.found == nil {
		in.found = map[string]interpreter{}
	}
	in.found[runtime] = it
	return it
}

// realPython resolves name on PATH to the interpreter binary it runs.
func realPython(name string) (string, error) {
	if _, err := exec.LookPath(name); err != nil {
		return "", err
	}
	out, err := exec.Command(name, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("running %s: %w", name, err)
	}
	path := strings.TrimSpace(string(out))
	if path == "" {
		return "", fmt.Errorf("%s reports no executable", name)
	}
	return path, nil
}

// pythonCommand runs the handler with the embedded bootstrap, written once
// under the manager's work directory.
func (m *Manager) pythonCommand(fn *Function) ([]string, error) {
	it := m.interpreters.python(fn.Runtime)
	if it.err != nil {
		return nil, &entrypointError{it.err.Error()}
	}
	boot, err := m.bootstrapFile("python", "bootstrap.py", pythonBootstrap)
	if err != nil {
		return nil, err
	}
	// -u: unbuffered output, so print lands in its invocation's log frame.
	return []string{it.path, "-u", boot}, nil
}

// bootstrapFile writes an embedded bootstrap to the work directory once and
// returns its path.
func (m *Manager) bootstrapFile(lang, name string, content []byte) (string, error) {
	m.bootMu.Lock()
	defer m.bootMu.Unlock()
	path := filepath.Join(m.cfg.WorkDir, "runtimes", lang, name)
	if m.bootWritten[path] {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		return "", err
	}
	if m.bootWritten == nil {
		m.bootWritten = map[string]bool{}
	}
	m.bootWritten[path] = true
	return path, nil
}

// Supports reports whether this host can run runtime, and why not: a
// managed runtime needs its interpreter.
func (m *Manager) Supports(runtime string) error {
	if _, err := lookupRuntime(runtime); err != nil {
		return err
	}
	return m.interpreters.of(runtime).err
}

// of returns the interpreter of a managed runtime; custom runtimes need none.
func (in *interpreters) of(runtime string) interpreter {
	switch {
	case strings.HasPrefix(runtime, "python"):
		return in.python(runtime)
	case strings.HasPrefix(runtime, "nodejs"):
		return in.node(runtime)
	}
	return interpreter{}
}
