package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// streamsHeading heads the report's DynamoDB Streams section.
const streamsHeading = "## DynamoDB Streams"

// The DynamoDB Streams targets.
const (
	// streamHandlerP50 bounds the p50 of write → handler start.
	streamHandlerP50 = 20 * time.Millisecond
	// streamCPUShare bounds what a stream adds to the server CPU per
	// PutItem, as a share of it without one.
	streamCPUShare = 0.15
)

// renderDDBStreams is the report's DynamoDB Streams section: where and
// what was measured, the targets, a table per measurement, and how.
func renderDDBStreams(m machine, o options, c *streamComparison) string {
	var b strings.Builder
	b.WriteString("\n" + streamsHeading + "\n\n")
	fmt.Fprintf(&b, "- commit: %s; date: %s; %d CPUs, %s; %.0f%% of the CPU busy in the second before the run\n",
		m.Commit, m.Date, m.CPUs, m.CPUModel, 100*m.Busy)
	fmt.Fprintf(&b, "- client: aws-sdk-go-v2 service/dynamodb %s, service/dynamodbstreams %s, service/lambda %s, default settings, "+
		"one attempt per call; it shares the CPUs with the servers\n",
		moduleVersion("github.com/aws/aws-sdk-go-v2/service/dynamodb"), moduleVersion("github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"),
		moduleVersion("github.com/aws/aws-sdk-go-v2/service/lambda"))
	for _, s := range c.Servers {
		if s.skipped != "" {
			fmt.Fprintf(&b, "- %s: not run (%s)\n", s.name, s.skipped)
		}
	}
	if moto := c.Servers[1]; moto.skipped == "" {
		docker := "and no Docker daemon answers on this machine"
		if dockerAnswers() {
			docker = "which the bench does not set up"
		}
		fmt.Fprintf(&b, "- %s: no write → handler figure: moto runs Lambda functions only in Docker, %s\n", moto.name, docker)
	}

	b.WriteString("\n### Targets\n\n")
	b.WriteString(renderStreamTargets(c))
	b.WriteString("\n### Write → record visible\n\n")
	b.WriteString(renderVisible(c))
	b.WriteString("\n### Write → handler start (Nimbus)\n\n")
	b.WriteString(renderHandler(c.Handler))
	b.WriteString("\n### GetRecords throughput\n\n")
	b.WriteString(renderRead(c))
	fmt.Fprintf(&b, "\n### Streams' cost on PutItem, %d workers\n\n", o.Callers)
	b.WriteString(renderCost(c))
	b.WriteString(renderStreamNotes(o, c))
	return b.String()
}

// renderStreamTargets is the table of the targets and whether
// Nimbus met them.
func renderStreamTargets(c *streamComparison) string {
	var b strings.Builder
	b.WriteString("| target | measured | met? |\n|---|---|---|\n")
	h := c.Handler
	if h.Failed != nil || len(h.Latencies) == 0 {
		fmt.Fprintf(&b, "| write → handler start p50 ≤ %s | not measured | **missed** |\n", fmtDur(streamHandlerP50))
	} else {
		p50 := median(h.Latencies)
		fmt.Fprintf(&b, "| write → handler start p50 ≤ %s | %s (p99 %s) | %s |\n", fmtDur(streamHandlerP50), fmtDur(p50),
			fmtDur(percentile(h.Latencies, 99)), met(p50 <= streamHandlerP50))
	}
	for v, variant := range streamCostVariants {
		plain, streamed := c.Cost[v][0][0], c.Cost[v][0][1]
		a, s := plain.perCall(plain.ServerCPU), streamed.perCall(streamed.ServerCPU)
		measured, ok := "not measured", false
		if a > 0 {
			measured = fmt.Sprintf("%s (%s without, %s with a NEW_AND_OLD_IMAGES stream)", fmtShare(float64(s)/float64(a)-1), fmtCPU(a), fmtCPU(s))
			ok = float64(s) <= (1+streamCPUShare)*float64(a)
		}
		fmt.Fprintf(&b, "| a stream adds ≤ %.0f%% to the server CPU per PutItem (%s) | %s | %s |\n",
			100*streamCPUShare, variant.name, measured, met(ok))
	}
	return b.String()
}

// fmtShare renders a change as a signed percentage.
func fmtShare(f float64) string {
	if f < 0 {
		return fmt.Sprintf("−%.0f%%", -100*f)
	}
	return fmt.Sprintf("+%.0f%%", 100*f)
}

