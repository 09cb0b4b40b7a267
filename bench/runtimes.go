package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Targets of the runtimes issue.
const (
	targetLangColdOverBare = 30 * time.Millisecond  // managed-runtime cold invoke over the bare interpreter's start
	targetIsolationCost    = 5 * time.Millisecond   // isolated cold start over a plain one
	targetLangWarmOverGo   = 500 * time.Microsecond // managed-runtime warm p50 over the Go function's
)

// langCase is a managed runtime measured: a handler answering the event,
// and the command that is the interpreter's own start.
type langCase struct {
	runtime, handler, file, source string
	bare                           []string // after the interpreter's path
}

var langCases = []langCase{
	{runtime: "python3.12", handler: "app.handler", file: "app.py",
		source: "def handler(event, context):\n    return event\n", bare: []string{"-c", "pass"}},
	{runtime: "nodejs20.x", handler: "index.handler", file: "index.mjs",
		source: "export const handler = async (event) => event;\n", bare: []string{"-e", "0"}},
}

// langResult is what was measured of one managed runtime.
type langResult struct {
	Runtime, Interpreter string
	// Skipped says why the runtime was not measured ("" when it was).
	Skipped string
	// Bare are exec → exit of the interpreter doing nothing, interleaved
	// with Cold.
	Bare []time.Duration
	// Cold are first invokes of fresh functions, each once Active.
	Cold []time.Duration
	// Warm is its share of the interleaved warm run with the Go function.
	Warm warmResult
}

// runtimesResult holds the managed runtimes' and isolation's figures.
type runtimesResult struct {
	Langs []langResult
	// Isolation is what the isolated server reported in its health.
	Isolation string
	// ColdIsolated and ColdPlain are cold invokes of fresh Go functions on a
	// server isolating its instances and on one with --isolation off,
	// interleaved.
	ColdIsolated, ColdPlain []time.Duration
	// GoWarm is the Go function's share of the warm run.
	GoWarm warmResult
}

