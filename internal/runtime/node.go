package runtime

import (
	_ "embed"
	"fmt"
	"os/exec"
	"strings"
)

// nodeBootstrap is the program that runs Node.js handlers: it speaks the
// Runtime API and implements Lambda's Node.js handler conventions.
//
//go:embed node/bootstrap.mjs
var nodeBootstrap []byte

// node returns the interpreter for a nodejsNN.x runtime: the host's node,
// which serves other major versions with a warning line in the log.
func (in *interpreters) node(runtime string) interpreter {
	return in.lookup(runtime, func() interpreter {
		major := strings.TrimSuffix(strings.TrimPrefix(runtime, "nodejs"), ".x")
		if _, err := exec.LookPath("node"); err != nil {
			return interpreter{err: fmt.Errorf("no Node.js interpreter for %s: install nodejs (node %s)", runtime, major)}
		}
		out, err := exec.Command("node", "-p", "process.execPath + ' ' + process.versions.node").Output()
		if err != nil {
			return interpreter{err: fmt.Errorf("running node: %w", err)}
		}
		path, version, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
		it := interpreter{path: path}
		if !strings.HasPrefix(version, major+".") {
			it.fallback = fmt.Sprintf("Nimbus: no Node.js %s on this machine; running %s on node %s (%s)", major, runtime, version, path)
		}
		return it
	}, nil)
}

// nodeCommand runs the handler with the embedded bootstrap.
func (m *Manager) nodeCommand(fn *Function) ([]string, error) {
	it := m.interpreters.node(fn.Runtime)
	if it.err != nil {
		return nil, &entrypointError{it.err.Error()}
	}
	boot, err := m.bootstrapFile("node", "bootstrap.mjs", nodeBootstrap)
	if err != nil {
		return nil, err
	}
	return []string{it.path, boot}, nil
}
