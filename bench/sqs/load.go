package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// result is what was measured of one server.
type result struct {
	server, skipped string
	// latencies are single-message round trips: send, receive, delete.
	latencies []time.Duration
	// moved counts messages sent, received and deleted in the throughput
	// run, over elapsed.
	moved   int
	elapsed time.Duration
	// cpu is the server's CPU time over the throughput run.
	cpu    time.Duration
	errors int
	first  error
}

func (r result) perSecond() float64 {
	if r.elapsed == 0 {
		return 0
	}
	return float64(r.moved) / r.elapsed.Seconds()
}

func (r result) cpuPerMessage() time.Duration {
	if r.moved == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.moved)
}

func client(addr string) *sqs.Client {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDBENCH", SecretAccessKey: "SECRETBENCH"}, nil
	})
	return sqs.New(sqs.Options{Region: "us-east-1", EndpointResolver: sqs.EndpointResolverFromURL("http://" + addr),
		Credentials: creds, RetryMaxAttempts: 1})
}

func measure(ctx context.Context, o options, s server) (result, error) {
	r := result{server: s.name}
	addr, err := freeAddr()
	if err != nil {
		return r, err
	}
	cmd, err := s.start(addr)
	if err != nil {
		return r, err
	}
	defer stop(cmd)
	exited := make(chan struct{})
	go func() { cmd.Process.Wait(); close(exited) }()
	if err := waitUp(addr, exited); err != nil {
		return r, err
	}
	c := client(addr)
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench")})
	if err != nil {
		return r, fmt.Errorf("CreateQueue: %w", err)
	}
	url := q.QueueUrl
	progress("%s: up at %s, queue %s", s.name, addr, aws.ToString(url))

	// Latency: one message at a time, short polls.
	for i := 0; i < o.roundTrips; i++ {
		t0 := time.Now()
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("ping " + strconv.Itoa(i))}); err != nil {
			return r, fmt.Errorf("SendMessage: %w", err)
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 1})
		if err != nil {
			return r, fmt.Errorf("ReceiveMessage: %w", err)
		}
		for _, m := range out.Messages {
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return r, fmt.Errorf("DeleteMessage: %w", err)
			}
		}
		if len(out.Messages) == 1 {
			r.latencies = append(r.latencies, time.Since(t0))
		}
	}
	progress("%s: round trip p50 %v", s.name, percentile(r.latencies, 50))

	// Throughput: workers each send a batch of ten, receive up to ten and
	// delete what they got, until the message budget or the time is spent.
	cpu0, _ := processCPU(cmd.Process.Pid)
	var moved, budget atomic.Int64
	budget.Store(int64(o.messages))
	var mu sync.Mutex
	deadline := time.Now().Add(o.duration)
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < o.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(err error) {
				mu.Lock()
				if r.errors++; r.first == nil {
					r.first = err
				}
				mu.Unlock()
			}
			entries := make([]types.SendMessageBatchRequestEntry, 10)
			for i := range entries {
				entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(fmt.Sprintf("message %d of a batch of ten", i))}
			}
			for time.Now().Before(deadline) && budget.Add(-10) >= 0 {
				if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}); err != nil {
					fail(err)
					continue
				}
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10})
				if err != nil {
					fail(err)
					continue
				}
				if len(out.Messages) == 0 {
					continue
				}
				del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
				for i, m := range out.Messages {
					del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
				}
				if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: del}); err != nil {
					fail(err)
					continue
				}
				moved.Add(int64(len(out.Messages)))
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(t0)
	r.moved = int(moved.Load())
	cpu1, _ := processCPU(cmd.Process.Pid)
	r.cpu = cpu1 - cpu0
	progress("%s: %d messages sent, received and deleted in %v (%.0f/s), server CPU %v per message, %d errors",
		s.name, r.moved, r.elapsed.Round(time.Millisecond), r.perSecond(), r.cpuPerMessage(), r.errors)
	return r, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s) - 1) * p / 100
	return s[i]
}
