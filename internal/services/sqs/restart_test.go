package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/storage"
)

func withVisibility(s int32) func(*sqs.ReceiveMessageInput) {
	return func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = s }
}

func inGroup(g string) func(*sqs.SendMessageInput) {
	return func(in *sqs.SendMessageInput) { in.MessageGroupId = aws.String(g) }
}

// Restarts on the same store keep what receives, deletes and visibility
// changes did, as they kept it when whole messages were stored.
func TestRestart(t *testing.T) {
	t.Parallel()
	fifo := map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}
	tests := []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{"an in-flight message stays in flight", func(t *testing.T, e *env) {
			url := e.createQueue("inflight", nil)
			e.send(url, "m")
			first := e.receive(url, 1, withVisibility(60))
			e.restart()
			if got := e.receive(url, 10); len(got) != 0 {
				t.Fatalf("received while in flight: %v", bodies(got))
			}
			if diff := cmp.Diff([3]string{"0", "1", "0"}, e.counts(url)); diff != "" {
				t.Errorf("counts after the restart (-want +got):\n%s", diff)
			}
			e.clock.Advance(61 * time.Second)
			again := e.receive(url, 1)
			if len(again) != 1 || again[0].Attributes["ApproximateReceiveCount"] != "2" ||
				again[0].Attributes["ApproximateFirstReceiveTimestamp"] != first[0].Attributes["ApproximateFirstReceiveTimestamp"] {
				t.Errorf("after the visibility timeout: %+v", again)
			}
		}},
		{"a visibility change is kept", func(t *testing.T, e *env) {
			url := e.createQueue("changed", nil)
			e.send(url, "m")
			m := e.receive(url, 1, withVisibility(10))
			if _, err := e.c.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
				ReceiptHandle: m[0].ReceiptHandle, VisibilityTimeout: 300}); err != nil {
				t.Fatal(err)
			}
			e.restart()
			e.clock.Advance(60 * time.Second)
			if got := e.receive(url, 1); len(got) != 0 {
				t.Fatalf("received before the changed timeout ended: %v", bodies(got))
			}
			if err := e.delete(url, m[0].ReceiptHandle); err != nil {
				t.Fatalf("delete by the handle given before the restart: %v", err)
			}
			if diff := cmp.Diff([3]string{"0", "0", "0"}, e.counts(url)); diff != "" {
				t.Errorf("counts after the delete (-want +got):\n%s", diff)
			}
		}},
		{"delayed messages stay delayed", func(t *testing.T, e *env) {
			url := e.createQueue("delayed", map[string]string{"DelaySeconds": "30"})
			e.send(url, "m")
			e.restart()
			if diff := cmp.Diff([3]string{"0", "0", "1"}, e.counts(url)); diff != "" {
				t.Errorf("counts after the restart (-want +got):\n%s", diff)
			}
			e.clock.Advance(31 * time.Second)
			if got := bodies(e.receive(url, 10)); !cmp.Equal(got, []string{"m"}) {
				t.Errorf("after the delay: %v", got)
			}
		}},
		{"FIFO order and held groups", func(t *testing.T, e *env) {
			url := e.createQueue("order.fifo", fifo)
			for _, m := range []struct{ group, body string }{{"a", "a1"}, {"a", "a2"}, {"b", "b1"}, {"a", "a3"}, {"c", "c1"}} {
				e.send(url, m.body, inGroup(m.group))
			}
			held := e.receive(url, 1, withVisibility(60))
			if got := bodies(held); !cmp.Equal(got, []string{"a1"}) {
				t.Fatalf("first receive = %v", got)
			}
			e.restart()
			if got := bodies(e.receive(url, 10, withVisibility(60))); !cmp.Equal(got, []string{"b1", "c1"}) {
				t.Errorf("with a1 in flight = %v, want [b1 c1]", got)
			}
			if err := e.delete(url, held[0].ReceiptHandle); err != nil {
				t.Fatalf("delete by the handle given before the restart: %v", err)
			}
			if got := bodies(e.receive(url, 10)); !cmp.Equal(got, []string{"a2", "a3"}) {
				t.Errorf("after a1's delete = %v, want [a2 a3]", got)
			}
		}},
		{"a standard queue takes an old receipt handle", func(t *testing.T, e *env) {
			url := e.createQueue("old-handle", nil)
			e.send(url, "m")
			old := e.receive(url, 1, withVisibility(1))
			e.clock.Advance(2 * time.Second)
			if got := e.receive(url, 1, withVisibility(1)); len(got) != 1 {
				t.Fatalf("second receive got %d", len(got))
			}
			e.clock.Advance(2 * time.Second)
			e.restart()
			if err := e.delete(url, old[0].ReceiptHandle); err != nil {
				t.Fatalf("delete by the first receive's handle: %v", err)
			}
			if diff := cmp.Diff([3]string{"0", "0", "0"}, e.counts(url)); diff != "" {
				t.Errorf("counts after the delete (-want +got):\n%s", diff)
			}
			if got := e.receive(url, 10); len(got) != 0 {
				t.Errorf("deleted, yet received %v", bodies(got))
			}
			if err := e.delete(url, old[0].ReceiptHandle); err != nil {
				t.Errorf("a second delete: %v", err)
			}
		}},
		{"a FIFO queue refuses a stale receipt handle", func(t *testing.T, e *env) {
			url := e.createQueue("stale.fifo", fifo)
			e.send(url, "m", inGroup("g"))
			old := e.receive(url, 1, withVisibility(1))
			e.restart()
			e.clock.Advance(2 * time.Second)
			err := e.delete(url, old[0].ReceiptHandle)
			wantAPIError(t, err, "InvalidParameterValue", "Value "+aws.ToString(old[0].ReceiptHandle)+
				" for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
			if got := bodies(e.receive(url, 10)); !cmp.Equal(got, []string{"m"}) {
				t.Errorf("after the refused delete: %v", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, startEnv(t, envOptions{dir: t.TempDir()}))
		})
	}
}

