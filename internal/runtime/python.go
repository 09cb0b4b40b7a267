package runtime

import (
	_ "embed"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// pythonBootstrap is the program that runs Python handlers: it speaks the
// Runtime API and implements Lambda's Python handler conventions.
//
//go:embed python/bootstrap.py
var pythonBootstrap []byte

// python returns the interpreter for a pythonX.Y runtime: that version on
// the host, else the host's python3 with a warning.
func (in *interpreters) python(runtime string) interpreter {
	return in.lookup(runtime, func() interpreter {
		version := strings.TrimPrefix(runtime, "python")
		if path, err := in.realPython("python" + version); err == nil {
			return interpreter{path: path}
		}
		if path, err := in.realPython("python3"); err == nil {
			return interpreter{path: path,
				fallback: fmt.Sprintf("Nimbus: no python%s on this machine; running %s on %s", version, runtime, path)}
		}
		return interpreter{err: fmt.Errorf("no Python interpreter for %s: install python%s (or python3)", runtime, version)}
	}, func(it *interpreter) { it.sdkPath = in.boto3Dir() })
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
