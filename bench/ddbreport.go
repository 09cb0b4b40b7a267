package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// The DynamoDB targets.
const (
	// ddbFloorFactor bounds Nimbus's server CPU per PutItem and GetItem as
	// a multiple of the floor's.
	ddbFloorFactor = 2.0
	// ddbSingleP99 bounds the p99 latency of single-item operations with
	// one worker.
	ddbSingleP99 = 2 * time.Millisecond
)

// ddbMetric is one row of an operation's table.
type ddbMetric struct {
	name string
	// single reads the single-worker run instead of the loaded one.
	single bool
	value  func(r ddbRun) float64
	show   func(v float64) string
	// ratio says whether Nimbus ÷ peer means anything for the row.
	ratio bool
}

// ddbMetrics are the rows of every operation's table; %d in a name is
// the loaded runs' workers.
var ddbMetrics = []ddbMetric{
	{name: "calls/s, %d workers", value: ddbRun.perSecond, show: func(v float64) string { return fmtInt(int(v + 0.5)) }, ratio: true},
	{name: "p50 latency, %d workers", value: latencyAt(50), show: showDur, ratio: true},
	{name: "p99 latency, %d workers", value: latencyAt(99), show: showDur, ratio: true},
	{name: "server CPU per call, %d workers", value: func(r ddbRun) float64 { return float64(r.perCall(r.ServerCPU)) }, show: showCPU, ratio: true},
	{name: "client CPU per call, %d workers", value: func(r ddbRun) float64 { return float64(r.perCall(r.ClientCPU)) }, show: showCPU},
	{name: "p50 latency, 1 worker", single: true, value: latencyAt(50), show: showDur, ratio: true},
	{name: "p99 latency, 1 worker", single: true, value: latencyAt(99), show: showDur, ratio: true},
}

func latencyAt(p float64) func(r ddbRun) float64 {
	return func(r ddbRun) float64 { return float64(percentile(r.Latencies, p)) }
}

func showDur(v float64) string { return fmtDur(time.Duration(v)) }
func showCPU(v float64) string { return fmtCPU(time.Duration(v)) }

// renderDynamoDB is the report's DynamoDB section: where and what was
// measured, a table per operation, the targets, and how it was measured.
func renderDynamoDB(m machine, o options, c *ddbComparison) string {
	var b strings.Builder
	b.WriteString("\n## DynamoDB\n\n")
	fmt.Fprintf(&b, "- commit: %s; date: %s; %d CPUs, %s; %.0f%% of the CPU busy in the second before the run\n",
		m.Commit, m.Date, m.CPUs, m.CPUModel, 100*m.Busy)
	fmt.Fprintf(&b, "- client: aws-sdk-go-v2 service/dynamodb %s, default settings, one attempt per call; it shares the CPUs with the servers\n",
		moduleVersion("github.com/aws/aws-sdk-go-v2/service/dynamodb"))
	for _, s := range c.Servers {
		if s.skipped != "" {
			fmt.Fprintf(&b, "- %s: not run (%s)\n", s.name, s.skipped)
		}
	}
	for i, op := range ddbOps {
		fmt.Fprintf(&b, "\n### %s\n\n", op.name)
		b.WriteString(renderDDBTable(o, c, i))
	}
	b.WriteString("\n### Targets\n\n")
	b.WriteString(renderDDBTargets(c))
	b.WriteString(renderDDBNotes(o, c))
	return b.String()
}