// streamRow is one row of a table with a column per server ("—" for a
// server not measured) and the ratio of Nimbus's figure to moto's.
type streamRow struct {
	name  string
	cells []string
	// a and b are the figures of the ratio; it is left out when b is 0.
	a, b float64
}

// renderServerTable renders rows under a header of c's servers and the
// ratio column.
func renderServerTable(c *streamComparison, rows []streamRow) string {
	var b strings.Builder
	b.WriteString("| |")
	for _, s := range c.Servers {
		fmt.Fprintf(&b, " %s |", s.name)
	}
	b.WriteString(" Nimbus ÷ moto |\n|---|" + strings.Repeat("---|", len(c.Servers)+1) + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r.name, strings.Join(r.cells, " | "), ratio(r.a, r.b))
	}
	return b.String()
}

// perServer renders f of each measured server's result, and "—" for the
// others.
func perServer[T any](c *streamComparison, results []T, f func(T) string) []string {
	cells := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		cells[i] = "—"
		if s.skipped == "" {
			cells[i] = f(results[i])
		}
	}
	return cells
}

// pair returns the figures of Nimbus (server 0) and moto (server 1) for a
// ratio; b is 0 when moto was not measured.
func pair[T any](c *streamComparison, results []T, f func(T) float64) (a, b float64) {
	a = f(results[0])
	if len(c.Servers) > 1 && c.Servers[1].skipped == "" {
		b = f(results[1])
	}
	return a, b
}

func renderVisible(c *streamComparison) string {
	lat := func(p float64) func(visibleRun) float64 {
		return func(r visibleRun) float64 { return float64(percentile(r.Latencies, p)) }
	}
	row := func(name string, f func(visibleRun) float64, show func(float64) string) streamRow {
		a, b := pair(c, c.Visible, f)
		return streamRow{name: name, cells: perServer(c, c.Visible, func(r visibleRun) string { return show(f(r)) }), a: a, b: b}
	}
	count := func(name string, f func(visibleRun) string) streamRow {
		return streamRow{name: name, cells: perServer(c, c.Visible, f)}
	}
	rows := []streamRow{
		row("p50, PutItem sent → GetRecords answer holding its record", lat(50), showDur),
		row("p99", lat(99), showDur),
		count("writes timed", func(r visibleRun) string { return fmtInt(len(r.Latencies)) }),
		count("held by the first GetRecords after PutItem answered", func(r visibleRun) string {
			return fmt.Sprintf("%s of %s", fmtInt(r.FirstPoll), fmtInt(len(r.Latencies)))
		}),
		row("GetRecords calls per write, mean", func(r visibleRun) float64 {
			if n := len(r.Latencies) + r.Lost; n > 0 {
				return float64(r.Polls) / float64(n)
			}
			return 0
		}, func(v float64) string { return fmt.Sprintf("%.2f", v) }),
		count(fmt.Sprintf("writes whose record did not appear within %v", streamWait), func(r visibleRun) string { return fmtInt(r.Lost) }),
		count("other records read", func(r visibleRun) string { return fmtInt(r.Unexpected) }),
		count("failed calls", func(r visibleRun) string { return fmtInt(errorTotal(r.errorCounts)) }),
	}
	return renderServerTable(c, rows)
}

func renderHandler(h handlerRun) string {
	if h.Failed != nil {
		return fmt.Sprintf("Not measured: %v.\n", h.Failed)
	}
	var b strings.Builder
	l := h.Latencies
	b.WriteString("| | Nimbus |\n|---|---|\n")
	fmt.Fprintf(&b, "| p50, PutItem sent → handler start | %s |\n", fmtDur(median(l)))
	fmt.Fprintf(&b, "| p99 | %s |\n", fmtDur(percentile(l, 99)))
	fmt.Fprintf(&b, "| min / max | %s / %s |\n", fmtDur(percentile(l, 0)), fmtDur(percentile(l, 100)))
	fmt.Fprintf(&b, "| writes timed (after %d untimed) | %s |\n", h.Warmups, fmtInt(len(l)))
	fmt.Fprintf(&b, "| writes whose record did not reach the handler within %v | %s |\n", streamWait, fmtInt(h.Lost))
	fmt.Fprintf(&b, "| other deliveries while waiting / in the second after the last write | %s / %s |\n", fmtInt(h.Unexpected), fmtInt(h.Late))
	fmt.Fprintf(&b, "| failed PutItem calls | %s |\n", fmtInt(errorTotal(h.errorCounts)))
	return b.String()
}

