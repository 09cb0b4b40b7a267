package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Targets the issue sets for Nimbus (the table's target column spells
// them out).
const (
	targetStart      = 100 * time.Millisecond
	targetIdleRSS    = 40_000_000 // bytes
	targetCold       = 10 * time.Millisecond
	targetThroughput = 2000.0 // invokes/s at 16 callers
)

// machine describes where and on what the bench ran.
type machine struct {
	Date, GoVersion, CPUModel, Kernel, Commit string
	CPUs                                      int
	// Busy is the share of all CPUs busy in the second before the run.
	Busy float64
}

// describeMachine reads the date, `go version`, the CPU model and the
// kernel; commit names what was built.
func describeMachine(commit string) machine {
	m := machine{Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), CPUs: runtime.NumCPU(), Commit: commit}
	m.GoVersion = command("", "go", "version")
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}

// command runs name with args in dir and returns its trimmed output, or
// "unknown" when it fails.
func command(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// row is one line of the results table.
type row struct{ metric, nimbus, peer, ratio, target, met string }

// renderReport renders the results as markdown: the machine, the table
// and what each figure means. rie is nil when RIE was not run.
func renderReport(m machine, o options, nim *nimbusResult, rie *rieResult, floor *floorResult, rt *runtimesResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Nimbus benchmark\n\n")
	fmt.Fprintf(&b, "- date: %s\n- go: %s\n- machine: %d CPUs, %s, %s; %.0f%% of its CPU busy in the second before the run\n- commit: %s\n",
		m.Date, m.GoVersion, m.CPUs, m.CPUModel, m.Kernel, 100*m.Busy, m.Commit)
	if o.Perf != "" {
		fmt.Fprintf(&b, "- profiled with perf (-perf %s): the Nimbus figures include its overhead\n", o.Perf)
	}
	b.WriteString("\n")
	b.WriteString(renderTable(append(tableRows(o, nim, rie, floor), runtimeRows(rt)...)))
	b.WriteString("\n")
	b.WriteString(renderNotes(o, nim, rie, floor, rt))
	return b.String()
}

// tableRows computes the table.
func tableRows(o options, nim *nimbusResult, rie *rieResult, floor *floorResult) []row {
	notRun := "not run (RIE missing)"
	var rows []row

	start := median(nim.Starts)
	r := row{metric: fmt.Sprintf("Start → ready, median of %d", len(nim.Starts)),
		nimbus: fmtDur(start) + " (to health 200)", peer: notRun, ratio: "—",
		target: "≤ 100 ms", met: yes(start <= targetStart)}
	if rie != nil {
		r.peer = fmtDur(median(rie.Listen)) + " (RIE, to TCP listening)"
		r.ratio = ratio(float64(start), float64(median(rie.Listen)))
	}
	rows = append(rows, r)

	rss := medianInt(nim.IdleRSS)
	r = row{metric: "Idle RSS after start, median", nimbus: fmtMB(rss), peer: notRun, ratio: "—",
		target: "≤ 40 MB", met: yes(rss <= targetIdleRSS)}
	if rie != nil {
		r.peer = fmtMB(medianInt(rie.IdleRSS)) + " (RIE, no runtime yet)"
		r.ratio = ratio(float64(rss), float64(medianInt(rie.IdleRSS)))
	}
	rows = append(rows, r)

	cold := median(nim.Cold)
	r = row{metric: "Cold invoke, median", nimbus: fmt.Sprintf("%s (%d fresh functions)", fmtDur(cold), len(nim.Cold)),
		peer: notRun, ratio: "—", target: "≤ 10 ms", met: yes(cold <= targetCold)}
	if rie != nil {
		r.peer = fmt.Sprintf("%s (RIE, first invoke of %d fresh processes)", fmtDur(median(rie.Cold)), len(rie.Cold))
		r.ratio = ratio(float64(cold), float64(median(rie.Cold)))
	}
	rows = append(rows, r)

	p50, p99 := median(nim.Warm.Latencies), percentile(nim.Warm.Latencies, 99)
	r50 := row{metric: fmt.Sprintf("Warm invoke p50, %d sequential", len(nim.Warm.Latencies)), nimbus: fmtDur(p50),
		peer: notRun, ratio: "—", target: "≤ RIE's", met: "n/a"}
	r99 := row{metric: "Warm invoke p99", nimbus: fmtDur(p99), peer: notRun, ratio: "—", target: "—", met: "—"}
	if rie != nil {
		rp50, rp99 := median(rie.Warm.Latencies), percentile(rie.Warm.Latencies, 99)
		r50.peer, r50.ratio, r50.met = fmtDur(rp50)+" (RIE)", ratio(float64(p50), float64(rp50)), yes(p50 <= rp50)
		r99.peer, r99.ratio = fmtDur(rp99)+" (RIE)", ratio(float64(p99), float64(rp99))
	}
	rows = append(rows, r50, r99)

	tp := nim.Throughput
	r = row{metric: fmt.Sprintf("Throughput, %d callers, warm", tp.Callers), nimbus: fmtRate(tp), peer: notRun, ratio: "—",
		target: "≥ 2,000/s", met: yes(tp.PerSecond() >= targetThroughput)}
	if rie != nil {
		// RIE concurrent as Nimbus gets it; when it cannot take that, the
		// ratio is against its rate with the callers queued in the client.
		r.peer = fmtRate(rie.Throughput) + " (RIE, concurrent)"
		if rie.Throughput.Exited {
			r.peer = fmt.Sprintf("RIE crashed after %s ok", fmtInt(rie.Throughput.OK))
		}
		r.peer += fmt.Sprintf("; %s (RIE, callers queued in the client)", fmtRate(rie.Queued))
		r.ratio = ratio(tp.PerSecond(), rie.Queued.PerSecond()) + " vs queued"
	}
	rows = append(rows, r)

	rows = append(rows, row{metric: "Server CPU per warm invoke", nimbus: fmtCPU(nim.Warm.ServerCPU),
		peer:  fmtCPU(floor.Warm.ServerCPU) + " (bare net/http floor)",
		ratio: ratio(float64(nim.Warm.ServerCPU), float64(floor.Warm.ServerCPU)), target: "—", met: "—"})
	if rie != nil {
		rows = append(rows, row{metric: "Server CPU per warm invoke", nimbus: fmtCPU(nim.Warm.ServerCPU),
			peer:  fmtCPU(rie.Warm.ServerCPU) + " (RIE)",
			ratio: ratio(float64(nim.Warm.ServerCPU), float64(rie.Warm.ServerCPU)), target: "—", met: "—"})
		if nim.Warm.HasChildCPU && rie.Warm.HasChildCPU {
			rows = append(rows, row{metric: "Function process CPU per warm invoke", nimbus: fmtCPU(nim.Warm.ChildCPU),
				peer:  fmtCPU(rie.Warm.ChildCPU) + " (under RIE)",
				ratio: ratio(float64(nim.Warm.ChildCPU), float64(rie.Warm.ChildCPU)), target: "—", met: "—"})
		}
		rows = append(rows, row{metric: "Server RSS after the runs", nimbus: fmtMB(nim.RSSAfter),
			peer: fmtMB(rie.RSSAfter) + " (RIE)", ratio: ratio(float64(nim.RSSAfter), float64(rie.RSSAfter)), target: "—", met: "—"})
	}
	return rows
}

// renderTable renders rows as a markdown table.
func renderTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| metric | Nimbus | RIE / floor | ratio (Nimbus ÷ peer) | target | met? |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.metric, r.nimbus, r.peer, r.ratio, r.target, r.met)
	}
	return b.String()
}