// measureRuntimes measures the Python and Node.js runtimes against their
// bare interpreters and the Go function, and what isolation adds to a cold
// start, on two fresh servers: one isolating as far as this host allows,
// one with --isolation off.
func measureRuntimes(ctx context.Context, o options, bin string, goZip []byte, stderr *os.File) (*runtimesResult, error) {
	res := &runtimesResult{}
	iso, isoURL, _, err := startNimbus(bin, stderr)
	if err != nil {
		return nil, err
	}
	defer iso.stop(10 * time.Second)
	plain, plainURL, _, err := startNimbus(bin, stderr, "--isolation", "off")
	if err != nil {
		return nil, err
	}
	defer plain.stop(10 * time.Second)
	if res.Isolation, err = isolationOf(isoURL); err != nil {
		return nil, err
	}
	isoClient, plainClient := newClient(isoURL), newClient(plainURL)

	// Isolation: fresh Go functions on both servers, cold-invoked in turn.
	n := max(o.Cold/2, 1)
	for i := range n {
		for _, c := range []*lambda.Client{isoClient, plainClient} {
			if err := createFunction(ctx, c, fmt.Sprintf("go-%02d", i), goZip); err != nil {
				return nil, err
			}
		}
	}
	for i := range n {
		name := fmt.Sprintf("go-%02d", i)
		d, err := (target{client: isoClient, function: name, proc: iso}).timedInvoke(ctx, echoPayload)
		if err != nil {
			return nil, fmt.Errorf("cold invoke (isolated): %w", err)
		}
		res.ColdIsolated = append(res.ColdIsolated, d)
		if d, err = (target{client: plainClient, function: name, proc: plain}).timedInvoke(ctx, echoPayload); err != nil {
			return nil, fmt.Errorf("cold invoke (--isolation off): %w", err)
		}
		res.ColdPlain = append(res.ColdPlain, d)
	}
	progress("isolation (%s): cold Go invoke median %v isolated, %v plain", res.Isolation,
		median(res.ColdIsolated).Round(time.Microsecond), median(res.ColdPlain).Round(time.Microsecond))

	interpreters := runtimeInterpreters(bin)
	targets := []target{{client: isoClient, function: "go-00", proc: iso}}
	var measured []int
	for _, lc := range langCases {
		lr := langResult{Runtime: lc.runtime, Interpreter: interpreters[lc.runtime]}
		if lr.Interpreter == "" {
			lr.Skipped = "no interpreter on this machine"
			res.Langs = append(res.Langs, lr)
			continue
		}
		zip, err := zipFiles(map[string]string{lc.file: lc.source})
		if err != nil {
			return nil, err
		}
		for i := range n {
			if err := createFunctionOf(ctx, isoClient, fmt.Sprintf("%s-%02d", lc.runtime[:4], i), types.Runtime(lc.runtime), lc.handler, zip); err != nil {
				return nil, err
			}
		}
		for i := range n {
			d, err := timeExec(append([]string{lr.Interpreter}, lc.bare...))
			if err != nil {
				return nil, err
			}
			lr.Bare = append(lr.Bare, d)
			name := fmt.Sprintf("%s-%02d", lc.runtime[:4], i)
			if d, err = (target{client: isoClient, function: name, proc: iso}).timedInvoke(ctx, echoPayload); err != nil {
				return nil, fmt.Errorf("cold invoke of %s: %w", name, err)
			}
			lr.Cold = append(lr.Cold, d)
		}
		progress("%s: cold invoke median %v, bare interpreter %v", lc.runtime,
			median(lr.Cold).Round(time.Microsecond), median(lr.Bare).Round(time.Microsecond))
		measured = append(measured, len(res.Langs))
		targets = append(targets, target{client: isoClient, function: lc.runtime[:4] + "-00", proc: iso})
		res.Langs = append(res.Langs, lr)
	}
	warm, err := warmRuns(ctx, targets, o.Warmup, o.Warm, o.Block, o.Limit)
	if err != nil {
		return nil, err
	}
	res.GoWarm = warm[0]
	for k, i := range measured {
		res.Langs[i].Warm = warm[k+1]
		progress("%s: warm p50 %v (Go %v)", res.Langs[i].Runtime, median(warm[k+1].Latencies).Round(time.Microsecond),
			median(res.GoWarm.Latencies).Round(time.Microsecond))
	}
	return res, nil
}

// isolationOf reads the isolation a server reports in its health.
func isolationOf(url string) (string, error) {
	resp, err := http.Get(url + "/_nimbus/health")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var h struct {
		Isolation struct{ Memory, Filesystem, User string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return "", err
	}
	i := h.Isolation
	return fmt.Sprintf("memory %s, filesystem %s, user %s", i.Memory, i.Filesystem, i.User), nil
}

// runtimeInterpreters asks `nimbus runtimes` which binary runs each
// runtime, so the bare starts use the very same one.
func runtimeInterpreters(bin string) map[string]string {
	out, _ := exec.Command(bin, "runtimes").Output()
	found := map[string]string{}
	for _, line := range strings.Split(string(out), "\n")[1:] {
		if f := strings.Fields(line); len(f) >= 2 && f[1] != "-" {
			found[f[0]] = f[1]
		}
	}
	return found
}

// timeExec times argv from exec to exit, with an environment as clean as
// a function instance's: the host's can slow an interpreter down (Node.js
// reads NODE_EXTRA_CA_CERTS, a whole CA bundle, at start).
func timeExec(argv []string) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=en_US.UTF-8"}
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return time.Since(t0), nil
}

