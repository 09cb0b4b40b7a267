package runtime

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

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

// lookup returns runtime's interpreter, found once: the one configured in
// Config.Interpreters, else what find finds on the host. complete, when
// set, adds to a usable interpreter. find and complete run with in.mu held.
func (in *interpreters) lookup(runtime string, find func() interpreter, complete func(*interpreter)) interpreter {
	in.mu.Lock()
	defer in.mu.Unlock()
	if it, ok := in.found[runtime]; ok {
		return it
	}
	var it interpreter
	if path, ok := in.overrides[runtime]; ok {
		it = configured(runtime, path)
	} else {
		it = find()
	}
	if it.err == nil && complete != nil {
		complete(&it)
	}
	if in.found == nil {
		in.found = map[string]interpreter{}
	}
	in.found[runtime] = it
	return it
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
