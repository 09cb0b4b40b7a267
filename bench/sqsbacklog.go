package main

// The SQS backlog bench (-only sqs-backlog): a queue of a million 1 KB
// messages on `nimbus up` with a durable data directory. It measures the
// server's memory with the backlog stored, the time a start takes on that
// data directory, and how fast receive + delete drain it. Every loop is
// bounded in count and time.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// backlogOptions are the knobs of the backlog bench.
type backlogOptions struct {
	// N is how many messages the backlog holds; default 1,000,000.
	N int
	// Size is each message body's size in bytes; default 1024.
	Size int
	// Senders and Drainers are the concurrent clients that fill and drain
	// the queue; default 8 each (the SDK keeps 10 idle connections per
	// host, so more would open and close connections).
	Senders, Drainers int
	// Starts is how many times `nimbus up` is started and timed on the
	// data directory; default 3.
	Starts int
	// Limit bounds the fill and the drain, each; default 20m.
	Limit time.Duration
}

// registerBacklogFlags registers the backlog bench's flags into o.
func registerBacklogFlags(o *backlogOptions) {
	flag.IntVar(&o.N, "backlog-n", 1_000_000, "messages in the SQS backlog (-only sqs-backlog)")
	flag.IntVar(&o.Size, "backlog-size", 1024, "bytes per message body in the SQS backlog")
	flag.IntVar(&o.Senders, "backlog-senders", 8, "concurrent senders filling the SQS backlog")
	flag.IntVar(&o.Drainers, "backlog-drainers", 8, "concurrent receivers draining the SQS backlog")
	flag.IntVar(&o.Starts, "backlog-starts", 3, "timed starts of nimbus up on the SQS backlog's data directory")
	flag.DurationVar(&o.Limit, "backlog-limit", 20*time.Minute, "longest fill, and longest drain, of the SQS backlog")
}

// backlogHeading heads the report's section.
const backlogHeading = "## SQS backlog"

// backlogStartTarget bounds the start of `nimbus up` on a backlog of a
// million messages.
const backlogStartTarget = 5 * time.Second

// backlogRun is one bounded, concurrent phase: the fill or the drain.
type backlogRun struct {
	// Messages counts the messages sent (fill) or deleted (drain).
	Messages int
	Elapsed  time.Duration
	// ServerCPU is the server's CPU time over the phase.
	ServerCPU time.Duration
	Errors    int
	First     error
	// TimedOut is set when the phase hit its time limit.
	TimedOut bool
}

func (r backlogRun) perSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Messages) / r.Elapsed.Seconds()
}

func (r backlogRun) cpuPerMessage() time.Duration {
	if r.Messages == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Messages)
}

// backlogResult is what the backlog bench measured.
type backlogResult struct {
	Opts backlogOptions
	// RSSIdle is the server's VmRSS a second after it started on an empty
	// data directory.
	RSSIdle int64
	Fill    backlogRun
	// RSSFilled is the server's VmRSS once the fill is done; DataBytes the
	// data directory's size after it stopped.
	RSSFilled int64
	DataBytes int64
	// Starts are exec → first 200 from /_nimbus/health on the data
	// directory; RSSStarted the server's VmRSS a second after each.
	Starts     []time.Duration
	RSSStarted []int64
	// Stored counts the queue's messages after the last start.
	Stored int
	Drain  backlogRun
	// Tail drains, once their visibility timeout ended, the messages whose
	// receive's answer the client dropped.
	Tail backlogRun
	// Left counts the messages in the queue after the drain, visible, in
	// flight or delayed.
	Left int
}

// runSQSBacklogOnly runs the backlog bench (-only sqs-backlog), prints its
// section and writes it into o.Out in place of the old one.
func runSQSBacklogOnly(ctx context.Context, o options, nimbusBin, work, commit string, logf *os.File) error {
	start := time.Now()
	busy := waitIdle(o.WaitIdle)
	r, err := measureSQSBacklog(ctx, o.Backlog, nimbusBin, work, logf)
	if err != nil {
		return fmt.Errorf("measuring the SQS backlog: %w", err)
	}
	progress("measured in %v", time.Since(start).Round(time.Second))
	m := describeMachine(commit)
	m.Busy = busy
	section := renderSQSBacklog(m, r, fsName(work))
	fmt.Print(section)
	if err := writeSection(o.Out, backlogHeading, section); err != nil {
		return err
	}
	progress("wrote the SQS backlog section of %s", o.Out)
	return nil
}

