package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// built is the nimbus binary the tests run, built once per test binary
// into builtDir (TestMain removes it).
var built struct {
	once     sync.Once
	bin, err string
}

var builtDir string

// buildNimbus builds this command once, as the release is built: static,
// CGO_ENABLED=0 (a test checks it is), into a temporary directory.
func buildNimbus(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(t, "no go toolchain on PATH to build nimbus")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "nimbus-cmd-test-")
		if err != nil {
			built.err = err.Error()
			return
		}
		builtDir = dir
		bin := filepath.Join(dir, "nimbus")
		// -buildvcs=auto overrides a GOFLAGS=-buildvcs=false of the machine:
		// the binary records its commit, as a release build does.
		cmd := exec.Command(goTool, "build", "-buildvcs=auto", "-o", bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Sprintf("building nimbus: %v\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != "" {
		t.Fatal(built.err)
	}
	return built.bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a `nimbus up` running as a real subprocess.
type process struct {
	cmd *exec.Cmd
	url string
}

func startNimbus(t *testing.T, bin, addr, dataDir string) *process {
	t.Helper()
	cmd := exec.Command(bin, "up", "--addr", addr, "--data-dir", dataDir, "--log-level", "warn")
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, url: "http://" + addr}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.url + "/_nimbus/health")
		if err == nil {
			var health struct{ Status string }
			json.NewDecoder(resp.Body).Decode(&health)
			resp.Body.Close()
			if health.Status == "running" {
				return p
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nimbus at %s never became healthy", addr)
	return nil
}

func (p *process) client() *lambda.Client {
	return lambda.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(p.url),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")},
		func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
}

// TestKillNineKeepsAcknowledgedWork kills `nimbus up` with SIGKILL while
// invocations run and after acknowledged writes, restarts it on the same
// data directory, and checks that the functions are intact and that every
// acknowledged Event invoke ran at least once.
func TestKillNineKeepsAcknowledgedWork(t *testing.T) {
	bin := buildNimbus(t)
	zip := nimbustest.FunctionZip(t)
	dataDir := t.TempDir()
	record := nimbustest.NewRecorder(t)
	addr := freeAddr(t)
	ctx := context.Background()

	p := startNimbus(t, bin, addr, dataDir)
	client := p.client()
	for _, name := range []string{"recorder", "other"} {
		if _, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
			Role: aws.String("arn:aws:iam::000000000000:role/r"), Code: &types.FunctionCode{ZipFile: zip}, Timeout: aws.Int32(30),
		}); err != nil {
			t.Fatal(err)
		}
	}
	// A synchronous invocation is in flight when the server dies.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("other"), Payload: []byte(`{"action":"sleep","ms":10000}`)})
	}()
	var acked []string
	payload := fmt.Sprintf(`{"action":"record","url":%q,"ms":100}`, record.URL())
	for i := 0; i < 20; i++ {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("recorder"),
			InvocationType: types.InvocationTypeEvent, Payload: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		if out.StatusCode != 202 {
			t.Fatalf("Event invoke answered %d", out.StatusCode)
		}
		id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
		acked = append(acked, id)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	wg.Wait()

	p = startNimbus(t, bin, addr, dataDir)
	client = p.client()
	for _, name := range []string{"recorder", "other"} {
		if _, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}); err != nil {
			t.Fatalf("after kill -9, GetFunction(%s): %v", name, err)
		}
	}
	out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("other"), Payload: []byte(`{"action":"echo"}`)})
	if err != nil || out.FunctionError != nil {
		t.Fatalf("after kill -9, invoke: %v %s", err, out.Payload)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ran := map[string]bool{}
		for _, id := range record.Lines() {
			ran[id] = true
		}
		var missing []string
		for _, id := range acked {
			if !ran[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged Event invokes never ran: %v", len(missing), len(acked), missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSIGTERMFinishesInFlightInvocations stops `nimbus up` with SIGTERM
// while a function runs: the invocation completes, the process exits 0.
func TestSIGTERMFinishesInFlightInvocations(t *testing.T) {
	bin := buildNimbus(t)
	p := startNimbus(t, bin, freeAddr(t), t.TempDir())
	client := p.client()
	nimbustest.CreateFunction(t, client, "slow")
	rec := nimbustest.NewRecorder(t)
	done := make(chan error, 1)
	var out *lambda.InvokeOutput
	go func() {
		var err error
		// The function tells the recorder it runs, then works for a second.
		payload := fmt.Sprintf(`{"action":"record","url":%q,"ms":1000}`, rec.URL())
		out, err = client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(payload)})
		done <- err
	}()
	rec.WaitFor(t, 1, 60*time.Second) // the invocation runs
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil || out.FunctionError != nil {
		t.Fatalf("the in-flight invocation: %v %v", err, out)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("nimbus up exited with %v after SIGTERM", err)
	}
}
