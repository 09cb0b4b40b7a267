// Package nodesdk keeps the AWS SDK for JavaScript v3 that Node.js
// functions import without bundling it, as they do on Lambda. It lives in a
// cache directory every Nimbus server finds, ephemeral ones included, and
// is installed by an explicit step (nimbus setup node-sdk), never on the
// fly: npm needs the network, and an invocation must not wait for it.
package nodesdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Packages are the SDK clients of the services Nimbus serves.
var Packages = []string{
	"@aws-sdk/client-lambda",
	"@aws-sdk/client-cloudwatch-logs",
}

// Dir is the cache directory: $NIMBUS_CACHE_DIR/node-sdk, else
// nimbus/node-sdk under the user's cache directory (~/.cache).
func Dir() (string, error) {
	if d := os.Getenv("NIMBUS_CACHE_DIR"); d != "" {
		return filepath.Join(d, "node-sdk"), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set NIMBUS_CACHE_DIR: %w", err)
	}
	return filepath.Join(base, "nimbus", "node-sdk"), nil
}

// NodeModules returns the node_modules directory of the installed SDK, or
// "" when it is not installed.
func NodeModules() string {
	dir, err := Dir()
	if err != nil {
		return ""
	}
	nm := filepath.Join(dir, "node_modules")
	for _, p := range Packages {
		if _, err := os.Stat(filepath.Join(nm, p, "package.json")); err != nil {
			return ""
		}
	}
	return nm
}

// Install installs Packages into the cache directory with npm, writing
// npm's output to out.
func Install(ctx context.Context, out io.Writer) (string, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", errors.New("npm is not installed: install Node.js and npm (apt-get install nodejs npm)")
	}
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// A package.json of its own keeps npm from climbing to a parent project.
	manifest := filepath.Join(dir, "package.json")
	if _, err := os.Stat(manifest); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(manifest, []byte(`{"name":"nimbus-node-sdk","private":true,"description":"The AWS SDK v3 that Nimbus gives Node.js functions"}`+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	args := append([]string{"install", "--no-audit", "--no-fund", "--omit=dev", "--prefix", dir}, Packages...)
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install: %w", err)
	}
	if NodeModules() == "" {
		return "", fmt.Errorf("npm finished but %s lacks the SDK packages", dir)
	}
	return filepath.Join(dir, "node_modules"), nil
}