// A store written before messages were split into body and state records
// is converted when the service starts.
func TestLegacyLayoutIsConverted(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{dir: t.TempDir()})
	url := e.createQueue("legacy", nil)
	k := queueKey{"000000000000", "us-east-1", "legacy"}
	for i, m := range []legacyMessage{
		{ID: "id-0", Body: "zero", MD5Body: md5Hex("zero"), SentMs: epoch.UnixMilli(), SenderID: "AKID", VisibleAtMs: epoch.UnixMilli()},
		{ID: "id-1", Body: "one", MD5Body: md5Hex("one"), SentMs: epoch.UnixMilli(), SenderID: "AKID", ReceiveCount: 2,
			FirstReceiveMs: epoch.UnixMilli() - 5000, VisibleAtMs: epoch.UnixMilli() + 30_000},
	} {
		raw, _ := json.Marshal(m)
		if err := e.db.Set(seqKey(legacyPrefix(k), uint64(i+1)), raw); err != nil {
			t.Fatal(err)
		}
	}
	e.restart()
	if diff := cmp.Diff([3]string{"1", "1", "0"}, e.counts(url)); diff != "" {
		t.Errorf("counts of the converted messages (-want +got):\n%s", diff)
	}
	e.clock.Advance(31 * time.Second)
	got := e.receive(url, 10)
	var summary []string
	for _, m := range got {
		summary = append(summary, fmt.Sprintf("%s %s %s", aws.ToString(m.MessageId), aws.ToString(m.Body), m.Attributes["ApproximateReceiveCount"]))
	}
	if diff := cmp.Diff([]string{"id-0 zero 1", "id-1 one 3"}, summary); diff != "" {
		t.Errorf("converted messages (-want +got):\n%s", diff)
	}
	left := 0
	e.db.Scan(legacyPrefix(k), func(_, _ []byte) error { left++; return nil })
	if left != 0 {
		t.Errorf("%d records left in the old layout", left)
	}
}

