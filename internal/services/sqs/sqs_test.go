package sqs_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

var epoch = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// start returns a client of a fresh server; with a fake clock when clk is
// set, so that visibility timeouts and delays are stepped, not slept.
func start(t *testing.T, clk clock.Clock) (*sqs.Client, *nimbustest.Nimbus) {
	t.Helper()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Clock: clk, Isolation: "off"}})
	return sqs.NewFromConfig(n.Config(), func(o *sqs.Options) { o.RetryMaxAttempts = 1 }), n
}

func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// wantAPIError checks err's code and message as the SDK surfaces them.
func wantAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (message != "" && ae.ErrorMessage() != message) {
		t.Errorf("error = %s: %q, want %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
}

func receive(t *testing.T, c *sqs.Client, url string, n int32, extra ...func(*sqs.ReceiveMessageInput)) []types.Message {
	t.Helper()
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: n,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"}}
	for _, f := range extra {
		f(in)
	}
	out, err := c.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func bodies(msgs []types.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

func TestQueues(t *testing.T) {
	t.Parallel()
	c, n := start(t, nil)
	ctx := context.Background()
	url := createQueue(t, c, "orders", map[string]string{"VisibilityTimeout": "60"})
	if want := n.URL() + "/000000000000/orders"; url != want {
		t.Errorf("QueueUrl = %s, want %s", url, want)
	}

	t.Run("create is idempotent with the same attributes only", func(t *testing.T) {
		if again := createQueue(t, c, "orders", map[string]string{"VisibilityTimeout": "60"}); again != url {
			t.Errorf("second create = %s", again)
		}
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "61"}})
		wantAPIError(t, err, "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute VisibilityTimeout")
	})
	t.Run("names and attributes are validated", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			attrs map[string]string
			code  string
		}{
			{"has space", nil, "InvalidParameterValue"},
			{strings.Repeat("a", 81), nil, "InvalidParameterValue"},
			{"plain.fifo", nil, "InvalidParameterValue"},
			{"nofifo", map[string]string{"FifoQueue": "true"}, "InvalidParameterValue"},
			{"q1", map[string]string{"VisibilityTimeout": "43201"}, "InvalidAttributeValue"},
			{"q2", map[string]string{"Bogus": "1"}, "InvalidAttributeName"},
			{"q3", map[string]string{"ContentBasedDeduplication": "true"}, "InvalidAttributeName"},
			{"q4", map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:nope","maxReceiveCount":3}`}, "InvalidParameterValue"},
		} {
			_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(tt.name), Attributes: tt.attrs})
			wantAPIError(t, err, tt.code, "")
		}
	})
	t.Run("GetQueueUrl and a missing queue", func(t *testing.T) {
		out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
		if err != nil || aws.ToString(out.QueueUrl) != url {
			t.Fatalf("GetQueueUrl = %v, %v", out, err)
		}
		_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
		wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
		var typed *types.QueueDoesNotExist
		if !errors.As(err, &typed) {
			t.Errorf("the SDK did not map the error to types.QueueDoesNotExist: %T", err)
		}
	})
	t.Run("attributes", func(t *testing.T) {
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		a := out.Attributes
		want := map[string]string{"VisibilityTimeout": "60", "DelaySeconds": "0", "MaximumMessageSize": "1048576",
			"MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0", "ApproximateNumberOfMessages": "0",
			"ApproximateNumberOfMessagesNotVisible": "0", "ApproximateNumberOfMessagesDelayed": "0",
			"QueueArn": "arn:aws:sqs:us-east-1:000000000000:orders", "SqsManagedSseEnabled": "true"}
		for k, v := range want {
			if a[k] != v {
				t.Errorf("%s = %q, want %q", k, a[k], v)
			}
		}
		if _, err := strconv.ParseInt(a["CreatedTimestamp"], 10, 64); err != nil {
			t.Errorf("CreatedTimestamp = %q", a["CreatedTimestamp"])
		}
		if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
			Attributes: map[string]string{"DelaySeconds": "5"}}); err != nil {
			t.Fatal(err)
		}
		out, _ = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameDelaySeconds}})
		if diff := cmp.Diff(map[string]string{"DelaySeconds": "5"}, out.Attributes); diff != "" {
			t.Errorf("after SetQueueAttributes (-want +got):\n%s", diff)
		}
	})
	t.Run("ListQueues with prefix and paging", func(t *testing.T) {
		for i := range 5 {
			createQueue(t, c, fmt.Sprintf("page-%d", i), nil)
		}
		var got []string
		var token *string
		for range 10 {
			out, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("page-"), MaxResults: aws.Int32(2), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, out.QueueUrls...)
			if token = out.NextToken; token == nil {
				break
			}
		}
		if len(got) != 5 || !sort.StringsAreSorted(got) || !strings.HasSuffix(got[4], "/page-4") {
			t.Errorf("paged ListQueues = %v", got)
		}
	})
	t.Run("tags", func(t *testing.T) {
		if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"team": "a", "env": "dev"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"env"}}); err != nil {
			t.Fatal(err)
		}
		out, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
		if err != nil || !cmp.Equal(out.Tags, map[string]string{"team": "a"}) {
			t.Errorf("ListQueueTags = %v, %v", out, err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		u := createQueue(t, c, "doomed", nil)
		if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(u), MessageBody: aws.String("x")})
		wantAPIError(t, err, "AWS.SimpleQueueService.NonExistentQueue", "")
		_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("doomed")})
		wantAPIError(t, err, "AWS.SimpleQueueService.QueueDeletedRecently", "")
	})
}