// measureSQSBacklog fills a queue on a fresh data directory, restarts the
// server on it o.Starts times, and drains the queue.
func measureSQSBacklog(ctx context.Context, o backlogOptions, bin, work string, logf *os.File) (*backlogResult, error) {
	if o.N < 10 || o.Size < 1 || o.Senders < 1 || o.Drainers < 1 || o.Starts < 1 {
		return nil, fmt.Errorf("-backlog-n ≥ 10, -backlog-size, -backlog-senders, -backlog-drainers and -backlog-starts ≥ 1, please")
	}
	r := &backlogResult{Opts: o}
	dataDir := filepath.Join(work, "backlog-nimbus")
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p, _, err := startBacklogServer(bin, addr, dataDir, logf)
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Second) // as after the starts below
	if r.RSSIdle, err = procRSS(p.pid()); err != nil {
		p.stop(30 * time.Second)
		return nil, err
	}
	c := backlogClient("http://" + addr)
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("backlog")})
	if err != nil {
		p.stop(30 * time.Second)
		return nil, fmt.Errorf("CreateQueue: %w", err)
	}
	url := q.QueueUrl
	progress("sqs backlog: filling a queue with %s messages of %d B, %d senders", fmtInt(o.N), o.Size, o.Senders)
	r.Fill = fillBacklog(ctx, c, p, url, o)
	progress("sqs backlog: sent %s in %v (%.0f/s, server CPU %v per message), %d errors",
		fmtInt(r.Fill.Messages), r.Fill.Elapsed.Round(time.Millisecond), r.Fill.perSecond(), r.Fill.cpuPerMessage(), r.Fill.Errors)
	time.Sleep(time.Second) // let the last requests' garbage go before reading the RSS
	r.RSSFilled, err = procRSS(p.pid())
	p.stop(60 * time.Second)
	if err != nil {
		return nil, err
	}
	if r.Fill.Messages == 0 {
		return nil, fmt.Errorf("no message was sent: %v", r.Fill.First)
	}
	r.DataBytes = dirSize(dataDir)
	progress("sqs backlog: server RSS %s with the backlog sent; data directory %s", fmtMB(r.RSSFilled), fmtMB(r.DataBytes))

	for i := range o.Starts {
		var d time.Duration
		if p, d, err = startBacklogServer(bin, addr, dataDir, logf); err != nil {
			return nil, fmt.Errorf("start %d on the backlog: %w", i+1, err)
		}
		time.Sleep(time.Second) // the start's garbage, collected
		rss, err := procRSS(p.pid())
		if err != nil {
			p.stop(30 * time.Second)
			return nil, err
		}
		r.Starts, r.RSSStarted = append(r.Starts, d), append(r.RSSStarted, rss)
		progress("sqs backlog: start %d: healthy after %v, RSS %s", i+1, d.Round(time.Millisecond), fmtMB(rss))
		if i < o.Starts-1 {
			p.stop(60 * time.Second)
		}
	}
	defer p.stop(60 * time.Second)
	if r.Stored, err = queueLength(ctx, c, url); err != nil {
		return nil, err
	}
	progress("sqs backlog: draining %s messages, %d receivers", fmtInt(r.Stored), o.Drainers)
	r.Drain = drainBacklog(ctx, c, p, url, o.Drainers, 1, o.Limit, r.Fill.Messages)
	progress("sqs backlog: received and deleted %s in %v (%.0f/s, server CPU %v per message), %d errors",
		fmtInt(r.Drain.Messages), r.Drain.Elapsed.Round(time.Millisecond), r.Drain.perSecond(), r.Drain.cpuPerMessage(), r.Drain.Errors)
	// Messages whose receive's answer the client dropped and asked for
	// again (aws-sdk-go-v2#2737) stay in flight until their visibility
	// timeout ends; they are drained then, outside the measured rate.
	left, err := queueLength(ctx, c, url)
	if err != nil {
		return nil, err
	}
	if left > 0 {
		progress("sqs backlog: %d messages left in flight; draining them once their visibility timeout ends", left)
		r.Tail = drainBacklog(ctx, c, p, url, 1, 20, 2*time.Minute, left)
	}
	if r.Left, err = queueLength(ctx, c, url); err != nil {
		return nil, err
	}
	return r, nil
}

// startBacklogServer execs `nimbus up` on the data directory and returns
// it once healthy, with the time from exec to healthy.
func startBacklogServer(bin, addr, dataDir string, logf *os.File) (*process, time.Duration, error) {
	argv := []string{bin, "up", "--addr", addr, "--data-dir", dataDir, "--log-level", "warn"}
	p, t0, err := startProcess(argv, "", nil, logf)
	if err != nil {
		return nil, 0, err
	}
	at, err := waitHealthy("http://"+addr, 2*time.Minute, p.exited)
	if err != nil {
		p.stop(30 * time.Second)
		return nil, 0, err
	}
	return p, at.Sub(t0), nil
}

