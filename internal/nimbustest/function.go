package nimbustest

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	zipBytes  []byte
	buildErr  string
)

// FunctionZip returns a deployment package holding the test function
// (package testfunc) built as `bootstrap` for provided.al2023. It is built
// once per test binary; the test is skipped when no Go toolchain is found.
func FunctionZip(t testing.TB) []byte {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = "skip: no go toolchain on PATH to build the test function"
			return
		}
		dir, err := os.MkdirTemp("", "nimbus-testfunc-")
		if err != nil {
			buildErr = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "bootstrap")
		cmd := exec.Command(goTool, "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, "github.com/nimbus-dev/nimbus/internal/nimbustest/testfunc")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = "building the test function: " + err.Error() + "\n" + string(out)
			return
		}
		zipBytes, err = ZipFiles(map[string]string{bin: "bootstrap"})
		if err != nil {
			buildErr = err.Error()
		}
	})
	if buildErr != "" {
		if len(buildErr) > 5 && buildErr[:5] == "skip:" {
			t.Skip(buildErr)
		}
		t.Fatal(buildErr)
	}
	return zipBytes
}

// ZipFiles zips files (path on disk → name in the zip), keeping their modes.
func ZipFiles(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for path, name := range files {
		info, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		hdr, err := zip.FileInfoHeader(info)
		if err != nil {
			return nil, err
		}
		hdr.Name = name
		hdr.Method = zip.Deflate
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