// A standard queue answers OverLimit past its in-flight limit; a FIFO
// queue answers with fewer messages.
func TestInFlightLimit(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{limit: 3})
	std := e.createQueue("limited", nil)
	fifo := e.createQueue("limited.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for i := range 5 {
		e.send(std, fmt.Sprint("s", i))
		e.send(fifo, fmt.Sprint("f", i), inGroup(fmt.Sprint("g", i)))
	}
	var received []types.Message
	for _, url := range []string{std, fifo} {
		got := e.receive(url, 10)
		if len(got) != 3 {
			t.Errorf("%s: received %d, want the limit, 3", url, len(got))
		}
		if url == std {
			received = got
		}
	}
	_, err := e.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(std)})
	wantAPIError(t, err, "OverLimit", "")
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != http.StatusForbidden {
		t.Errorf("OverLimit status %d, want 403", re.HTTPStatusCode())
	}
	if got := e.receive(fifo, 10); len(got) != 0 {
		t.Errorf("FIFO past the limit received %v", bodies(got))
	}
	if err := e.delete(std, received[0].ReceiptHandle); err != nil {
		t.Fatal(err)
	}
	if got := e.receive(std, 10); len(got) != 1 {
		t.Errorf("after a delete: received %d, want 1", len(got))
	}
	e.clock.Advance(31 * time.Second)
	if got := e.receive(std, 10); len(got) != 3 {
		t.Errorf("after the timeouts: received %d, want 3", len(got))
	}
}

// A long poll parked on the fake clock, which never moves, wakes on the
// send.
func TestLongPollWakesOnSend(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	url := e.createQueue("poll", nil)
	done := make(chan []types.Message, 1)
	go func() {
		out, err := e.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 10})
		if err != nil {
			t.Error(err)
		}
		done <- out.Messages
	}()
	e.clock.waitArmed(t, 10*time.Second) // the poll waits
	e.send(url, "wake")
	select {
	case msgs := <-done:
		if got := bodies(msgs); !cmp.Equal(got, []string{"wake"}) {
			t.Errorf("long poll answered %v", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the long poll did not wake on the send")
	}
}

// Close ends long polls at once.
func TestCloseEndsLongPolls(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	url := e.createQueue("closing", nil)
	done := make(chan error, 1)
	go func() {
		_, err := e.c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		done <- err
	}()
	e.clock.waitArmed(t, 20*time.Second)
	e.close(false)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the long poll failed: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not end the long poll")
	}
}

