package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// nimbusResult holds what was measured of Nimbus.
type nimbusResult struct {
	// Starts are exec → first 200 from GET /_nimbus/health, one per fresh
	// `nimbus up` process.
	Starts []time.Duration
	// IdleRSS is VmRSS of each of those processes, settle after healthy.
	IdleRSS []int64
	// Cold are the first invokes of fresh functions, each once Active.
	Cold []time.Duration
	// ColdServerCPU is the server's CPU time per cold invoke.
	ColdServerCPU time.Duration
	// Warm is the sequential warm run on one function (bench-00).
	Warm warmResult
	// Prewarmed is how many instances the throughput run started with.
	Prewarmed int
	// Throughput is the concurrent run on the same function.
	Throughput throughputResult
	// RSSAfter is VmRSS of the server after all runs (children excluded).
	RSSAfter int64
}

// buildGo builds the package pkg of the module in root into out.
func buildGo(ctx context.Context, root, out, pkg string, flags ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// startNimbus execs `nimbus up --ephemeral` (and flags) on a free loopback
// port and returns it with its URL once GET /_nimbus/health answered 200,
// and the time from exec to that answer.
func startNimbus(bin string, stderr *os.File, flags ...string) (*process, string, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", 0, err
	}
	argv := append([]string{bin, "up", "--ephemeral", "--addr", addr, "--log-level", "warn"}, flags...)
	p, t0, err := startProcess(argv, "", nil, stderr)
	if err != nil {
		return nil, "", 0, err
	}
	url := "http://" + addr
	at, err := waitHealthy(url, 20*time.Second, p.exited)
	if err != nil {
		p.stop(5 * time.Second)
		return nil, "", 0, err
	}
	return p, url, at.Sub(t0), nil
}

// waitHealthy polls GET url/_nimbus/health every pollInterval, each on a
// new connection, and returns when the first 200 arrived.
func waitHealthy(url string, timeout time.Duration, exited <-chan struct{}) (time.Time, error) {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := hc.Get(url + "/_nimbus/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
		}
		select {
		case <-exited:
			return time.Time{}, fmt.Errorf("nimbus exited before it was healthy")
		case <-time.After(pollInterval):
		}
	}
	return time.Time{}, fmt.Errorf("nimbus at %s not healthy after %v", url, timeout)
}

// nimbusStarts times o.Starts fresh servers, from exec to healthy, and
// reads each one's RSS after o.Settle.
func nimbusStarts(o options, bin string, stderr *os.File, r *nimbusResult) error {
	for i := range o.Starts {
		p, _, d, err := startNimbus(bin, stderr)
		if err != nil {
			return fmt.Errorf("start %d: %w", i+1, err)
		}
		time.Sleep(o.Settle)
		rss, err := procRSS(p.pid())
		p.stop(10 * time.Second)
		if err != nil {
			return err
		}
		r.Starts = append(r.Starts, d)
		r.IdleRSS = append(r.IdleRSS, rss)
	}
	progress("nimbus: %d starts, median %v to healthy", len(r.Starts), median(r.Starts).Round(time.Microsecond))
	return nil
}

// startNimbusMain starts the server the invoke runs use, creates o.Cold
// functions, waits for each to be Active and invokes each once (the cold
// invokes), and returns the server and a target on the first function.
// The caller stops the process.
func startNimbusMain(ctx context.Context, o options, bin string, zip []byte, stderr *os.File, perf *perfRecorder, r *nimbusResult) (*process, target, error) {
	p, url, _, err := startNimbus(bin, stderr)
	if err != nil {
		return nil, target{}, err
	}
	fail := func(err error) (*process, target, error) {
		p.stop(10 * time.Second)
		return nil, target{}, err
	}
	client := newClient(url)
	names := make([]string, max(o.Cold, 1))
	for i := range names {
		names[i] = fmt.Sprintf("bench-%02d", i)
		if err := createFunction(ctx, client, names[i], zip); err != nil {
			return fail(err)
		}
	}
	cpu0, err := procCPU(p.pid())
	if err != nil {
		return fail(err)
	}
	perf.record("nimbus-cold", func() {
		for _, name := range names {
			var d time.Duration
			if d, err = (target{client: client, function: name, proc: p}).timedInvoke(ctx, echoPayload); err != nil {
				err = fmt.Errorf("cold invoke of %s: %w", name, err)
				return
			}
			r.Cold = append(r.Cold, d)
		}
	})
	if err != nil {
		return fail(err)
	}
	cpu1, err := procCPU(p.pid())
	if err != nil {
		return fail(err)
	}
	r.ColdServerCPU = (cpu1 - cpu0) / time.Duration(len(r.Cold))
	progress("nimbus: %d cold invokes, median %v", len(r.Cold), median(r.Cold).Round(time.Microsecond))
	return p, target{client: client, function: names[0], proc: p}, nil
}

// createFunction creates a provided.al2023 function from zip and waits
// until it is Active, as a deployment script would.
func createFunction(ctx context.Context, client *lambda.Client, name string, zip []byte) error {
	return createFunctionOf(ctx, client, name, types.RuntimeProvidedal2023, "bootstrap", zip)
}

// createFunctionOf creates a function of any runtime and waits until it is
// Active.
func createFunctionOf(ctx context.Context, client *lambda.Client, name string, runtime types.Runtime, handler string, zip []byte) error {
	_, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      runtime,
		Handler:      aws.String(handler),
		Role:         aws.String("arn:aws:iam::000000000000:role/bench"),
		Code:         &types.FunctionCode{ZipFile: zip},
		Timeout:      aws.Int32(30),
	})
	if err != nil {
		return fmt.Errorf("creating function %s: %w", name, err)
	}
	w := lambda.NewFunctionActiveV2Waiter(client)
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 30*time.Second); err != nil {
		return fmt.Errorf("waiting for %s to be Active: %w", name, err)
	}
	return nil
}

// zipFiles returns a deployment package of source files (name → content).
func zipFiles(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(content)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zipBootstrap returns a deployment package holding the file at path as
// an executable named bootstrap. (nimbustest.ZipFiles does the same, but
// importing it would make the bench compile all of Nimbus.)
func zipBootstrap(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zipping %s: %w", path, err)
	}
	return buf.Bytes(), nil
}

// bootstrapPath is where run puts the test function's binary.
func bootstrapPath(work string) string { return filepath.Join(work, "function", "bootstrap") }
