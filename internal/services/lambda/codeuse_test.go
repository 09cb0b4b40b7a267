package lambda_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// gatedHandler tells the gate it started, waits until the gate lets it
// go, and only then imports a module of its code: an invocation that
// reads its code after its function has changed.
const gatedHandler = `
import json, urllib.request

def handler(event, context):
    urllib.request.urlopen(event["gate"] + "/started").read()
    urllib.request.urlopen(event["gate"] + "/go").read()
    import late
    return late.VALUE
`

// codeOnDisk reports whether a zip's code is unpacked under the server's
// data directory (<data>/code/<hex SHA-256>, its zip beside it).
func codeOnDisk(t *testing.T, n *nimbustest.Nimbus, zip []byte) bool {
	t.Helper()
	sum := sha256.Sum256(zip)
	dir := filepath.Join(n.DataDir(), "code", hex.EncodeToString(sum[:]))
	_, errDir := os.Stat(dir)
	_, errZip := os.Stat(dir + ".zip")
	if (errDir == nil) != (errZip == nil) {
		t.Fatalf("code %s: folder %v, zip %v; want both or neither", dir, errDir, errZip)
	}
	return errDir == nil
}

func TestCodeLeavesOnceUnused(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Missing(t, "no python3 on PATH to run the Python function; install Python 3")
	}
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	ctx := context.Background()
	version := func(v string) []byte {
		return zipSources(t, map[string]string{"app.py": gatedHandler, "late.py": "VALUE = " + `"` + v + `"` + "\n"})
	}
	create := func(name string, zip []byte) {
		createFunction(t, client, name, func(in *lambda.CreateFunctionInput) {
			in.Runtime, in.Handler = types.RuntimePython312, aws.String("app.handler")
			in.Code = &types.FunctionCode{ZipFile: zip}
		})
	}
	updateCode := func(name string, zip []byte) {
		t.Helper()
		if _, err := client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(name), ZipFile: zip}); err != nil {
			t.Fatal(err)
		}
	}
	deleteFunction := func(name string) {
		t.Helper()
		if _, err := client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("updates and deletes remove code no function uses", func(t *testing.T) {
		a, b, c := version("a"), version("b"), version("c")
		create("shared-1", a)
		create("shared-2", a) // the same code: one folder
		create("other", b)
		updateCode("shared-1", c)
		if !codeOnDisk(t, n, a) || !codeOnDisk(t, n, c) {
			t.Fatal("after the update: the shared code or the new code is gone")
		}
		deleteFunction("shared-2")
		if codeOnDisk(t, n, a) {
			t.Error("the code no function uses any more is still there")
		}
		updateCode("other", c) // to code another function has
		if codeOnDisk(t, n, b) || !codeOnDisk(t, n, c) {
			t.Error("after the update to shared code: the old code stayed or the shared code went")
		}
		deleteFunction("other")
		deleteFunction("shared-1")
		if codeOnDisk(t, n, c) {
			t.Error("the code of deleted functions is still there")
		}
		create("again", a) // code that was removed is unpacked afresh
		if !codeOnDisk(t, n, a) {
			t.Error("code removed earlier is not unpacked again")
		}
	})

	t.Run("an invocation in flight keeps its code until it ends", func(t *testing.T) {
		started, release := make(chan struct{}, 1), make(chan struct{})
		gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/started":
				started <- struct{}{}
			case "/go":
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}
		}))
		defer gate.Close()
		defer func() {
			select {
			case <-release:
			default:
				close(release)
			}
		}()
		v1, v2 := version("v1"), version("v2")
		create("gated", v1)
		type answer struct {
			out *lambda.InvokeOutput
			err error
		}
		done := make(chan answer, 1)
		go func() {
			out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("gated"), Payload: []byte(`{"gate":"` + gate.URL + `"}`)})
			done <- answer{out, err}
		}()
		<-started
		updateCode("gated", v2)
		deleteFunction("gated") // and no record names v1 either way
		if !codeOnDisk(t, n, v1) {
			t.Fatal("the code of a running invocation was removed")
		}
		close(release)
		a := <-done
		if a.err != nil {
			t.Fatal(a.err)
		}
		if a.out.FunctionError != nil || string(a.out.Payload) != `"v1"` {
			t.Errorf("the invocation answered %s (%s); want the module of the code it started with", a.out.Payload, aws.ToString(a.out.FunctionError))
		}
		if codeOnDisk(t, n, v1) || codeOnDisk(t, n, v2) {
			t.Error("code is still there after its last invocation ended and its function was deleted")
		}
	})
}
