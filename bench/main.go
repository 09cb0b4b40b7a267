// Command bench measures Nimbus against AWS's Lambda Runtime Interface
// Emulator (RIE) running the same function binary, through the same
// aws-sdk-go-v2 Lambda client, in the same run, and against floors: a bare
// net/http server answering Invoke (server CPU per invoke) and the bare
// function process starting (cold start).
//
// Run it from the repository root:
//
//	go run ./bench            # 1–2 minutes; writes bench/results.md
//	go run ./bench -h         # the knobs
//
// It builds `nimbus` and the test function (internal/nimbustest/testfunc,
// as a provided.al2023 `bootstrap`) into a temporary directory, then
// measures, each server as a subprocess on 127.0.0.1:
//
//   - start: exec → first 200 from GET /_nimbus/health (Nimbus), exec →
//     first accepted TCP connection (RIE, which starts its runtime lazily);
//   - idle RSS after start (VmRSS);
//   - cold invoke: the first invoke of fresh Active functions (Nimbus), the
//     first invoke of fresh RIE processes;
//   - warm invoke latency over sequential calls, and server CPU per call from
//     /proc/PID/stat (Nimbus, RIE and the floor server);
//   - throughput of concurrent callers, warm.
//
// RIE is looked up on PATH and in $(go env GOPATH)/bin; when it is missing
// the bench says how to install it and measures Nimbus alone.
//
// Then SQS (bench/sqs.go) and DynamoDB (bench/dynamodb.go): Nimbus against
// dynalite and moto_server and a bare net/http floor, through one
// aws-sdk-go-v2 DynamoDB client; then DynamoDB Streams (bench/ddbstream.go):
// Nimbus against moto_server. `-only dynamodb` measures DynamoDB alone and
// replaces just the DynamoDB section of the report; `-only streams` does the
// same for DynamoDB Streams. `-only sqs-backlog` (bench/sqsbacklog.go, not
// part of a plain run: about 10 minutes) fills a queue with a million 1 KB
// messages and measures memory, start time and the drain:
//
//	go run ./bench -only dynamodb -rev HEAD
//	go run ./bench -only streams -rev HEAD
//	go run ./bench -only sqs-backlog -backlog-n 100000
//
// The machine is usually shared: the bench waits (-wait-idle) for it to calm
// down, interleaves the warm runs of the three servers, and reports how much
// CPU other processes took during each run. -rev HEAD measures a commit
// instead of the working tree; -perf DIR records system-wide perf profiles
// of Nimbus's cold, warm and throughput phases.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// options are the bench's knobs, set by flags.
type options struct {
	// Starts is how many fresh `nimbus up` processes are timed; default 10.
	Starts int
	// RIEStarts is how many fresh RIE processes are timed and cold-invoked;
	// default 10.
	RIEStarts int
	// Cold is how many fresh Nimbus functions are cold-invoked; default 20.
	Cold int
	// Warmup is how many unmeasured invokes precede a warm run; default 20.
	Warmup int
	// Warm is how many sequential invokes a warm run makes; default 1000.
	Warm int
	// Block is how many calls a warm run makes on one server before moving
	// to the next; default 100.
	Block int
	// Callers is the concurrency of the throughput runs; default 16.
	Callers int
	// Calls bounds each throughput run's invokes; default 20000.
	Calls int
	// Limit bounds each warm and throughput run's time; default 10s.
	Limit time.Duration
	// Settle is how long a fresh server idles before its RSS is read;
	// default 500ms.
	Settle time.Duration
	// RIE is the aws-lambda-rie binary; default: found on PATH or in
	// $(go env GOPATH)/bin.
	RIE string
	// Out is where the report is written; default bench/results.md in the
	// repository.
	Out string
	// Perf, when set, is a directory where system-wide perf profiles of
	// Nimbus's cold, warm and throughput runs are written; default: none.
	Perf string
	// WaitIdle is how long the bench waits, after building, for a second in
	// which less than a fifth of the machine's CPU is busy (other work
	// skews every figure); default 30s. It runs anyway after that.
	WaitIdle time.Duration
	// Goaws is the goaws binary for the SQS comparison; default: goaws on
	// PATH, then in $(go env GOPATH)/bin.
	Goaws string
	// Rev, when set, is a git revision whose tree (git archive) is built and
	// measured instead of the working tree; default: the working tree.
	Rev string
	// Only, when set, names the one part that is measured ("dynamodb",
	// "streams" or "sqs-backlog"); its section of Out is replaced and the
	// rest kept. Default: every part but sqs-backlog.
	Only string
	// Backlog configures -only sqs-backlog.
	Backlog backlogOptions
}