// renderNotes says what each figure is and adds the context figures: the
// floor's latency and throughput, where the CPU went under load, errors.
func renderNotes(o options, nim *nimbusResult, rie *rieResult, floor *floorResult, rt *runtimesResult) string {
	var b strings.Builder
	b.WriteString("## How it was measured\n\n")
	b.WriteString("All servers run as subprocesses on 127.0.0.1 and are driven through the aws-sdk-go-v2 Lambda client " +
		"with default settings (its HTTP client keeps at most 10 idle connections per host), one attempt per call " +
		"(`RetryMaxAttempts: 1`, so throttles and errors are counted, not retried). Both Nimbus and RIE run the same " +
		"`bootstrap`: internal/nimbustest/testfunc, an aws-lambda-go handler, invoked with `" + echoPayload + "`. " +
		"The client runs on the same machine and shares its CPUs.\n\n")
	fmt.Fprintf(&b, "- **Start**: Nimbus is a fresh `nimbus up --ephemeral` process, timed from exec to the first 200 from "+
		"`GET /_nimbus/health` (polled every %v on new connections); the build is not timed. RIE's figure is exec to its "+
		"first accepted TCP connection: RIE starts the function's runtime only on the first invoke, so this is just its "+
		"HTTP server coming up, and its time to a first answer is the cold-invoke row.\n", pollInterval)
	fmt.Fprintf(&b, "- **Idle RSS**: VmRSS from /proc/PID/status %v after start, before any function exists (children not included).\n", o.Settle)
	b.WriteString("- **Cold invoke**: Nimbus: the first Invoke of each of several fresh functions, each created with " +
		"CreateFunction and waited Active with the SDK's FunctionActiveV2 waiter. RIE: the first Invoke of each fresh RIE " +
		"process (starting and initialising the runtime).\n")
	fmt.Fprintf(&b, "- **Warm invoke**: with Nimbus, RIE and the floor server all running, %d unmeasured calls each, then %d "+
		"sequential calls each (bounded to %v), interleaved in blocks of %d per server so that all three share whatever else "+
		"the machine is doing; client-side latency.\n", o.Warmup, o.Warm, o.Limit, o.Block)
	fmt.Fprintf(&b, "- **Throughput**: %d concurrent callers invoking one warm function back to back, until %s calls or %v. "+
		"For Nimbus, %d concurrent invokes sleeping 300 ms first warm up one instance per caller. "+
		"RIE has one runtime and serves one invocation at a time, so it is measured twice on the same warm process: "+
		"first with the callers queued behind one lock in the client (what its users do), then concurrent as Nimbus "+
		"gets them; errors are counted, not retried.\n",
		o.Callers, fmtInt(o.Calls), o.Limit, o.Callers)
	b.WriteString("- **CPU per invoke**: utime+stime from /proc/PID/stat (10 ms ticks) around each block of the warm run, summed and divided by its calls; " +
		"the floor is a bare net/http handler (`bench -floor-server`) answering the same Invoke request with a fixed payload. " +
		"Function process CPU is the same figure for the server's child processes (the runtime).\n")
	b.WriteString(runtimeNotes(o, rt))
	b.WriteString("\n")

	b.WriteString("## Context\n\n")
	fw := floor.Warm.Latencies
	fmt.Fprintf(&b, "- Floor (bare net/http, same client): warm p50 %s, p99 %s; %s at %d callers.\n",
		fmtDur(median(fw)), fmtDur(percentile(fw, 99)), fmtRate(floor.Throughput), floor.Throughput.Callers)
	fmt.Fprintf(&b, "- Cold-start floor: exec of the same `bootstrap` to its first Runtime API request (GET /next), median of %d: %s (min %s, max %s).\n",
		len(floor.ColdStart), fmtDur(median(floor.ColdStart)), fmtDur(percentile(floor.ColdStart, 0)), fmtDur(percentile(floor.ColdStart, 100)))
	fmt.Fprintf(&b, "- Nimbus cold invokes: min %s, median %s, max %s.", fmtDur(percentile(nim.Cold, 0)), fmtDur(median(nim.Cold)), fmtDur(percentile(nim.Cold, 100)))
	if rie != nil {
		fmt.Fprintf(&b, " RIE first invokes: min %s, median %s, max %s.", fmtDur(percentile(rie.Cold, 0)), fmtDur(median(rie.Cold)), fmtDur(percentile(rie.Cold, 100)))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "- Nimbus server CPU per cold invoke: %s.\n", fmtCPU(nim.ColdServerCPU))
	fmt.Fprintf(&b, "- Nimbus starts: min %s, max %s.\n", fmtDur(percentile(nim.Starts, 0)), fmtDur(percentile(nim.Starts, 100)))
	fmt.Fprintf(&b, "- Other processes' share of all CPUs during the warm runs: Nimbus %s", othersShare(nim.Warm))
	if rie != nil {
		fmt.Fprintf(&b, ", RIE %s", othersShare(rie.Warm))
	}
	fmt.Fprintf(&b, ", floor %s.\n", othersShare(floor.Warm))
	fmt.Fprintf(&b, "- Sequential warm rate (1 caller): Nimbus %.0f/s", seqRate(nim.Warm))
	if rie != nil {
		fmt.Fprintf(&b, ", RIE %.0f/s", seqRate(rie.Warm))
	}
	fmt.Fprintf(&b, ", floor %.0f/s.\n", seqRate(floor.Warm))
	writeLoad(&b, "Nimbus", nim.Throughput, nim.Prewarmed, "functions")
	if rie != nil {
		writeLoad(&b, "RIE, callers queued in the client,", rie.Queued, -1, "runtime")
		writeLoad(&b, "RIE, callers concurrent,", rie.Throughput, -1, "runtime")
		if rie.Throughput.Exited {
			fmt.Fprintf(&b, "  RIE exited during that run; it logged `%s` (RIE serves one invocation at a time and "+
				"crashes on an invoke that arrives while one runs: aws/aws-lambda-runtime-interface-emulator#97).\n", rie.Crash)
		}
	}
	writeLoad(&b, "Floor", floor.Throughput, -1, "")
	for _, w := range []struct {
		name string
		r    warmResult
	}{{"Nimbus", nim.Warm}, {"floor", floor.Warm}} {
		if w.r.Errors > 0 {
			fmt.Fprintf(&b, "- %s warm run: %d errors, first: %v\n", w.name, w.r.Errors, w.r.FirstError)
		}
	}
	if rie != nil && rie.Warm.Errors > 0 {
		fmt.Fprintf(&b, "- RIE warm run: %d errors, first: %v\n", rie.Warm.Errors, rie.Warm.FirstError)
	}
	return b.String()
}

