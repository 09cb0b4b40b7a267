package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// echoPayload is the event of every measured invoke: the test function
// answers it with a small JSON document.
const echoPayload = `{"action":"echo"}`

// newClient returns the aws-sdk-go-v2 Lambda client every measurement uses:
// default settings (HTTP client, signing, timeouts) except the endpoint,
// static credentials, the region and a single attempt, so throttles and
// errors are counted instead of retried away.
func newClient(endpoint string) *lambda.Client {
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBENCH", "SECRETBENCH", ""),
	}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
}

// target is one server under measurement: a client pointed at it, the
// function to invoke, and the process whose CPU time is charged to it.
type target struct {
	client   *lambda.Client
	function string
	proc     *process
	// serial, when set, is held around every invoke: callers queue in the
	// client instead of reaching the server concurrently.
	serial *sync.Mutex
}

// invoke makes one synchronous Invoke with payload and fails on a
// transport error, a non-200 status or a function error.
func (t target) invoke(ctx context.Context, payload string) error {
	if t.serial != nil {
		t.serial.Lock()
		defer t.serial.Unlock()
	}
	out, err := t.client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(t.function), Payload: []byte(payload)})
	if err != nil {
		return err
	}
	if out.StatusCode != 200 {
		return fmt.Errorf("invoke answered status %d", out.StatusCode)
	}
	if out.FunctionError != nil {
		return fmt.Errorf("function error %s: %s", *out.FunctionError, out.Payload)
	}
	return nil
}

// timedInvoke is invoke with its client-side latency.
func (t target) timedInvoke(ctx context.Context, payload string) (time.Duration, error) {
	t0 := time.Now()
	err := t.invoke(ctx, payload)
	return time.Since(t0), err
}

// warmResult is one target's share of the interleaved warm runs.
type warmResult struct {
	// Latencies holds the client-side latency of each successful invoke.
	Latencies []time.Duration
	// Errors counts failed invokes; the first one is FirstError.
	Errors     int
	FirstError error
	// ServerCPU is the CPU time of the target's process over its calls,
	// divided by the number of calls.
	ServerCPU time.Duration
	// ChildCPU is the same for the target's child processes (the function's
	// runtime); HasChildCPU is false when it has none.
	ChildCPU    time.Duration
	HasChildCPU bool
	// Elapsed is the time spent in the target's calls.
	Elapsed time.Duration
	// ClientCPU is the bench's own CPU time (the client) during the
	// target's calls, and MachineCPU what all processes on the machine used
	// meanwhile.
	ClientCPU, MachineCPU time.Duration
}

// warmRuns makes warmup unmeasured invokes on each target, then n
// sequential measured ones each (stopping early after limit), interleaved
// in blocks of block calls per target so that all targets share whatever
// else the machine is doing. CPU is sampled around every block.
func warmRuns(ctx context.Context, targets []target, warmup, n, block int, limit time.Duration) ([]warmResult, error) {
	for _, t := range targets {
		for range warmup {
			if err := t.invoke(ctx, echoPayload); err != nil {
				return nil, fmt.Errorf("warm-up invoke of %s: %w", t.function, err)
			}
		}
	}
	results := make([]warmResult, len(targets))
	serverCPU := make([]time.Duration, len(targets))
	childCPU := make([]time.Duration, len(targets))
	deadline := time.Now().Add(limit)
	for done := 0; done < n && time.Now().Before(deadline) && ctx.Err() == nil; done += block {
		for i, t := range targets {
			s, err := sampleCPU(t.proc.pid())
			if err != nil {
				return nil, err
			}
			r := &results[i]
			t0 := time.Now()
			for range min(block, n-done) {
				d, err := t.timedInvoke(ctx, echoPayload)
				if err != nil {
					if r.Errors++; r.FirstError == nil {
						r.FirstError = err
					}
					continue
				}
				r.Latencies = append(r.Latencies, d)
			}
			r.Elapsed += time.Since(t0)
			e, err := sampleCPU(t.proc.pid())
			if err != nil {
				return nil, err
			}
			serverCPU[i] += e.server - s.server
			childCPU[i] += cpuDelta(s.children, e.children)
			r.ClientCPU += e.client - s.client
			r.MachineCPU += e.machine - s.machine
			r.HasChildCPU = len(e.children) > 0
		}
	}
	for i := range results {
		if calls := time.Duration(len(results[i].Latencies) + results[i].Errors); calls > 0 {
			results[i].ServerCPU = serverCPU[i] / calls
			results[i].ChildCPU = childCPU[i] / calls
		}
	}
	return results, nil
}