func renderRead(c *streamComparison) string {
	row := func(name string, f func(readRun) float64, show func(float64) string) streamRow {
		a, b := pair(c, c.Read, f)
		return streamRow{name: name, cells: perServer(c, c.Read, func(r readRun) string {
			if r.Records == 0 {
				return "—"
			}
			return show(f(r))
		}), a: a, b: b}
	}
	rows := []streamRow{
		row("records/s", readRun.perSecond, func(v float64) string { return fmtInt(int(v + 0.5)) }),
		row("server CPU per 1,000 records", func(r readRun) float64 { return float64(r.perThousand(r.ServerCPU)) }, showMS),
		row("client CPU per 1,000 records", func(r readRun) float64 { return float64(r.perThousand(r.ClientCPU)) }, showMS),
		row("records per GetRecords call, mean", func(r readRun) float64 {
			if r.Calls == 0 {
				return 0
			}
			return float64(r.Records) / float64(r.Calls)
		}, func(v float64) string { return fmt.Sprintf("%.0f", v) }),
		{name: "passes × records read", cells: perServer(c, c.Read, func(r readRun) string {
			if r.Passes == 0 {
				return "none"
			}
			return fmt.Sprintf("%d × %s", r.Passes, fmtInt(r.Records/r.Passes))
		})},
		{name: "passes that read other than the records written, once each, in order", cells: perServer(c, c.Read, func(r readRun) string {
			return fmtInt(len(r.Problems))
		})},
		{name: "failed passes", cells: perServer(c, c.Read, func(r readRun) string { return fmtInt(errorTotal(r.errorCounts)) })},
	}
	return renderServerTable(c, rows)
}