func main() {
	var o options
	var floorAddr string
	flag.IntVar(&o.Starts, "starts", 10, "fresh `nimbus up` processes to time")
	flag.IntVar(&o.RIEStarts, "rie-starts", 10, "fresh RIE processes to time and cold-invoke")
	flag.IntVar(&o.Cold, "cold", 20, "fresh Nimbus functions to cold-invoke")
	flag.IntVar(&o.Warmup, "warmup", 20, "unmeasured invokes before each warm run")
	flag.IntVar(&o.Warm, "warm", 1000, "sequential calls per warm (single-worker) run")
	flag.IntVar(&o.Block, "block", 100, "warm calls per server before switching to the next (the warm runs are interleaved)")
	flag.IntVar(&o.Callers, "callers", 16, "concurrent callers in the throughput runs")
	flag.IntVar(&o.Calls, "calls", 20000, "most calls per throughput run")
	flag.DurationVar(&o.Limit, "duration", 10*time.Second, "longest warm or throughput run")
	flag.DurationVar(&o.Settle, "settle", 500*time.Millisecond, "idle time after start before reading RSS")
	flag.StringVar(&o.RIE, "rie", "", "path of aws-lambda-rie (default: PATH, then $(go env GOPATH)/bin)")
	flag.StringVar(&o.Out, "out", "", "report file (default bench/results.md in the repository)")
	flag.StringVar(&o.Perf, "perf", "", "write system-wide perf profiles of Nimbus's runs into `DIR` (needs Linux perf)")
	flag.DurationVar(&o.WaitIdle, "wait-idle", 30*time.Second, "wait up to this long for the machine to be mostly idle before measuring")
	flag.StringVar(&o.Goaws, "goaws", "", "goaws binary for the SQS comparison (default: PATH, then $(go env GOPATH)/bin/goaws)")
	flag.StringVar(&o.Rev, "rev", "", "measure this git revision (e.g. HEAD) instead of the working tree")
	flag.StringVar(&o.Only, "only", "", "measure only this `part` (dynamodb, streams or sqs-backlog) and replace only its section of the report")
	registerBacklogFlags(&o.Backlog)
	flag.StringVar(&floorAddr, "floor-server", "", "internal: serve the floor server on `ADDR` and nothing else")
	flag.Parse()

	if floorAddr != "" {
		if err := serveFloor(floorAddr); err != nil {
			fmt.Fprintln(os.Stderr, "bench: floor server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run builds what is measured, measures Nimbus, RIE and the floor, and
// prints and writes the report.
func run(ctx context.Context, o options) (err error) {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if o.Out == "" {
		o.Out = filepath.Join(root, "bench", "results.md")
	}
	if o.Only != "" && o.Only != "dynamodb" && o.Only != "streams" && o.Only != "sqs-backlog" {
		return fmt.Errorf("-only %q: the parts that run alone are dynamodb, streams and sqs-backlog", o.Only)
	}
	work, err := os.MkdirTemp("", "nimbus-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	// The servers' own logs (warnings and errors only) go here and are shown
	// when something fails.
	logf, err := os.Create(filepath.Join(work, "servers.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	defer func() {
		if err != nil {
			showLog(logf.Name())
		}
	}()

	start := time.Now()
	src, commit := root, workingTreeCommit(root)
	if o.Rev != "" {
		src = filepath.Join(work, "src")
		if commit, err = exportRev(root, o.Rev, src); err != nil {
			return err
		}
	}
	if o.Only != "" {
		progress("building nimbus at %s (not timed)", commit)
	} else {
		progress("building nimbus and the test function at %s (not timed)", commit)
	}
	nimbusBin := filepath.Join(work, "nimbus")
	if err = buildGo(ctx, src, nimbusBin, "./cmd/nimbus"); err != nil {
		return err
	}
	switch o.Only {
	case "dynamodb":
		return runDynamoDBOnly(ctx, o, nimbusBin, work, commit, logf)
	case "streams":
		return runStreamsOnly(ctx, o, root, nimbusBin, work, commit, logf)
	case "sqs-backlog":
		return runSQSBacklogOnly(ctx, o, nimbusBin, work, commit, logf)
	}
	bootstrap := bootstrapPath(work)
	if err = buildGo(ctx, src, bootstrap, "./internal/nimbustest/testfunc", "-tags", "lambda.norpc", "-trimpath"); err != nil {
		return err
	}
	zip, err := zipBootstrap(bootstrap)
	if err != nil {
		return err
	}

	busy := waitIdle(o.WaitIdle)
	perf, err := newPerfRecorder(o.Perf)
	if err != nil {
		return err
	}
	rieBin, findErr := findRIE(o.RIE)
	if findErr != nil {
		fmt.Fprintf(os.Stderr, "bench: %v; install it with\n\n\t%s\n\nMeasuring Nimbus and the floor only.\n", findErr, rieInstall)
		rieBin = ""
	}
	nim, rie, floor, err := measure(ctx, o, nimbusBin, rieBin, bootstrap, zip, logf, perf)
	if err != nil {
		return err
	}
	rt, err := measureRuntimes(ctx, o, nimbusBin, zip, logf)
	if err != nil {
		return fmt.Errorf("measuring runtimes and isolation: %w", err)
	}
	sqsfn := filepath.Join(work, "sqsfn", "bootstrap")
	if err = buildGo(ctx, src, sqsfn, "./bench/sqsfn", "-tags", "lambda.norpc", "-trimpath"); err != nil {
		return err
	}
	sqsZip, err := zipBootstrap(sqsfn)
	if err != nil {
		return err
	}
	delivery, err := measureSQSDelivery(ctx, nimbusBin, sqsZip, 100, logf)
	if err != nil {
		return fmt.Errorf("measuring SQS → Lambda delivery: %w", err)
	}
	sqsReport, err := runSQSComparison(ctx, src, nimbusBin, findGoaws(o.Goaws))
	if err != nil {
		return err
	}
	ddb, err := measureDynamoDB(ctx, o, nimbusBin, work, logf)
	if err != nil {
		return fmt.Errorf("measuring DynamoDB: %w", err)
	}
	streams, err := measureDDBStreams(ctx, o, root, nimbusBin, work, logf)
	if err != nil {
		return fmt.Errorf("measuring DynamoDB Streams: %w", err)
	}
	progress("measured in %v", time.Since(start).Round(time.Second))

	m := describeMachine(commit)
	m.Busy = busy
	report := renderReport(m, o, nim, rie, floor, rt) + renderSQS(delivery, sqsReport) + renderDynamoDB(m, o, ddb) +
		renderDDBStreams(m, o, streams)
	fmt.Print(report)
	if err = os.WriteFile(o.Out, []byte(report), 0o644); err != nil {
		return err
	}
	progress("wrote %s", o.Out)
	return nil
}

// runDynamoDBOnly measures DynamoDB alone (-only dynamodb), prints its
// section and writes it into o.Out in place of the old one.
func runDynamoDBOnly(ctx context.Context, o options, nimbusBin, work, commit string, logf *os.File) error {
	start := time.Now()
	busy := waitIdle(o.WaitIdle)
	ddb, err := measureDynamoDB(ctx, o, nimbusBin, work, logf)
	if err != nil {
		return fmt.Errorf("measuring DynamoDB: %w", err)
	}
	progress("measured in %v", time.Since(start).Round(time.Second))
	m := describeMachine(commit)
	m.Busy = busy
	section := renderDynamoDB(m, o, ddb)
	fmt.Print(section)
	if err := writeSection(o.Out, "## DynamoDB", section); err != nil {
		return err
	}
	progress("wrote the DynamoDB section of %s", o.Out)
	return nil
}

// measure runs every measurement, in an order that keeps the comparison
// fair on a shared machine: first the fresh-process figures (starts, idle
// RSS, cold invokes, the cold-start floor), then, with Nimbus, RIE and the
// floor server all running, the warm runs interleaved in blocks, then the
// throughput runs, RIE's concurrent one last since it kills RIE. rieBin ""
// skips RIE.
func measure(ctx context.Context, o options, nimbusBin, rieBin, bootstrap string, zip []byte, logf *os.File, perf *perfRecorder) (*nimbusResult, *rieResult, *floorResult, error) {
	nim, floor := &nimbusResult{}, &floorResult{}
	var rie *rieResult
	if err := nimbusStarts(o, nimbusBin, logf, nim); err != nil {
		return nil, nil, nil, fmt.Errorf("measuring nimbus: %w", err)
	}
	if rieBin != "" {
		rie = &rieResult{}
		if err := rieStarts(ctx, o, rieBin, bootstrap, logf, rie); err != nil {
			return nil, nil, nil, fmt.Errorf("measuring RIE (%s): %w", rieBin, err)
		}
	}
	var err error
	if floor.ColdStart, err = coldFloor(bootstrap, o.Starts, logf); err != nil {
		return nil, nil, nil, fmt.Errorf("cold-start floor: %w", err)
	}
	progress("floor: bootstrap exec → first /next, median %v", median(floor.ColdStart).Round(time.Microsecond))

	nimProc, nimT, err := startNimbusMain(ctx, o, nimbusBin, zip, logf, perf, nim)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("measuring nimbus: %w", err)
	}
	defer nimProc.stop(10 * time.Second)
	floorProc, floorT, err := startFloorServer(logf)
	if err != nil {
		return nil, nil, nil, err
	}
	defer floorProc.stop(5 * time.Second)
	targets := []target{nimT, floorT}
	var rieProc *process
	var rieT target
	if rie != nil {
		if rieProc, rieT, err = startRIEMain(ctx, rieBin, bootstrap, logf); err != nil {
			return nil, nil, nil, fmt.Errorf("measuring RIE: %w", err)
		}
		defer rieProc.stop(5 * time.Second)
		targets = append(targets, rieT)
	}

	var warm []warmResult
	perf.record("nimbus-warm", func() { warm, err = warmRuns(ctx, targets, o.Warmup, o.Warm, o.Block, o.Limit) })
	if err != nil {
		return nil, nil, nil, err
	}
	nim.Warm, floor.Warm = warm[0], warm[1]
	progress("warm: p50 nimbus %v, floor %v", median(nim.Warm.Latencies).Round(time.Microsecond), median(floor.Warm.Latencies).Round(time.Microsecond))
	if rie != nil {
		rie.Warm = warm[2]
		progress("warm: p50 rie %v", median(rie.Warm.Latencies).Round(time.Microsecond))
	}

	nim.Prewarmed = prewarm(ctx, nimT, o.Callers, 300*time.Millisecond)
	perf.record("nimbus-throughput", func() { nim.Throughput = throughput(ctx, nimT, o.Callers, o.Calls, o.Limit) })
	progress("nimbus: %d callers, %.0f invokes/s", o.Callers, nim.Throughput.PerSecond())
	if nim.RSSAfter, err = procRSS(nimProc.pid()); err != nil {
		return nil, nil, nil, err
	}
	floor.Throughput = throughput(ctx, floorT, o.Callers, o.Calls, o.Limit)
	progress("floor: %d callers, %.0f invokes/s", o.Callers, floor.Throughput.PerSecond())
	if rie != nil {
		queued := rieT
		queued.serial = &sync.Mutex{}
		rie.Queued = throughput(ctx, queued, o.Callers, o.Calls, o.Limit)
		progress("rie: %d callers queued in the client, %.0f invokes/s", o.Callers, rie.Queued.PerSecond())
		if rie.RSSAfter, err = procRSS(rieProc.pid()); err != nil {
			return nil, nil, nil, err
		}
		rie.Throughput = throughput(ctx, rieT, o.Callers, o.Calls, o.Limit)
		if rie.Throughput.Exited {
			rie.Crash = lastLine(logf.Name(), "panic:")
		}
		progress("rie: %d callers, %.0f invokes/s, %d errors; exited: %v", o.Callers, rie.Throughput.PerSecond(),
			rie.Throughput.ErrorCount(), rie.Throughput.Exited)
	}
	return nim, rie, floor, nil
}

// waitIdle waits up to limit for a second in which less than 20% of all
// CPUs is busy and returns the busy share of the last second measured.
func waitIdle(limit time.Duration) float64 {
	deadline := time.Now().Add(limit)
	for {
		busy := busyShare(time.Second)
		if busy < 0.2 || time.Now().After(deadline) {
			return busy
		}
		progress("machine %.0f%% busy; waiting for it to calm down (-wait-idle %v)", 100*busy, limit)
	}
}

// repoRoot is the directory of the main module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("run the bench inside the nimbus module (go run ./bench from the repository root)")
	}
	return filepath.Dir(mod), nil
}

// progress prints a progress line to stderr.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// showLog prints the tail of the servers' log to stderr.
func showLog(path string) {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return
	}
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	fmt.Fprintf(os.Stderr, "bench: the servers logged:\n%s\n", b)
}