func TestSendReceiveDelete(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	c, _ := start(t, clk)
	ctx := context.Background()
	url := createQueue(t, c, "work", map[string]string{"VisibilityTimeout": "30"})

	// The SDK checks MD5OfMessageBody and MD5OfMessageAttributes itself.
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("hello ✓"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"kind":  {DataType: aws.String("String"), StringValue: aws.String("greeting")},
			"count": {DataType: aws.String("Number"), StringValue: aws.String("3")},
			"blob":  {DataType: aws.String("Binary.gz"), BinaryValue: []byte{0, 1, 2}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := receive(t, c, url, 10)
	if len(msgs) != 1 || aws.ToString(msgs[0].MessageId) != aws.ToString(sent.MessageId) {
		t.Fatalf("received %v", bodies(msgs))
	}
	m := msgs[0]
	if aws.ToString(m.Body) != "hello ✓" || m.Attributes["ApproximateReceiveCount"] != "1" ||
		m.Attributes["SentTimestamp"] != strconv.FormatInt(epoch.UnixMilli(), 10) || len(m.MessageAttributes) != 3 {
		t.Errorf("message = %+v", m)
	}
	if got := receive(t, c, url, 10); len(got) != 0 {
		t.Errorf("in flight, yet received again: %v", bodies(got))
	}

	clk.Advance(31 * time.Second)
	again := receive(t, c, url, 10)
	if len(again) != 1 || again[0].Attributes["ApproximateReceiveCount"] != "2" || aws.ToString(again[0].ReceiptHandle) == aws.ToString(m.ReceiptHandle) {
		t.Fatalf("after the visibility timeout: %+v", again)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
		ReceiptHandle: again[0].ReceiptHandle, VisibilityTimeout: 0})
	if err != nil {
		t.Fatal(err)
	}
	third := receive(t, c, url, 1)
	if len(third) != 1 {
		t.Fatal("visibility 0 did not make the message receivable")
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: third[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if got := receive(t, c, url, 10); len(got) != 0 {
		t.Errorf("deleted, yet received: %v", bodies(got))
	}
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
	wantAPIError(t, err, "ReceiptHandleIsInvalid", `The input receipt handle "garbage" is not a valid receipt handle.`)
}

func TestDelays(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	c, _ := start(t, clk)
	ctx := context.Background()
	url := createQueue(t, c, "later", map[string]string{"DelaySeconds": "10"})
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("queue delay")})
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("own delay"), DelaySeconds: 30})
	attrs, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if attrs.Attributes["ApproximateNumberOfMessagesDelayed"] != "2" {
		t.Errorf("delayed = %v", attrs.Attributes)
	}
	if got := receive(t, c, url, 10); len(got) != 0 {
		t.Errorf("received during the delay: %v", bodies(got))
	}
	clk.Advance(11 * time.Second)
	if got := bodies(receive(t, c, url, 10)); !cmp.Equal(got, []string{"queue delay"}) {
		t.Errorf("after 11 s: %v", got)
	}
	clk.Advance(20 * time.Second)
	if got := bodies(receive(t, c, url, 10)); !cmp.Equal(got, []string{"own delay"}) {
		t.Errorf("after 31 s: %v", got)
	}
}