// The sweep deletes messages past their retention from a queue nobody
// receives from, and forgets deleted queues after their 60 seconds.
func TestRetentionSweep(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	std := e.createQueue("short", map[string]string{"MessageRetentionPeriod": "60"})
	fifo := e.createQueue("short.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "MessageRetentionPeriod": "60"})
	gone := e.createQueue("gone", nil)
	for i := range 3 {
		e.send(std, fmt.Sprint("m", i))
		e.send(fifo, fmt.Sprint("m", i), inGroup("g"))
	}
	if _, err := e.c.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	e.clock.waitArmed(t, sweepInterval) // the first sweep's timer, armed by New
	e.clock.Advance(30 * time.Second)
	e.send(std, "young") // sent 30 s later: kept
	e.clock.Advance(31 * time.Second)
	e.clock.waitArmed(t, sweepInterval) // the sweep ran and armed the next
	for _, url := range []string{std, fifo} {
		want := [3]string{"0", "0", "0"}
		if url == std {
			want[0] = "1"
		}
		if diff := cmp.Diff(want, e.counts(url)); diff != "" {
			t.Errorf("%s after the sweep (-want +got):\n%s", url, diff)
		}
	}
	records := 0
	e.db.Scan(storage.Key("sqs", "b"), func(_, _ []byte) error { records++; return nil })
	if records != 1 {
		t.Errorf("%d bodies stored after the sweep, want 1", records)
	}
	e.svc.mu.RLock()
	remembered := len(e.svc.deleted)
	e.svc.mu.RUnlock()
	if remembered != 0 {
		t.Errorf("%d deleted queues remembered after 60 s", remembered)
	}
}

// Message move tasks, driven to the end through the API.
func TestMessageMoveTasks(t *testing.T) {
	t.Parallel()
	e := startEnv(t, envOptions{})
	ctx := context.Background()
	dlq := e.createQueue("moved-dlq", nil)
	dlqARN := "arn:aws:sqs:us-east-1:000000000000:moved-dlq"
	src := e.createQueue("moved-src", map[string]string{"VisibilityTimeout": "1",
		"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":1}`})
	for _, b := range []string{"a", "b"} {
		e.send(src, b)
	}
	e.receive(src, 10)
	e.clock.Advance(2 * time.Second)
	if got := e.receive(src, 10); len(got) != 0 { // this receive dead-letters both
		t.Fatalf("received %v", bodies(got))
	}

	_, err := e.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:moved-src")})
	wantAPIError(t, err, "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.")
	_, err = e.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN), DestinationArn: aws.String(dlqARN + "doesntexist")})
	wantAPIError(t, err, "ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist.")

	task, err := e.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)})
	if err != nil || aws.ToString(task.TaskHandle) == "" {
		t.Fatalf("StartMessageMoveTask = %v, %v", task, err)
	}
	e.svc.moving.Wait()
	list, err := e.c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN)})
	if err != nil || len(list.Results) != 1 {
		t.Fatalf("ListMessageMoveTasks = %+v, %v", list, err)
	}
	r := list.Results[0]
	if aws.ToString(r.Status) != "COMPLETED" || r.ApproximateNumberOfMessagesMoved != 2 || r.ApproximateNumberOfMessagesToMove == nil ||
		*r.ApproximateNumberOfMessagesToMove != 2 || r.TaskHandle != nil || r.DestinationArn != nil {
		t.Errorf("task = %+v", r)
	}
	back := bodies(e.receive(src, 10))
	if !cmp.Equal(back, []string{"a", "b"}) && !cmp.Equal(back, []string{"b", "a"}) {
		t.Errorf("back in the source queue: %v", back)
	}
	if got := e.receive(dlq, 10); len(got) != 0 {
		t.Errorf("the dead-letter queue still holds %v", bodies(got))
	}
	_, err = e.c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String("foobared")})
	wantAPIError(t, err, "InvalidParameterValue", "Value for parameter TaskHandle is invalid.")
	_, err = e.c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: task.TaskHandle})
	wantAPIError(t, err, "ResourceNotFoundException", "Task does not exist.")

	t.Run("the most recent tasks are kept, and go with their queue", func(t *testing.T) {
		for range maxTasks + 2 {
			if _, err := e.c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN)}); err != nil {
				t.Fatal(err)
			}
			e.svc.moving.Wait()
		}
		list, err := e.c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(dlqARN), MaxResults: aws.Int32(10)})
		if err != nil || len(list.Results) != maxTasks {
			t.Fatalf("ListMessageMoveTasks = %d results, %v; want %d", len(list.Results), err, maxTasks)
		}
		if _, err := e.c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(dlq)}); err != nil {
			t.Fatal(err)
		}
		e.svc.mu.RLock()
		kept := len(e.svc.tasks[dlqARN])
		e.svc.mu.RUnlock()
		if kept != 0 {
			t.Errorf("%d tasks kept after their queue was deleted", kept)
		}
	})
}

// Close stops a running move task and waits for it: closing the store
// afterwards is safe (it used to panic with "pebble: closed").
func TestCloseStopsMoveTasks(t *testing.T) {
	t.Parallel()
	for _, rate := range []int32{0, 1} {
		t.Run("rate "+strconv.Itoa(int(rate)), func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, envOptions{dir: t.TempDir()})
			ctx := context.Background()
			dlqARN := "arn:aws:sqs:us-east-1:000000000000:big-dlq"
			dlq := e.createQueue("big-dlq", nil)
			e.createQueue("big-src", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":1}`})
			for i := 0; i < 500; i += 10 {
				var entries []types.SendMessageBatchRequestEntry
				for j := range 10 {
					entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", j)), MessageBody: aws.String(fmt.Sprint("m", i+j))})
				}
				if _, err := e.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(dlq), Entries: entries}); err != nil {
					t.Fatal(err)
				}
			}
			in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(dlqARN), DestinationArn: aws.String("arn:aws:sqs:us-east-1:000000000000:big-src")}
			if rate > 0 {
				in.MaxNumberOfMessagesPerSecond = aws.Int32(rate)
			}
			if _, err := e.c.StartMessageMoveTask(ctx, in); err != nil {
				t.Fatal(err)
			}
			e.close(false) // the service while the task runs or waits, then the store
		})
	}
}
