package nimbustest

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// builds caches one build per fixture package for the test binary.
var builds sync.Map // package path → *build

type build struct {
	once sync.Once
	zip  []byte
	err  string
}

// FunctionZip returns a deployment package holding the test function
// (package testfunc) built as `bootstrap` for provided.al2023. It is built
// once per test binary; the test is skipped when no Go toolchain is found.
func FunctionZip(t testing.TB) []byte {
	t.Helper()
	return fixtureZip(t, "github.com/nimbus-dev/nimbus/internal/nimbustest/testfunc")
}

// SDKFunctionZip returns the package of sdkfunc, a function that calls
// Lambda with the AWS SDK from inside its instance.
func SDKFunctionZip(t testing.TB) []byte {
	t.Helper()
	return fixtureZip(t, "github.com/nimbus-dev/nimbus/internal/nimbustest/sdkfunc")
}

func fixtureZip(t testing.TB, pkg string) []byte {
	t.Helper()
	v, _ := builds.LoadOrStore(pkg, &build{})
	b := v.(*build)
	b.once.Do(func() { b.zip, b.err = buildBootstrap(pkg) })
	if strings.HasPrefix(b.err, "skip:") {
		t.Skip(b.err)
	}
	if b.err != "" {
		t.Fatal(b.err)
	}
	return b.zip
}

// buildBootstrap builds pkg as a Lambda `bootstrap` and zips it.
func buildBootstrap(pkg string) ([]byte, string) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return nil, "skip: no go toolchain on PATH to build the test function"
	}
	dir, err := os.MkdirTemp("", "nimbus-testfunc-")
	if err != nil {
		return nil, err.Error()
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.Command(goTool, "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, "building " + pkg + ": " + err.Error() + "\n" + string(out)
	}
	zip, err := ZipFiles(map[string]string{bin: "bootstrap"})
	if err != nil {
		return nil, err.Error()
	}
	return zip, ""
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

// CreateFunction deploys the test function (FunctionZip) under name with
// the provided.al2023 runtime, failing the test on error.
func CreateFunction(t testing.TB, client *lambda.Client, name string) *lambda.CreateFunctionOutput {
	t.Helper()
	out, err := client.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::000000000000:role/test"), Code: &types.FunctionCode{ZipFile: FunctionZip(t)},
	})
	if err != nil {
		t.Fatalf("CreateFunction(%s): %v", name, err)
	}
	return out
}
