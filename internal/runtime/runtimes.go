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
	// command returns the argv that starts an instance. An *entrypointError
	// becomes the invocation's Runtime.InvalidEntrypoint.
	command func(codeDir, handler string) ([]string, error)
	// runtimeDir is LAMBDA_RUNTIME_DIR.
	runtimeDir string
}

// runtimes is the table of runtimes the Manager runs, by Lambda identifier.
var runtimes = map[string]runtimeSpec{
	"provided.al2023": {command: bootstrapCommand, runtimeDir: "/var/runtime"},
	"provided.al2":    {command: bootstrapCommand, runtimeDir: "/var/runtime"},
	"provided":        {command: bootstrapCommand, runtimeDir: "/var/runtime"},
	"go1.x":           {command: handlerCommand, runtimeDir: "/var/runtime"},
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
func bootstrapCommand(codeDir, _ string) ([]string, error) {
	path := filepath.Join(codeDir, "bootstrap")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, &entrypointError{fmt.Sprintf("Couldn't find valid bootstrap(s): [%s]", path)}
	}
	return []string{path}, nil
}

// handlerCommand runs the executable the handler names (go1.x).
func handlerCommand(codeDir, handler string) ([]string, error) {
	if handler == "" || filepath.Base(handler) != handler {
		return nil, &entrypointError{fmt.Sprintf("invalid handler %q", handler)}
	}
	return []string{filepath.Join(codeDir, handler)}, nil
}