func TestFIFO(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	c, _ := start(t, clk)
	ctx := context.Background()
	url := createQueue(t, c, "jobs.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "30"})
	send := func(group, dedup, body string) *sqs.SendMessageOutput {
		t.Helper()
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body),
			MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(dedup)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := send("a", "1", "a1")
	send("a", "2", "a2")
	send("b", "3", "b1")
	send("a", "4", "a3")
	if dup := send("a", "1", "a1 again"); aws.ToString(dup.MessageId) != aws.ToString(first.MessageId) {
		t.Errorf("a duplicate got a new id")
	}
	if first.SequenceNumber == nil {
		t.Error("no SequenceNumber")
	}

	got := receive(t, c, url, 2)
	if !cmp.Equal(bodies(got), []string{"a1", "a2"}) {
		t.Fatalf("first receive = %v", bodies(got))
	}
	// Group a is held while a1 and a2 are in flight; b is free.
	if next := bodies(receive(t, c, url, 10)); !cmp.Equal(next, []string{"b1"}) {
		t.Errorf("second receive = %v, want [b1]", next)
	}
	c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: got[0].ReceiptHandle})
	if next := bodies(receive(t, c, url, 10)); len(next) != 0 {
		t.Errorf("a2 still in flight, yet received %v", next)
	}
	clk.Advance(31 * time.Second)
	// a2 came back first in its group, then a3; b1 too.
	if next := bodies(receive(t, c, url, 10)); !cmp.Equal(next, []string{"a2", "a3", "b1"}) {
		t.Errorf("after the timeout = %v, want [a2 a3 b1]", next)
	}

	t.Run("rules", func(t *testing.T) {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
		wantAPIError(t, err, "InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
		wantAPIError(t, err, "MissingParameter", "The request must contain the parameter MessageGroupId.")
	})
	t.Run("content-based deduplication", func(t *testing.T) {
		u := createQueue(t, c, "cbd.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		for range 3 {
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(u), MessageBody: aws.String("same"), MessageGroupId: aws.String("g")}); err != nil {
				t.Fatal(err)
			}
		}
		if got := receive(t, c, u, 10); len(got) != 1 {
			t.Errorf("3 identical sends delivered %d", len(got))
		}
		clk.Advance(6 * time.Minute) // past the window: accepted again
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(u), MessageBody: aws.String("same"), MessageGroupId: aws.String("g")})
		attrs, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
		if attrs.Attributes["ApproximateNumberOfMessages"] != "2" {
			t.Errorf("after the window: %v", attrs.Attributes)
		}
	})
}

func TestDeadLetterQueue(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	c, _ := start(t, clk)
	ctx := context.Background()
	dlq := createQueue(t, c, "failed", nil)
	src := createQueue(t, c, "source", map[string]string{"VisibilityTimeout": "5",
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:failed","maxReceiveCount":2}`})
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(src), MessageBody: aws.String("poison")})
	for i := range 2 {
		if got := receive(t, c, src, 1); len(got) != 1 {
			t.Fatalf("receive %d got nothing", i+1)
		}
		clk.Advance(6 * time.Second)
	}
	if got := receive(t, c, src, 1); len(got) != 0 {
		t.Fatalf("a third receive delivered past maxReceiveCount: %v", bodies(got))
	}
	moved := receive(t, c, dlq, 1)
	if len(moved) != 1 || aws.ToString(moved[0].Body) != "poison" ||
		moved[0].Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:000000000000:source" {
		t.Fatalf("dead-letter queue holds %+v", moved)
	}
	out, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	if err != nil || len(out.QueueUrls) != 1 || out.QueueUrls[0] != src {
		t.Errorf("ListDeadLetterSourceQueues = %v, %v", out, err)
	}
}

func TestBatches(t *testing.T) {
	t.Parallel()
	c, _ := start(t, nil)
	ctx := context.Background()
	url := createQueue(t, c, "batch", map[string]string{"MaximumMessageSize": "1024"})
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("ok1"), MessageBody: aws.String("one")},
		{Id: aws.String("big"), MessageBody: aws.String(strings.Repeat("x", 2000))},
		{Id: aws.String("ok2"), MessageBody: aws.String("two")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 2 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "big" ||
		aws.ToString(out.Failed[0].Code) != "InvalidParameterValue" || !out.Failed[0].SenderFault {
		t.Errorf("batch result = %+v", out)
	}
	msgs := receive(t, c, url, 10)
	var entries []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("d", i)), ReceiptHandle: m.ReceiptHandle})
	}
	entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String("bad"), ReceiptHandle: aws.String("nope")})
	del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil || len(del.Successful) != 2 || len(del.Failed) != 1 || aws.ToString(del.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("DeleteMessageBatch = %+v, %v", del, err)
	}
	for _, tt := range []struct {
		entries []types.SendMessageBatchRequestEntry
		code    string
	}{
		{[]types.SendMessageBatchRequestEntry{}, "AWS.SimpleQueueService.EmptyBatchRequest"},
		{[]types.SendMessageBatchRequestEntry{{Id: aws.String("a:b"), MessageBody: aws.String("x")}}, "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{[]types.SendMessageBatchRequestEntry{{Id: aws.String("a"), MessageBody: aws.String("x")}, {Id: aws.String("a"), MessageBody: aws.String("y")}}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
	} {
		_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: tt.entries})
		wantAPIError(t, err, tt.code, "")
	}
}