// writeLoad writes one throughput run's calls, errors and where the CPU
// went (as a share of all CPUs over the run).
func writeLoad(b *strings.Builder, name string, t throughputResult, prewarmed int, children string) {
	fmt.Fprintf(b, "- %s under load: %s ok and %s failed in %v", name, fmtInt(t.OK), fmtInt(t.ErrorCount()), t.Elapsed.Round(time.Millisecond))
	if t.ErrorCount() > 0 {
		fmt.Fprintf(b, " (%s)", t.ErrorSummary())
	}
	if prewarmed >= 0 {
		fmt.Fprintf(b, "; %d of %d warm-up invokes succeeded", prewarmed, t.Callers)
	}
	if t.Exited {
		b.WriteString(".\n")
		return
	}
	total := float64(t.Elapsed) * float64(runtime.NumCPU())
	share := func(d time.Duration) string { return fmt.Sprintf("%.0f%%", 100*float64(d)/total) }
	fmt.Fprintf(b, ". CPU of all %d CPUs: client %s, server %s", runtime.NumCPU(), share(t.ClientCPU), share(t.ServerCPU))
	if children != "" {
		fmt.Fprintf(b, ", %s %s", children, share(t.ChildCPU))
	}
	others := t.MachineCPU - t.ClientCPU - t.ServerCPU - t.ChildCPU
	fmt.Fprintf(b, ", everything else %s (idle %s)", share(max(others, 0)), share(max(time.Duration(total)-t.MachineCPU, 0)))
	if calls := time.Duration(t.OK + t.ErrorCount()); calls > 0 {
		fmt.Fprintf(b, "; CPU per call: client %s, server %s", fmtCPU(t.ClientCPU/calls), fmtCPU(t.ServerCPU/calls))
		if children != "" {
			fmt.Fprintf(b, ", %s %s", children, fmtCPU(t.ChildCPU/calls))
		}
	}
	b.WriteString(".\n")
}