// cpuSample is the CPU time used so far by a server, its children, the
// bench itself and the whole machine.
type cpuSample struct {
	server, client, machine time.Duration
	children                map[int]time.Duration
}

// sampleCPU samples the CPU of server pid and the rest.
func sampleCPU(pid int) (cpuSample, error) {
	var s cpuSample
	var err error
	if s.server, err = procCPU(pid); err != nil {
		return s, err
	}
	s.children = childrenCPU(pid)
	if s.client, err = procCPU(os.Getpid()); err != nil {
		return s, err
	}
	s.machine, err = machineBusy()
	return s, err
}

// throughputResult is a closed-loop run of concurrent callers.
type throughputResult struct {
	Callers int
	OK      int
	// Errors counts failed invokes by kind (HTTP status and error code).
	Errors  map[string]int
	Elapsed time.Duration
	// Exited reports that the server process was gone after the run.
	Exited bool
	// ServerCPU, ChildCPU and ClientCPU are the CPU time the target, its
	// children and the bench itself (the SDK clients) used during the run;
	// MachineCPU is what all processes on the machine used.
	ServerCPU, ChildCPU, ClientCPU, MachineCPU time.Duration
}

// PerSecond is the rate of successful invokes.
func (r throughputResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// ErrorCount is the number of failed invokes.
func (r throughputResult) ErrorCount() int {
	n := 0
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// ErrorSummary lists the error kinds, most frequent first.
func (r throughputResult) ErrorSummary() string {
	kinds := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return r.Errors[kinds[i]] > r.Errors[kinds[j]] })
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d× %s", r.Errors[k], k)
	}
	return strings.Join(parts, ", ")
}

// throughput runs callers goroutines that invoke back to back until
// maxCalls invokes have been started or limit has passed, whichever comes
// first, and counts successes and failures.
func throughput(ctx context.Context, t target, callers, maxCalls int, limit time.Duration) throughputResult {
	var (
		started atomic.Int64
		ok      atomic.Int64
		mu      sync.Mutex
		wg      sync.WaitGroup
	)
	errs := map[string]int{}
	start, _ := sampleCPU(t.proc.pid())
	t0 := time.Now()
	deadline := t0.Add(limit)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for started.Add(1) <= int64(maxCalls) && time.Now().Before(deadline) && ctx.Err() == nil {
				if err := t.invoke(ctx, echoPayload); err != nil {
					mu.Lock()
					errs[errorKind(err)]++
					mu.Unlock()
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	r := throughputResult{Callers: callers, OK: int(ok.Load()), Errors: errs, Elapsed: time.Since(t0)}
	end, err := sampleCPU(t.proc.pid())
	if err != nil || t.proc.hasExited() {
		r.Exited = true // its CPU is gone with it
		return r
	}
	r.ServerCPU, r.ClientCPU = end.server-start.server, end.client-start.client
	r.ChildCPU, r.MachineCPU = cpuDelta(start.children, end.children), end.machine-start.machine
	return r
}

// errorKind names an invoke failure for counting: the HTTP status and AWS
// error code when the server answered, the error text otherwise.
func errorKind(err error) string {
	var kind []string
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		kind = append(kind, fmt.Sprintf("HTTP %d", re.HTTPStatusCode()))
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && len(kind) > 0 {
		kind = append(kind, ae.ErrorCode())
	}
	if len(kind) == 0 {
		s := err.Error()
		if i := strings.LastIndex(s, ": "); i >= 0 {
			s = s[i+2:]
		}
		kind = append(kind, s)
	}
	return strings.Join(kind, " ")
}

// prewarm makes n concurrent invokes that each sleep for hold, so a server
// that scales out has n warm instances when it returns. It returns how
// many succeeded; a server that runs one invocation at a time refuses the
// others.
func prewarm(ctx context.Context, t target, n int, hold time.Duration) int {
	var ok atomic.Int64
	var wg sync.WaitGroup
	payload := fmt.Sprintf(`{"action":"sleep","ms":%d}`, hold.Milliseconds())
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if t.invoke(ctx, payload) == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(ok.Load())
}