// runtimeRows are the table's rows for the runtimes and isolation.
func runtimeRows(r *runtimesResult) []row {
	var rows []row
	for _, l := range r.Langs {
		if l.Skipped != "" {
			rows = append(rows, row{metric: l.Runtime + " cold invoke", nimbus: "not run (" + l.Skipped + ")",
				peer: "—", ratio: "—", target: "—", met: "—"})
			continue
		}
		cold, bare := median(l.Cold), median(l.Bare)
		rows = append(rows, row{
			metric: fmt.Sprintf("%s cold invoke, median of %d", l.Runtime, len(l.Cold)),
			nimbus: fmt.Sprintf("%s (bare + %s)", fmtDur(cold), fmtDur(cold-bare)),
			peer:   fmt.Sprintf("%s (bare `%s %s`)", fmtDur(bare), shortPath(l.Interpreter), strings.Join(bareArgs(l.Runtime), " ")),
			ratio:  ratio(float64(cold), float64(bare)), target: "≤ bare + 30 ms", met: yes(cold-bare <= targetLangColdOverBare)})
	}
	iso, plain := median(r.ColdIsolated), median(r.ColdPlain)
	rows = append(rows, row{
		metric: fmt.Sprintf("Isolation: Go cold invoke, median of %d", len(r.ColdIsolated)),
		nimbus: fmt.Sprintf("%s isolated (+ %s)", fmtDur(iso), fmtDur(iso-plain)),
		peer:   fmtDur(plain) + " (`--isolation off`)", ratio: ratio(float64(iso), float64(plain)),
		target: "≤ + 5 ms", met: yes(iso-plain <= targetIsolationCost)})
	goP50 := median(r.GoWarm.Latencies)
	for _, l := range r.Langs {
		if l.Skipped != "" {
			continue
		}
		p50 := median(l.Warm.Latencies)
		rows = append(rows, row{
			metric: fmt.Sprintf("%s warm invoke p50, %d sequential", l.Runtime, len(l.Warm.Latencies)),
			nimbus: fmtDur(p50), peer: fmtDur(goP50) + " (Go function, same run)", ratio: ratio(float64(p50), float64(goP50)),
			target: "≤ Go + 0.5 ms", met: yes(p50-goP50 <= targetLangWarmOverGo)})
	}
	return rows
}

// runtimeNotes says how the runtime figures were measured.
func runtimeNotes(o options, r *runtimesResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- **Runtimes and isolation** (two more fresh servers): one isolating its instances as far as this host allows "+
		"(here: %s), one with `--isolation off`. Isolation: fresh Go functions (the same `bootstrap`), one cold invoke each, alternating "+
		"between the two servers. Python and Node.js: fresh functions whose handler returns the event (`python3.12`, `nodejs20.x`) "+
		"on the isolated server, one cold invoke each, each after one timed exec → exit of the interpreter that `nimbus runtimes` "+
		"names for the runtime, doing nothing, with only PATH and LANG in its environment (instances get no more of the host's). Warm: %d sequential calls each to one warm Python, Node.js and Go function "+
		"on the isolated server, interleaved in blocks of %d.\n", r.Isolation, o.Warm, o.Block)
	for _, l := range r.Langs {
		if l.Skipped != "" {
			continue
		}
		fmt.Fprintf(&b, "- %s on %s: cold min %s, max %s; bare start min %s, max %s; warm p99 %s.\n", l.Runtime, l.Interpreter,
			fmtDur(percentile(l.Cold, 0)), fmtDur(percentile(l.Cold, 100)), fmtDur(percentile(l.Bare, 0)), fmtDur(percentile(l.Bare, 100)),
			fmtDur(percentile(l.Warm.Latencies, 99)))
		if l.Warm.Errors > 0 {
			fmt.Fprintf(&b, "  %d errors in its warm run, first: %v\n", l.Warm.Errors, l.Warm.FirstError)
		}
	}
	fmt.Fprintf(&b, "- Go cold invokes, isolated: min %s, max %s; `--isolation off`: min %s, max %s.\n",
		fmtDur(percentile(r.ColdIsolated, 0)), fmtDur(percentile(r.ColdIsolated, 100)),
		fmtDur(percentile(r.ColdPlain, 0)), fmtDur(percentile(r.ColdPlain, 100)))
	return b.String()
}

func bareArgs(runtime string) []string {
	for _, lc := range langCases {
		if lc.runtime == runtime {
			return lc.bare
		}
	}
	return nil
}

// shortPath keeps the last two elements of a path, for the table.
func shortPath(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) > 3 {
		return ".../" + strings.Join(parts[len(parts)-2:], "/")
	}
	return p
}
