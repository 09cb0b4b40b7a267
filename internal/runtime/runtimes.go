package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// runtimeSpec says how to run the functions of one Lambda runtime. Adding a
// runtime is adding an entry to runtimes.
type runtimeSpec struct {
	// command returns the argv that starts an instance of fn. An
	// *entrypointError becomes the invocation's Runtime.InvalidEntrypoint.
	command func(m *Manager, fn *Function) ([]string, error)
	// runtimeDir is LAMBDA_RUNTIME_DIR.
	runtimeDir string
}

// runtimes is the table of runtimes the Manager runs, by Lambda identifier.
var runtimes = map[string]runtimeSpec{
	"provided.al2023": {command: bootstrapCommand, runtimeDir: "/var/runtime"},
	"provided.al2":    {command: bootstrapCommand, runtimeDir: "/var/runtime"},
	"provided":        {command: bootstrapCommand, runtimeDir: "/var/runtime"},
	"go1.x":           {command: handlerCommand, runtimeDir: "/var/runtime"},
	"python3.9":       {command: (*Manager).pythonCommand, runtimeDir: "/var/runtime"},
	"python3.10":      {command: (*Manager).pythonCommand, runtimeDir: "/var/runtime"},
	"python3.11":      {command: (*Manager).pythonCommand, runtimeDir: "/var/runtime"},
	"python3.12":      {command: (*Manager).pythonCommand, runtimeDir: "/var/runtime"},
	"python3.13":      {command: (*Manager).pythonCommand, runtimeDir: "/var/runtime"},
	"python3.14":      {command: (*Manager).pythonCommand, runtimeDir: "/var/runtime"},
	"nodejs18.x":      {command: (*Manager).nodeCommand, runtimeDir: "/var/runtime"},
	"nodejs20.x":      {command: (*Manager).nodeCommand, runtimeDir: "/var/runtime"},
	"nodejs22.x":      {command: (*Manager).nodeCommand, runtimeDir: "/var/runtime"},
	"nodejs24.x":      {command: (*Manager).nodeCommand, runtimeDir: "/var/runtime"},
}

func lookupRuntime(name string) (runtimeSpec, error) {
	spec, ok := runtimes[name]
	if !ok {
		return runtimeSpec{}, fmt.Errorf("%w %q", ErrUnsupportedRuntime, name)
	}
	return spec, nil
}

// entrypointError is a function whose entry point cannot be started.
type entrypointError struct{ msg string }

func (e *entrypointError) Error() string { return e.msg }

// bootstrapCommand runs CodeDir/bootstrap, as custom runtimes do.
func bootstrapCommand(_ *Manager, fn *Function) ([]string, error) {
	path := filepath.Join(fn.CodeDir, "bootstrap")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, &entrypointError{fmt.Sprintf("Couldn't find valid bootstrap(s): [%s]", path)}
	}
	return []string{path}, nil
}

// handlerCommand runs the executable the handler names (go1.x).
func handlerCommand(_ *Manager, fn *Function) ([]string, error) {
	if fn.Handler == "" || filepath.Base(fn.Handler) != fn.Handler {
		return nil, &entrypointError{fmt.Sprintf("invalid handler %q", fn.Handler)}
	}
	return []string{filepath.Join(fn.CodeDir, fn.Handler)}, nil
}
