package runtime

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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
	overrides map[string]string // runtime → binary, from Config.Interpreters
	mu        sync.Mutex
	found     map[string]interpreter
	resolved  map[string]resolution // realPython by command name
	boto3     *string               // boto3Dir, once looked up
}

type resolution struct {
	path string
	err  error
}

type interpreter struct {
	path string
	// sdkPath is a directory holding boto3 that Python handlers may import
	// when neither their bundle nor their interpreter has it, as on Lambda.
	sdkPath string
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
	if path, ok := in.overrides[runtime]; ok {
		it = configured(runtime, path)
	} else if path, err := in.realPython("python" + version); err == nil {
		it.path = path
	} else if path, err := in.realPython("python3"); err == nil {
		it.path = path
		it.fallback = fmt.Sprintf("Nimbus: no python%s on this machine; running %s on %s", version, runtime, path)
	} else {
		it.err = fmt.Errorf("no Python interpreter for %s: install python%s (or python3)", runtime, version)
	}
	if it.err == nil {
		it.sdkPath = in.boto3Dir()
	}
	if in.found == nil {
		in.found = map[string]interpreter{}
	}
	in.found[runtime] = it
	return it
}

// boto3Dir finds, once, the host's boto3 (the site-packages directory of
// the python3 that has it), or "". in.mu must be held.
func (in *interpreters) boto3Dir() string {
	if in.boto3 != nil {
		return *in.boto3
	}
	dir := ""
	if path, err := in.realPython("python3"); err == nil {
		out, err := exec.Command(path, "-c", "import boto3, os; print(os.path.dirname(os.path.dirname(boto3.__file__)))").Output()
		if err == nil {
			dir = strings.TrimSpace(string(out))
		}
	}
	in.boto3 = &dir
	return dir
}

// configured checks an interpreter given in Config.Interpreters.
func configured(runtime, path string) interpreter {
	if _, err := exec.LookPath(path); err != nil {
		return interpreter{err: fmt.Errorf("the interpreter configured for %s, %s, cannot run: %w", runtime, path, err)}
	}
	return interpreter{path: path}
}

// RuntimeInfo says how a managed runtime runs on this host.
type RuntimeInfo struct {
	Runtime string
	// Interpreter is the binary that runs it, "" when none can.
	Interpreter string
	// Note is the fallback warning or why the runtime cannot run.
	Note string
}

// Runtimes describes every runtime the Manager knows, managed ones with
// their interpreters, sorted by name.
func (m *Manager) Runtimes() []RuntimeInfo {
	return m.interpreters.describe()
}

// DescribeRuntimes is Manager.Runtimes for a host without a Manager, with
// the given interpreter overrides.
func DescribeRuntimes(overrides map[string]string) []RuntimeInfo {
	in := &interpreters{overrides: overrides}
	return in.describe()
}

func (in *interpreters) describe() []RuntimeInfo {
	names := make([]string, 0, len(runtimes))
	for name := range runtimes {
		names = append(names, name)
	}
	sort.Strings(names)
	infos := make([]RuntimeInfo, 0, len(names))
	for _, name := range names {
		it := in.of(name)
		info := RuntimeInfo{Runtime: name, Interpreter: it.path, Note: it.fallback}
		if it.err != nil {
			info.Note = it.err.Error()
		}
		if it.path == "" && it.err == nil {
			info.Note = "custom runtime: runs the bootstrap (or Handler binary) in the code"
		}
		infos = append(infos, info)
	}
	return infos
}

// realPython resolves name on PATH to the interpreter binary it runs, once.
// in.mu must be held.
func (in *interpreters) realPython(name string) (string, error) {
	if r, ok := in.resolved[name]; ok {
		return r.path, r.err
	}
	path, err := realPython(name)
	if in.resolved == nil {
		in.resolved = map[string]resolution{}
	}
	in.resolved[name] = resolution{path, err}
	return path, err
}

// realPython resolves name on PATH to the interpreter binary it runs.
func realPython(name string) (string, error) {
	found, err := exec.LookPath(name)
	if err != nil {
		return "", err
	}
	// A pyenv shim for pythonX.Y: the installed versions are beside it,
	// and asking the shim costs seconds when the version is installed but
	// not selected. (A bare python3 asks the shim: pyenv's selection wins.)
	if dir := filepath.Dir(found); filepath.Base(dir) == "shims" && strings.Count(name, ".") == 1 {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "versions", "*", "bin", name))
		sort.Strings(matches)
		if len(matches) > 0 {
			return matches[len(matches)-1], nil
		}
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
	argv := []string{it.path, "-u", boot}
	if it.sdkPath != "" {
		argv = append(argv, it.sdkPath)
	}
	return argv, nil
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
