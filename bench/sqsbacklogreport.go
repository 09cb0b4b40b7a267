package main

import (
	"fmt"
	"strings"
	"time"
)

// renderSQSBacklog is the report's SQS backlog section.
func renderSQSBacklog(m machine, r *backlogResult, dataFS string) string {
	o := r.Opts
	var b strings.Builder
	b.WriteString("\n" + backlogHeading + "\n\n")
	fmt.Fprintf(&b, "- commit: %s; date: %s; %d CPUs, %s; %.0f%% of the CPU busy in the second before the run\n",
		m.Commit, m.Date, m.CPUs, m.CPUModel, 100*m.Busy)
	fmt.Fprintf(&b, "- client: aws-sdk-go-v2 service/sqs %s (awsJson1.0), default settings; it shares the CPUs with the server\n",
		moduleVersion("github.com/aws/aws-sdk-go-v2/service/sqs"))
	fmt.Fprintf(&b, "- server: `nimbus up --data-dir` on %s; every send and delete synced before it is answered\n\n", dataFS)

	b.WriteString("| metric | Nimbus | target | met? |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| backlog stored | %s messages of %s B (data directory %s) | %s | %s |\n",
		fmtInt(r.Fill.Messages), fmtInt(o.Size), fmtMB(r.DataBytes), fmtInt(o.N), yes(r.Fill.Messages == o.N && r.Stored == o.N))
	fmt.Fprintf(&b, "| fill: SendMessageBatch of 10, %d senders | %s/s, server CPU %s per message%s | — | — |\n",
		o.Senders, fmtInt(int(r.Fill.perSecond()+0.5)), fmtCPU(r.Fill.cpuPerMessage()), phaseTrouble(r.Fill))
	fmt.Fprintf(&b, "| server RSS once the fill is done | %s | — | — |\n", fmtMB(r.RSSFilled))
	startMedian := median(r.Starts)
	fmt.Fprintf(&b, "| `nimbus up` on the backlog → healthy, median of %d | %s (%s) | ≤ %s | %s |\n",
		len(r.Starts), fmtSeconds(startMedian), joinDurations(r.Starts), fmtSeconds(backlogStartTarget), yes(startMedian <= backlogStartTarget))
	rss := medianInt(r.RSSStarted)
	fmt.Fprintf(&b, "| server RSS a second after the start, median | %s: %s over an empty server's %s, %s per message | — | — |\n",
		fmtMB(rss), fmtMB(rss-r.RSSIdle), fmtMB(r.RSSIdle), perMessageBytes(rss-r.RSSIdle, r.Stored))
	fmt.Fprintf(&b, "| drain: ReceiveMessage of 10 + DeleteMessageBatch, %d workers | %s/s, server CPU %s per message%s | — | — |\n",
		o.Drainers, fmtInt(int(r.Drain.perSecond()+0.5)), fmtCPU(r.Drain.cpuPerMessage()), phaseTrouble(r.Drain))
	if r.Tail.Messages > 0 || r.Tail.Errors > 0 {
		fmt.Fprintf(&b, "| drained after their visibility timeout (the client dropped the receive's answer and asked again) | %s%s | — | — |\n",
			fmtInt(r.Tail.Messages), phaseTrouble(r.Tail))
	}
	fmt.Fprintf(&b, "| messages deleted in all / left after the drain | %s / %s | %s / 0 | %s |\n",
		fmtInt(r.Drain.Messages+r.Tail.Messages), fmtInt(r.Left), fmtInt(r.Fill.Messages), yes(r.Left == 0 && r.Drain.Messages+r.Tail.Messages == r.Fill.Messages))

	fmt.Fprintf(&b, "\nThe fill sends %s messages in batches of ten from %d concurrent clients, within %v; the server's RSS is read "+
		"(VmRSS) a second after. The server is then stopped (SIGTERM) and started on the same data directory %d times, each "+
		"timed from exec to the first 200 from `GET /_nimbus/health` (polled every millisecond), its RSS read a second later. "+
		"On the last start %d clients receive up to ten messages (long polls of 1 s) and delete them in a batch, until every "+
		"message sent is deleted, a receive finds the queue empty, or %v pass. The client sometimes drops an answer while it "+
		"arrives (\"use of closed network connection\", aws-sdk-go-v2#2737) and its retry receives other messages: those of the "+
		"dropped answer stay in flight for the queue's 30 s visibility timeout, and are drained after it, outside the rate. Server CPU is the process's utime+stime over "+
		"each phase. The bench builds `nimbus` with CGO_ENABLED=0, so Pebble's block cache (up to 128 MB) and memtables are "+
		"in the process's RSS.\n", fmtInt(o.N), o.Senders, o.Limit, o.Starts, o.Drainers, o.Limit)
	return b.String()
}

// phaseTrouble notes a phase's errors and time-out.
func phaseTrouble(r backlogRun) string {
	var s string
	if r.Errors > 0 {
		s += fmt.Sprintf("; %s errors, the first: %v", fmtInt(r.Errors), r.First)
	}
	if r.TimedOut {
		s += "; stopped at the time limit"
	}
	return s
}

// fmtSeconds renders a duration in seconds with two decimals.
func fmtSeconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func joinDurations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmtSeconds(d)
	}
	return strings.Join(parts, ", ")
}

// perMessageBytes renders bytes per message.
func perMessageBytes(total int64, messages int) string {
	if messages == 0 {
		return "—"
	}
	return fmt.Sprintf("%d B", total/int64(messages))
}