// Messages survive a restart of the server on the same data directory.
func TestMessagesSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := server.Config{DataDir: dir, Isolation: "off"}
	n := nimbustest.StartWith(t, nimbustest.Options{Config: cfg})
	c := sqs.NewFromConfig(n.Config())
	url := createQueue(t, c, "durable.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for i := range 5 {
		if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url),
			MessageBody: aws.String(fmt.Sprint("m", i)), MessageGroupId: aws.String("g")}); err != nil {
			t.Fatal(err)
		}
	}
	n.Stop()
	n = nimbustest.StartWith(t, nimbustest.Options{Config: cfg})
	c = sqs.NewFromConfig(n.Config())
	url = strings.Replace(url, url[:strings.Index(url, "/000000000000")], n.URL(), 1)
	if got := bodies(receive(t, c, url, 10)); !cmp.Equal(got, []string{"m0", "m1", "m2", "m3", "m4"}) {
		t.Errorf("after a restart: %v", got)
	}
}

// Behaviours recorded from AWS that are easy to get wrong.
func TestRecordedRules(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(epoch)
	c, _ := start(t, clk)
	ctx := context.Background()

	t.Run("a FIFO delete with an expired receipt handle is refused", func(t *testing.T) {
		u := createQueue(t, c, "expiry.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "1"})
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(u), MessageBody: aws.String("x"),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d")})
		m := receive(t, c, u, 1)
		clk.Advance(2 * time.Second)
		_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(u), ReceiptHandle: m[0].ReceiptHandle})
		wantAPIError(t, err, "InvalidParameterValue", "Value "+aws.ToString(m[0].ReceiptHandle)+" for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")
	})
	t.Run("a FIFO batch without a group fails whole", func(t *testing.T) {
		u := createQueue(t, c, "nogroup.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
		_, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(u), Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("a"), MessageBody: aws.String("1"), MessageGroupId: aws.String("g")},
			{Id: aws.String("b"), MessageBody: aws.String("2")},
		}})
		wantAPIError(t, err, "InvalidParameterValue", "The request must contain the parameter MessageGroupId.")
	})
	t.Run("PurgeQueue once a minute", func(t *testing.T) {
		u := createQueue(t, c, "purge", nil)
		if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(u)})
		wantAPIError(t, err, "AWS.SimpleQueueService.PurgeQueueInProgress", "Only one PurgeQueue operation on purge is allowed every 60 seconds.")
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() != 403 {
			t.Errorf("status %d, want 403", re.HTTPStatusCode())
		}
	})
	t.Run("a KMS key turns SSE-SQS off", func(t *testing.T) {
		u := createQueue(t, c, "kms", map[string]string{"KmsMasterKeyId": "alias/k"})
		out, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
		if out.Attributes["SqsManagedSseEnabled"] != "false" || out.Attributes["KmsDataKeyReusePeriodSeconds"] != "300" {
			t.Errorf("attributes = %v", out.Attributes)
		}
	})
	t.Run("permissions become the queue policy", func(t *testing.T) {
		u := createQueue(t, c, "shared", nil)
		if _, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(u), Label: aws.String("p1"),
			AWSAccountIds: []string{"111122223333"}, Actions: []string{"ReceiveMessage"}}); err != nil {
			t.Fatal(err)
		}
		out, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
		want := `{"Id":"arn:aws:sqs:us-east-1:000000000000:shared/SQSDefaultPolicy","Statement":[{"Sid":"p1","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"SQS:ReceiveMessage","Resource":"arn:aws:sqs:us-east-1:000000000000:shared"}],"Version":"2008-10-17"}`
		if out.Attributes["Policy"] != want {
			t.Errorf("Policy = %s", out.Attributes["Policy"])
		}
		_, err := c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(u), Label: aws.String("nope")})
		wantAPIError(t, err, "InvalidParameterValue", "Value nope for parameter Label is invalid. Reason: can't find label.")
	})
}
