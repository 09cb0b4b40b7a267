package sqs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// A FIFO group is held while its first message is in flight, and released
// by whatever ends that: a delete, a visibility change, the timeout.
func TestFIFOGroupRelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// release acts on a1, received with a visibility timeout of 30 s,
		// and returns what a receive then gets.
		release func(e *env, url string, a1 *string) []string
		want    []string
	}{
		{"deleting the first message", func(e *env, url string, a1 *string) []string {
			if err := e.delete(url, a1); err != nil {
				e.t.Fatal(err)
			}
			return bodies(e.receive(url, 10))
		}, []string{"a2", "a3"}},
		{"a visibility of 0", func(e *env, url string, a1 *string) []string {
			e.changeVisibility(url, a1, 0)
			return bodies(e.receive(url, 10))
		}, []string{"a1", "a2", "a3"}},
		{"a longer visibility holds past the first timeout", func(e *env, url string, a1 *string) []string {
			e.changeVisibility(url, a1, 60)
			e.clock.Advance(31 * time.Second)
			if got := e.receive(url, 10); len(got) != 0 {
				e.t.Errorf("received %v while a1 is held for 60 s", bodies(got))
			}
			e.clock.Advance(30 * time.Second)
			return bodies(e.receive(url, 10))
		}, []string{"a1", "a2", "a3"}},
		{"the timeout", func(e *env, url string, a1 *string) []string {
			e.clock.Advance(31 * time.Second)
			return bodies(e.receive(url, 10))
		}, []string{"a1", "a2", "a3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, envOptions{})
			url := e.createQueue("held.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
			for _, b := range []string{"a1", "a2", "a3"} {
				e.send(url, b, inGroup("a"))
			}
			e.send(url, "b1", inGroup("b"))
			first := e.receive(url, 1, withVisibility(30))
			if got := bodies(e.receive(url, 10, withVisibility(3600))); !cmp.Equal(got, []string{"b1"}) {
				t.Fatalf("while a1 is in flight: %v, want [b1]", got)
			}
			if diff := cmp.Diff(tt.want, tt.release(e, url, first[0].ReceiptHandle)); diff != "" {
				t.Errorf("after the release (-want +got):\n%s", diff)
			}
		})
	}
}

func (e *env) changeVisibility(url string, handle *string, seconds int32) {
	e.t.Helper()
	if _, err := e.c.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: handle, VisibilityTimeout: seconds}); err != nil {
		e.t.Fatalf("ChangeMessageVisibility: %v", err)
	}
}

// Concurrent senders and receivers on a FIFO queue: each message is
// deleted once, and each group is delivered in the order it was sent.
func TestFIFOConcurrent(t *testing.T) {
	t.Parallel()
	const groups, perGroup = 8, 100
	e := startEnv(t, envOptions{})
	url := e.createQueue("busy.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range groups {
		wg.Go(func() { // one sender per group keeps its order
			for i := 0; i < perGroup; i += 10 {
				var entries []SendMessageBatchRequestEntry
				for j := i; j < i+10; j++ {
					entries = append(entries, SendMessageBatchRequestEntry{Id: ptr.To(strconv.Itoa(j - i)),
						MessageBody: ptr.To(fmt.Sprintf("g%d %d", g, j)), MessageGroupId: ptr.To(fmt.Sprint("g", g))})
				}
				if _, err := e.svc.SendMessageBatch(ctx, &SendMessageBatchRequest{QueueUrl: &url, Entries: entries}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var mu sync.Mutex
	delivered := map[string][]int{}
	deleted := 0
	deadline := time.Now().Add(30 * time.Second)
	for range 4 {
		wg.Go(func() {
			for i := 0; i < 100*groups*perGroup && time.Now().Before(deadline); i++ { // short polls, bounded
				out, err := e.svc.ReceiveMessage(ctx, &ReceiveMessageRequest{QueueUrl: &url, MaxNumberOfMessages: ptr.To[int32](3)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				done := deleted == groups*perGroup
				for _, m := range out.Messages {
					g, n, _ := strings.Cut(ptr.Value(m.Body), " ")
					i, _ := strconv.Atoi(n)
					delivered[g] = append(delivered[g], i)
				}
				mu.Unlock()
				if done {
					return
				}
				for _, m := range out.Messages {
					if err := e.svc.DeleteMessage(ctx, &DeleteMessageRequest{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					deleted++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for g := range groups {
		name := fmt.Sprint("g", g)
		want := make([]int, perGroup)
		for i := range want {
			want[i] = i
		}
		if diff := cmp.Diff(want, delivered[name]); diff != "" {
			t.Errorf("group %s delivered (-want +got):\n%s", name, diff)
		}
	}
	if got := e.counts(url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts at the end = %v", got)
	}
}
