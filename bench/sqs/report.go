package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// render writes the results as markdown, with ratios against Nimbus.
func render(o options, results []result, netns string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# SQS benchmark\n\n- date: %s\n- machine: %d CPUs; client and servers share them\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU())
	if netns != "" {
		fmt.Fprintf(&b, "- in a private network namespace (%s): goaws binds every interface\n", netns)
	}
	fmt.Fprintf(&b, "- client: aws-sdk-go-v2 service/sqs v1.24.5 (query protocol), default settings, one attempt per call\n\n")
	b.WriteString("| server | round trip p50 | round trip p99 | batched messages/s | server CPU per message | errors |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		if r.skipped != "" {
			fmt.Fprintf(&b, "| %s | not run (%s) | | | | |\n", r.server, r.skipped)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %d µs | %d |\n", r.server, fmtDur(percentile(r.latencies, 50)),
			fmtDur(percentile(r.latencies, 99)), r.perSecond(), r.cpuPerMessage().Microseconds(), r.errors)
	}
	var nimbus, goaws *result
	for i := range results {
		switch {
		case results[i].skipped != "":
		case results[i].server == "Nimbus":
			nimbus = &results[i]
		case strings.HasPrefix(results[i].server, "goaws"):
			goaws = &results[i]
		}
	}
	if nimbus != nil {
		fmt.Fprintf(&b, "\nTargets: batched ≥ 10,000 messages/s end to end with durable writes: %.0f/s, %s.", nimbus.perSecond(), met(nimbus.perSecond() >= 10000))
		if goaws != nil && goaws.cpuPerMessage() > 0 {
			ratio := float64(nimbus.cpuPerMessage()) / float64(goaws.cpuPerMessage())
			fmt.Fprintf(&b, " Server CPU per message ≤ 1/3 of goaws's: %.2f× goaws's, %s. Nimbus ÷ goaws: round trip p50 %.2f×, batched throughput %.2f×.",
				ratio, met(ratio <= 1.0/3), float64(percentile(nimbus.latencies, 50))/float64(percentile(goaws.latencies, 50)), nimbus.perSecond()/goaws.perSecond())
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nRound trip: SendMessage, ReceiveMessage (short poll), DeleteMessage of one message, %d times. "+
		"Batched: %d workers each sending a batch of 10, receiving up to 10 and deleting them in a batch, until %d messages or %v; "+
		"a message counts once it is deleted. Server CPU: utime+stime of the server process (and its children) over the batched run, per message. "+
		"Nimbus keeps its queues on disk (a data directory; sends and deletes synced before they are answered); goaws and moto keep them in memory.\n",
		o.roundTrips, o.workers, o.messages, o.duration)
	for _, r := range results {
		if r.first != nil {
			fmt.Fprintf(&b, "- %s: first error: %v\n", r.server, r.first)
		}
	}
	return b.String()
}

func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}