// backlogClient is the current SQS client (awsJson1.0) with default
// settings.
func backlogClient(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "SECRETBENCH", "")})
}

// fillBacklog sends o.N messages in batches of ten from o.Senders
// workers, within o.Limit.
func fillBacklog(ctx context.Context, c *sqs.Client, p *process, url *string, o backlogOptions) backlogRun {
	pad := strings.Repeat("x", o.Size)
	batches := (o.N + 9) / 10
	var next, sent atomic.Int64
	return runBacklogPhase(ctx, p, o.Senders, o.Limit, func(ctx context.Context) (int, bool, error) {
		b := int(next.Add(1)) - 1
		if b >= batches {
			return 0, true, nil
		}
		entries := make([]types.SendMessageBatchRequestEntry, 0, 10)
		for i := b * 10; i < min(b*10+10, o.N); i++ {
			id := strconv.Itoa(i)
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String("m" + strconv.Itoa(i%10)),
				MessageBody: aws.String(id + pad[len(id):])})
		}
		out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries})
		if err != nil {
			return 0, false, err
		}
		if len(out.Failed) > 0 {
			return len(out.Successful), false, fmt.Errorf("%d entries failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
		if n := sent.Add(int64(len(out.Successful))); n/100_000 != (n-int64(len(out.Successful)))/100_000 {
			progress("sqs backlog: %s sent", fmtInt(int(n)))
		}
		return len(out.Successful), false, nil
	})
}

// drainBacklog receives up to ten messages at a time from workers, with
// long polls of wait seconds, and deletes them in batches, until want are
// deleted, a receive finds the queue empty, or limit passes.
func drainBacklog(ctx context.Context, c *sqs.Client, p *process, url *string, workers int, wait int32, limit time.Duration, want int) backlogRun {
	var deleted atomic.Int64
	return runBacklogPhase(ctx, p, workers, limit, func(ctx context.Context) (int, bool, error) {
		if deleted.Load() >= int64(want) {
			return 0, true, nil
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: wait})
		if err != nil {
			return 0, false, err
		}
		if len(out.Messages) == 0 {
			return 0, true, nil // empty for the whole poll: drained
		}
		entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: entries})
		if err != nil {
			return 0, false, err
		}
		if len(del.Failed) > 0 {
			return len(del.Successful), false, fmt.Errorf("%d deletes failed: %s", len(del.Failed), aws.ToString(del.Failed[0].Message))
		}
		n := deleted.Add(int64(len(del.Successful)))
		if n/100_000 != (n-int64(len(del.Successful)))/100_000 {
			progress("sqs backlog: %s drained", fmtInt(int(n)))
		}
		return len(del.Successful), false, nil
	})
}

// runBacklogPhase runs step from workers goroutines until each is done,
// limit passes or ctx ends, and measures the server's CPU over it. step
// reports the messages it moved and whether the worker is done. A worker
// that failed 100 times in a row stops.
func runBacklogPhase(ctx context.Context, p *process, workers int, limit time.Duration, step func(context.Context) (int, bool, error)) backlogRun {
	var r backlogRun
	var mu sync.Mutex
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cpu0, _ := procCPU(p.pid())
	t0 := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			failures := 0
			for ctx.Err() == nil && failures < 100 {
				n, done, err := step(ctx)
				mu.Lock()
				r.Messages += n
				if err != nil && ctx.Err() == nil {
					if r.Errors++; r.First == nil {
						r.First = err
					}
				}
				mu.Unlock()
				if done {
					return
				}
				if err != nil {
					failures++
				} else {
					failures = 0
				}
			}
		})
	}
	wg.Wait()
	r.Elapsed = time.Since(t0)
	r.TimedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	cpu1, _ := procCPU(p.pid())
	r.ServerCPU = cpu1 - cpu0
	return r
}

// queueLength counts the queue's messages: visible, in flight and delayed.
func queueLength(ctx context.Context, c *sqs.Client, url *string) (int, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		return 0, fmt.Errorf("GetQueueAttributes: %w", err)
	}
	total := 0
	for _, name := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"} {
		n, err := strconv.Atoi(out.Attributes[name])
		if err != nil {
			return 0, fmt.Errorf("GetQueueAttributes: %s = %q", name, out.Attributes[name])
		}
		total += n
	}
	return total, nil
}

// dirSize is the bytes of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