// othersShare is the share of all CPUs that processes other than the
// client, the server and its children used during a warm run.
func othersShare(w warmResult) string {
	if w.Elapsed <= 0 {
		return "—"
	}
	calls := time.Duration(len(w.Latencies) + w.Errors)
	others := w.MachineCPU - (w.ServerCPU+w.ChildCPU)*calls - w.ClientCPU
	return fmt.Sprintf("%.0f%%", 100*float64(max(others, 0))/(float64(w.Elapsed)*float64(runtime.NumCPU())))
}

// seqRate is a warm run's successful invokes per second.
func seqRate(w warmResult) float64 {
	if w.Elapsed <= 0 {
		return 0
	}
	return float64(len(w.Latencies)) / w.Elapsed.Seconds()
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// ratio renders a/b as "1.23×", or "—" when b is zero.
func ratio(a, b float64) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// fmtDur renders a latency in ms with two decimals (µs below 1 ms).
func fmtDur(d time.Duration) string {
	if d < 0 {
		return "−" + fmtDur(-d)
	}
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

// fmtCPU renders CPU time per call in µs.
func fmtCPU(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }

// fmtMB renders bytes in MB (10⁶ bytes).
func fmtMB(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// fmtRate renders a throughput run's successful invokes per second, and
// its failures when there were any.
func fmtRate(t throughputResult) string {
	s := fmt.Sprintf("%s/s", fmtInt(int(t.PerSecond()+0.5)))
	if n := t.ErrorCount(); n > 0 {
		s += fmt.Sprintf(" (+%s failed)", fmtInt(n))
	}
	return s
}

// fmtInt renders n with thousands separators.
func fmtInt(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