// renderDDBTable is operation op's table: a column per server and the
// ratios of Nimbus's figures to dynalite's and the floor's.
func renderDDBTable(o options, c *ddbComparison, op int) string {
	var b strings.Builder
	b.WriteString("| |")
	for _, s := range c.Servers {
		fmt.Fprintf(&b, " %s |", s.name)
	}
	b.WriteString(" Nimbus ÷ dynalite | Nimbus ÷ floor |\n|---|")
	b.WriteString(strings.Repeat("---|", len(c.Servers)+2) + "\n")
	nim, dl, floor := c.index("Nimbus"), c.index("dynalite"), c.index("floor")
	for _, mt := range ddbMetrics {
		name := mt.name
		if strings.Contains(name, "%d") {
			name = fmt.Sprintf(name, o.Callers)
		}
		fmt.Fprintf(&b, "| %s |", name)
		runs := c.Load[op]
		if mt.single {
			runs = c.Single[op]
		}
		cell := func(i int) (float64, bool) {
			if i < 0 || c.Servers[i].skipped != "" || len(runs[i].Latencies) == 0 {
				return 0, false
			}
			return mt.value(runs[i]), true
		}
		for i := range c.Servers {
			if v, ok := cell(i); ok {
				fmt.Fprintf(&b, " %s |", mt.show(v))
			} else {
				b.WriteString(" — |")
			}
		}
		for _, peer := range []int{dl, floor} {
			v, ok1 := cell(nim)
			w, ok2 := cell(peer)
			if !mt.ratio || !ok1 || !ok2 {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(&b, " %s |", ratio(v, w))
		}
		b.WriteString("\n")
	}
	cpus := runtime.NumCPU()
	for _, pair := range []struct {
		name string
		show func(r ddbRun) string
	}{
		{"everything else's share of all CPUs", func(r ddbRun) string { return fmt.Sprintf("%.0f%%", 100*r.othersShare(cpus)) }},
		{"failed calls", func(r ddbRun) string { return fmtInt(r.errorCount()) }},
		{"calls on a new connection", func(r ddbRun) string { return fmtInt(r.NewConns) }},
	} {
		fmt.Fprintf(&b, "| %s, %d workers / 1 worker |", pair.name, o.Callers)
		for i, s := range c.Servers {
			if s.skipped != "" {
				b.WriteString(" — |")
				continue
			}
			fmt.Fprintf(&b, " %s / %s |", pair.show(c.Load[op][i]), pair.show(c.Single[op][i]))
		}
		b.WriteString(" — | — |\n")
	}
	return b.String()
}

// renderDDBTargets is the table of the targets and whether
// Nimbus met them.
func renderDDBTargets(c *ddbComparison) string {
	var b strings.Builder
	b.WriteString("| target | measured | met? |\n|---|---|---|\n")
	nim, dl, floor := c.index("Nimbus"), c.index("dynalite"), c.index("floor")
	cpu := func(op, i int) time.Duration { r := c.Load[op][i]; return r.perCall(r.ServerCPU) }
	for i, op := range ddbOps {
		if op.name != "PutItem" && op.name != "GetItem" {
			continue
		}
		n, f := cpu(i, nim), cpu(i, floor)
		fmt.Fprintf(&b, "| server CPU per %s ≤ %.0f× the floor's (durable) | %s, %s the floor's %s | %s |\n",
			op.name, ddbFloorFactor, fmtCPU(n), ratio(float64(n), float64(f)), fmtCPU(f), met(f > 0 && float64(n) <= ddbFloorFactor*float64(f)))
	}
	for i, op := range ddbOps {
		if dl < 0 || c.Servers[dl].skipped != "" {
			fmt.Fprintf(&b, "| server CPU per %s below dynalite's | dynalite not run | — |\n", op.name)
			continue
		}
		n, d := cpu(i, nim), cpu(i, dl)
		fmt.Fprintf(&b, "| server CPU per %s below dynalite's | %s, %s dynalite's %s | %s |\n",
			op.name, fmtCPU(n), ratio(float64(n), float64(d)), fmtCPU(d), met(n < d))
	}
	for i, op := range ddbOps {
		if !op.single {
			continue
		}
		p99 := percentile(c.Single[i][nim].Latencies, 99)
		fmt.Fprintf(&b, "| p99 %s latency ≤ %s with one worker | %s µs | %s |\n",
			op.name, fmtDur(ddbSingleP99), fmtInt(int(p99.Microseconds())), met(len(c.Single[i][nim].Latencies) > 0 && p99 <= ddbSingleP99))
	}
	return b.String()
}

// renderDDBNotes says how the figures were measured and lists each
// server's first error.
func renderDDBNotes(o options, c *ddbComparison) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nHow it was measured: the servers run at once, each a subprocess on 127.0.0.1: Nimbus (`nimbus up --data-dir`, "+
		"every write synced to disk before it is answered), dynalite (`node cli.js --host 127.0.0.1 --createTableMs 0 --path DIR`: "+
		"LevelDB, writes not synced), moto_server (in memory) and the floor, a bare net/http handler (`bench -floor-server`) that reads "+
		"the request and answers it with a fixed response of the right shape and its X-Amz-Crc32. Data directories are on %s. "+
		"Each server holds one table (pk and sk strings, PAY_PER_REQUEST) with %s 1 KB items of their own partition and one "+
		"partition of %d. PutItem writes a new 1 KB item every call; GetItem reads one of the %s items; Query reads the %d-item "+
		"partition with Limit %d; UpdateItem runs `SET #c = #c + :one` with `attribute_exists(pk)` on one of the %s items. "+
		"Per operation, each server in turn gets up to %s unmeasured calls (≤ %v) from %d workers; then %d workers call each "+
		"server back to back until %s calls or %v, in %d turns that go round the servers; then the single-worker runs, %s calls "+
		"each (bounded to %v), interleaved across the servers in blocks of %d. Server CPU is the utime+stime of the server's own process (nimbus, node, python; /proc/PID/stat, 10 ms ticks) "+
		"over the loaded run, per call; client CPU is the bench's; everything else is the rest of the machine's busy time "+
		"(/proc/stat): other processes, softirqs carrying the loopback traffic, time stolen by the hypervisor. Latency is "+
		"client-side. The client (aws-sdk-go-v2 #2737) closes a connection when a response arrives before net/http has "+
		"finished checking the request body: a call that follows opens a new connection, and a Query whose 100 KB "+
		"answer is still arriving fails reading it (\"use of closed network connection\"); those are counted, not retried. "+
		"moto_server closes every connection after its answer.\n",
		c.DataFS, fmtInt(ddbItems), ddbQueryItems, fmtInt(ddbItems), ddbQueryItems, ddbQueryItems, fmtInt(ddbItems),
		fmtInt(ddbWarmupCalls), ddbWarmupLimit, o.Callers, o.Callers, fmtInt(o.Calls), o.Limit, ddbRounds, fmtInt(o.Warm), o.Limit, o.Block)
	for i, op := range ddbOps {
		for j, s := range c.Servers {
			if s.skipped != "" {
				continue
			}
			var r ddbRun
			r.add(c.Load[i][j])
			r.add(c.Single[i][j])
			if r.FirstError != nil {
				fmt.Fprintf(&b, "- %s, %s: %s of %s calls failed: %s.\n", s.name, op.name, fmtInt(r.errorCount()), fmtInt(r.calls()), r.errorSummary())
			}
		}
	}
	return b.String()
}

// errorSummary lists the run's error kinds, most frequent first.
func (r ddbRun) errorSummary() string {
	return throughputResult{Errors: r.Errors}.ErrorSummary()
}

// index is the column of the first server whose name starts with prefix,
// or -1.
func (c *ddbComparison) index(prefix string) int {
	for i, s := range c.Servers {
		if strings.HasPrefix(s.name, prefix) {
			return i
		}
	}
	return -1
}

// moduleVersion is the version of module path this binary was built
// with, or "(version unknown)".
func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "(version unknown)"
}

// spliceSection returns doc with the section that starts at the line
// heading (e.g. "## DynamoDB") and runs to the next "## " heading or the
// end replaced by section, or with section appended when doc has none.
// section starts with a newline and its heading, as renderDynamoDB's.
func spliceSection(doc, heading, section string) string {
	start := strings.Index(doc, "\n"+heading+"\n")
	if start < 0 {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + section
	}
	end := len(doc)
	if i := strings.Index(doc[start+1:], "\n## "); i >= 0 {
		end = start + 1 + i // the blank line before the next heading stays
	}
	return doc[:start] + section + doc[end:]
}

// met renders whether a target was met.
func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}
