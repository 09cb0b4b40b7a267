package main

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func (p *process) sqsClient() *sqs.Client {
	return sqs.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(p.url),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")},
		func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
}

// TestKillNineKeepsAcknowledgedMessages sends messages from several
// clients at once, kills `nimbus up` with SIGKILL right after the last
// acknowledgement, restarts it on the same data directory and receives
// every acknowledged message, and none that was deleted.
func TestKillNineKeepsAcknowledgedMessages(t *testing.T) {
	bin := buildNimbus(t)
	dataDir := t.TempDir()
	addr := freeAddr(t)
	ctx := context.Background()

	p := startNimbus(t, bin, addr, dataDir)
	c := p.sqsClient()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("durable")})
	if err != nil {
		t.Fatal(err)
	}
	url := q.QueueUrl
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(fmt.Sprintf("w%d-%d", w, i))})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[aws.ToString(out.MessageId)] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// One received and deleted message must stay deleted.
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url})
	if err != nil || len(got.Messages) != 1 {
		t.Fatalf("receive before the kill: %v", err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	deleted := aws.ToString(got.Messages[0].MessageId)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	p = startNimbus(t, bin, addr, dataDir)
	c = p.sqsClient()
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < len(acked)-1 && time.Now().Before(deadline) {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 600})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			seen[aws.ToString(m.MessageId)] = true
		}
		if len(out.Messages) == 0 {
			break
		}
	}
	if seen[deleted] {
		t.Errorf("the message deleted before the kill came back")
	}
	missing := 0
	for id := range acked {
		if id != deleted && !seen[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged messages lost after kill -9", missing, len(acked)-1)
	}
}