func renderCost(c *streamComparison) string {
	var b strings.Builder
	b.WriteString("| PutItem |")
	for _, s := range c.Servers {
		fmt.Fprintf(&b, " %s, no stream | %s, NEW_AND_OLD_IMAGES | with ÷ without |", s.name, s.name)
	}
	b.WriteString("\n|---|" + strings.Repeat("---|---|---|", len(c.Servers)) + "\n")
	cpus := runtime.NumCPU()
	metrics := []struct {
		name  string
		value func(r ddbRun) float64
		show  func(float64) string
		ratio bool
	}{
		{"server CPU per call", func(r ddbRun) float64 { return float64(r.perCall(r.ServerCPU)) }, showCPU, true},
		{"calls/s", ddbRun.perSecond, func(v float64) string { return fmtInt(int(v + 0.5)) }, true},
		{"p50 latency", latencyAt(50), showDur, true},
		{"p99 latency", latencyAt(99), showDur, true},
		{"client CPU per call", func(r ddbRun) float64 { return float64(r.perCall(r.ClientCPU)) }, showCPU, false},
		{"everything else's share of all CPUs", func(r ddbRun) float64 { return r.othersShare(cpus) }, func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }, false},
		{"failed calls", func(r ddbRun) float64 { return float64(r.errorCount()) }, func(v float64) string { return fmtInt(int(v)) }, false},
	}
	for v, variant := range streamCostVariants {
		for _, mt := range metrics {
			fmt.Fprintf(&b, "| %s, %s |", mt.name, variant.name)
			for i, s := range c.Servers {
				if s.skipped != "" || len(c.Cost[v][i][0].Latencies) == 0 {
					b.WriteString(" — | — | — |")
					continue
				}
				x, y := mt.value(c.Cost[v][i][0]), mt.value(c.Cost[v][i][1])
				r := "—"
				if mt.ratio {
					r = ratio(y, x)
				}
				fmt.Fprintf(&b, " %s | %s | %s |", mt.show(x), mt.show(y), r)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// showMS renders a CPU time in ms with one decimal.
func showMS(v float64) string { return fmt.Sprintf("%.1f ms", v/float64(time.Millisecond)) }

// errorTotal is the number of errors counted.
func errorTotal(e errorCounts) int {
	n := 0
	for _, c := range e.Errors {
		n += c
	}
	return n
}

// renderStreamNotes says how the figures were measured and lists what
// went wrong: errors, lost or repeated records.
func renderStreamNotes(o options, c *streamComparison) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nHow it was measured: both servers run at once, each a subprocess on 127.0.0.1: Nimbus (`nimbus up --data-dir`, "+
		"every write and its stream record synced to disk in one batch before it is answered; data on %s) and moto_server "+
		"(in memory). Every table has the DynamoDB section's shape (pk and sk strings, PAY_PER_REQUEST) and every item is its "+
		"1 KB item. **Visible**: %d sequential PutItem calls per server into a table with a NEW_IMAGE stream, the servers taking "+
		"turns in blocks of %d; after each, GetRecords in a tight loop on the iterator the last answer returned (first a LATEST "+
		"iterator on the open shard) until the record appears (at most %v); client-side time from sending PutItem to the "+
		"answer that holds the record. **Handler** (Nimbus only): a provided.al2023 Go function (bench/ddbstreamfn) that "+
		"posts the time its handler started and each record's key to a recorder in the bench, mapped to a NEW_IMAGE stream "+
		"(StartingPosition LATEST, BatchSize 1); %d untimed writes, then up to %d (within %v), each after a random wait of "+
		"0–%v and the previous record's delivery, so every write is its own batch and lands at a random phase of the "+
		"mapping's shard poll (every %v when a read found nothing, as Lambda's four times a second; Nimbus's reader also "+
		"wakes as soon as a record commits, which a poll alone would leave near %v at p50). **GetRecords**: %s items written with BatchWriteItem into a table with a NEW_IMAGE stream, then "+
		"the stream read %d times per server (the servers taking turns) from TRIM_HORIZON, every shard that DescribeStream lists "+
		"in order, with Limit %d until a call returns no records; each pass checked to hold every record written once, in "+
		"sequence-number order. Server CPU is utime+stime of the server process (/proc/PID/stat, 10 ms ticks) over the "+
		"passes. **Cost**: PutItem from %d workers into a table without a stream and the same table with a "+
		"NEW_AND_OLD_IMAGES stream, of new items (INSERT records: a new image) and of overwrites of %s preloaded items "+
		"(MODIFY records: both images); per kind, up to %s unmeasured calls (≤ %v) on each table, then up to %s calls or %v "+
		"on each, in %d turns that go round the servers and tables; server CPU per call as in the DynamoDB section.\n",
		c.DataFS, streamVisibleWrites, streamVisibleBlock, streamWait, streamHandlerWarmups, streamHandlerWrites,
		streamHandlerLimit, nimbusShardPoll, nimbusShardPoll, nimbusShardPoll/2, fmtInt(streamReadRecords), streamReadPasses,
		streamReadLimit, o.Callers, fmtInt(ddbItems), fmtInt(ddbWarmupCalls), ddbWarmupLimit, fmtInt(o.Calls), o.Limit, ddbRounds)
	for i, s := range c.Servers {
		if s.skipped != "" {
			continue
		}
		if e := c.Visible[i].errorCounts; e.FirstError != nil {
			fmt.Fprintf(&b, "- %s, visible: %s calls failed (%s); first: %v.\n", s.name, fmtInt(errorTotal(e)), e.summary(), e.FirstError)
		}
		if n := c.Visible[i].Reopened; n > 0 {
			fmt.Fprintf(&b, "- %s, visible: the shard read closed %d times; the reader moved to the open one.\n", s.name, n)
		}
		r := c.Read[i]
		if r.FirstError != nil {
			fmt.Fprintf(&b, "- %s, GetRecords: %s passes failed (%s); first: %v.\n", s.name, fmtInt(errorTotal(r.errorCounts)), r.summary(), r.FirstError)
		}
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "- %s, GetRecords: %s.\n", s.name, p)
		}
		for v, variant := range streamCostVariants {
			for t, table := range []string{"no stream", "NEW_AND_OLD_IMAGES"} {
				if run := c.Cost[v][i][t]; run.FirstError != nil {
					fmt.Fprintf(&b, "- %s, PutItem (%s, %s): %s of %s calls failed: %s; first: %v.\n", s.name, variant.name, table,
						fmtInt(run.errorCount()), fmtInt(run.calls()), run.errorSummary(), run.FirstError)
				}
			}
		}
	}
	h := c.Handler
	if h.FirstError != nil {
		fmt.Fprintf(&b, "- Nimbus, handler: %s PutItem calls failed (%s); first: %v.\n", fmtInt(errorTotal(h.errorCounts)), h.summary(), h.FirstError)
	}
	if h.Dropped > 0 {
		fmt.Fprintf(&b, "- Nimbus, handler: the recorder dropped %d deliveries (its queue was full).\n", h.Dropped)
	}
	return b.String()
}

// writeSection writes section into the report at path in place of its
// section headed heading, keeping the rest of the file.
func writeSection(path, heading, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.WriteFile(path, []byte(spliceSection(string(old), heading, section)), 0o644)
}

// dockerAnswers reports whether a Docker daemon answers `docker version`
// within five seconds.
func dockerAnswers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, "docker", "version").Run() == nil
}
