package sqsquery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// wantCode checks the code the old client surfaces, and that it mapped the
// error to its typed error T.
func wantCode[T error](t *testing.T, err error, code string) {
	t.Helper()
	wantAPICode(t, err, code)
	var typed T
	if !errors.As(err, &typed) {
		t.Errorf("the client did not map %s to %T: %T", code, typed, err)
	}
}

// wantAPICode checks the code the old client surfaces, for errors its
// operation does not declare (it has no typed error for them).
func wantAPICode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Errorf("error code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

func TestQueues(t *testing.T) {
	t.Parallel()
	c, rec := newClient(t)
	ctx := context.Background()
	name := queueName(t, "main")
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": "45", "DelaySeconds": "2"},
		Tags:       map[string]string{"team": "blue", "empty": ""}})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	if !strings.HasSuffix(url, "/000000000000/"+name) {
		t.Errorf("QueueUrl = %s", url)
	}

	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil || aws.ToString(got.QueueUrl) != url {
		t.Errorf("GetQueueUrl = %v, %v", got, err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name + "-missing")})
	wantCode[*types.QueueDoesNotExist](t, err, "AWS.SimpleQueueService.NonExistentQueue")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	wantCode[*types.QueueNameExists](t, err, "QueueAlreadyExists")

	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if a := attrs.Attributes; a["VisibilityTimeout"] != "45" || a["DelaySeconds"] != "2" || a["QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:"+name {
		t.Errorf("attributes = %v", a)
	}
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: map[string]string{"DelaySeconds": "0", "MaximumMessageSize": "2048"}}); err != nil {
		t.Fatal(err)
	}
	attrs, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameDelaySeconds, types.QueueAttributeNameMaximumMessageSize}})
	if err != nil || len(attrs.Attributes) != 2 || attrs.Attributes["DelaySeconds"] != "0" || attrs.Attributes["MaximumMessageSize"] != "2048" {
		t.Errorf("attributes after SetQueueAttributes = %v, %v", attrs, err)
	}
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"Bogus": "1"}})
	wantCode[*types.InvalidAttributeName](t, err, "InvalidAttributeName")

	t.Run("tags", func(t *testing.T) {
		tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
		if err != nil || len(tags.Tags) != 2 || tags.Tags["team"] != "blue" || tags.Tags["empty"] != "" {
			t.Errorf("ListQueueTags = %v, %v", tags, err)
		}
		if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: aws.String(url), Tags: map[string]string{"env": "dev"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: aws.String(url), TagKeys: []string{"team", "empty"}}); err != nil {
			t.Fatal(err)
		}
		tags, err = c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: aws.String(url)})
		if err != nil || len(tags.Tags) != 1 || tags.Tags["env"] != "dev" {
			t.Errorf("ListQueueTags after untag = %v, %v", tags, err)
		}
	})
	t.Run("permissions", func(t *testing.T) {
		if _, err := c.AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(url), Label: aws.String("p1"),
			AWSAccountIds: []string{"111122223333", "444455556666"}, Actions: []string{"ReceiveMessage", "SendMessage"}}); err != nil {
			t.Fatal(err)
		}
		a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy}})
		if err != nil || !strings.Contains(a.Attributes["Policy"], `"Sid":"p1"`) || !strings.Contains(a.Attributes["Policy"], "444455556666") {
			t.Errorf("policy = %v, %v", a, err)
		}
		if _, err := c.RemovePermission(ctx, &sqs.RemovePermissionInput{QueueUrl: aws.String(url), Label: aws.String("p1")}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ListQueues with a prefix and pages", func(t *testing.T) {
		var want []string
		for i := range 3 {
			want = append(want, createQueue(t, c, fmt.Sprintf("%s-page-%d", name, i), nil))
		}
		var got []string
		var token *string
		for range 10 {
			page, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(name + "-page-"), MaxResults: aws.Int32(2), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page.QueueUrls...)
			if token = page.NextToken; token == nil {
				break
			}
		}
		sort.Strings(got)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("ListQueues = %v, want %v", got, want)
		}
	})
	t.Run("dead-letter source queues", func(t *testing.T) {
		dlq := createQueue(t, c, name+"-dlq", nil)
		dlqARN := "arn:aws:sqs:us-east-1:000000000000:" + name + "-dlq"
		src := createQueue(t, c, name+"-src", map[string]string{
			"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":"1"}`})
		out, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
		if err != nil || len(out.QueueUrls) != 1 || out.QueueUrls[0] != src {
			t.Errorf("ListDeadLetterSourceQueues = %v, %v", out, err)
		}
	})
	t.Run("purge and delete", func(t *testing.T) {
		if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Fatal(err)
		}
		_, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
		wantCode[*types.PurgeQueueInProgress](t, err, "AWS.SimpleQueueService.PurgeQueueInProgress")
		if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Fatal(err)
		}
		_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
		wantAPICode(t, err, "AWS.SimpleQueueService.NonExistentQueue")
		_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		wantCode[*types.QueueDeletedRecently](t, err, "AWS.SimpleQueueService.QueueDeletedRecently")
	})
	if n := len(rec.exchanges()); n < 20 {
		t.Errorf("only %d requests went through the recorder", n)
	}
}

// The old client checks the MD5s of bodies and message attributes of what
// it sends and receives; a mismatch would fail these calls.
func TestMessages(t *testing.T) {
	t.Parallel()
	c, rec := newClient(t)
	ctx := context.Background()
	url := createQueue(t, c, queueName(t, "q"), nil)
	attrs := map[string]types.MessageAttributeValue{
		"text":   {DataType: aws.String("String"), StringValue: aws.String("héllo <&> \"there\"")},
		"number": {DataType: aws.String("Number"), StringValue: aws.String("12.50")},
		"binary": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 0xfe, 0xff}},
		"custom": {DataType: aws.String("String.uuid"), StringValue: aws.String("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")},
	}
	body := "line one\nline two\r\n\ttabbed & <escaped> ✓"
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageAttributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(sent.MD5OfMessageAttributes) == "" || aws.ToString(sent.MessageId) == "" {
		t.Errorf("SendMessage = %+v", sent)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}, MessageAttributeNames: []string{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 {
		t.Fatalf("received %d messages", len(got.Messages))
	}
	m := got.Messages[0]
	if aws.ToString(m.Body) != body || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || len(m.MessageAttributes) != 4 ||
		string(m.MessageAttributes["binary"].BinaryValue) != "\x00\x01\x02\xfe\xff" ||
		aws.ToString(m.MessageAttributes["text"].StringValue) != "héllo <&> \"there\"" ||
		m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SenderId"] == "" {
		t.Errorf("received %+v", m)
	}

	t.Run("attribute names filter what comes back", func(t *testing.T) {
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url),
			ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatal(err)
		}
		again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			AttributeNames: []types.QueueAttributeName{"ApproximateReceiveCount"}, MessageAttributeNames: []string{"number"}})
		if err != nil || len(again.Messages) != 1 {
			t.Fatalf("ReceiveMessage = %v, %v", again, err)
		}
		m2 := again.Messages[0]
		if len(m2.Attributes) != 1 || m2.Attributes["ApproximateReceiveCount"] != "2" || len(m2.MessageAttributes) != 1 ||
			aws.ToString(m2.MessageAttributes["number"].StringValue) != "12.50" {
			t.Errorf("received %+v", m2)
		}
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m2.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
		empty, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if err != nil || len(empty.Messages) != 0 {
			t.Errorf("after DeleteMessage: %v, %v", empty, err)
		}
	})
	t.Run("long polling wakes on send", func(t *testing.T) {
		done := make(chan *sqs.ReceiveMessageOutput, 1)
		go func() {
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 10})
			if err != nil {
				t.Error(err)
			}
			done <- out
		}()
		time.Sleep(200 * time.Millisecond)
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("wake")}); err != nil {
			t.Fatal(err)
		}
		select {
		case out := <-done:
			if out == nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "wake" {
				t.Errorf("long poll answered %+v", out)
			}
		case <-time.After(8 * time.Second):
			t.Fatal("the long poll did not wake")
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("garbage")})
		wantCode[*types.ReceiptHandleIsInvalid](t, err, "ReceiptHandleIsInvalid")
		_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 11})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValue" ||
			ae.ErrorMessage() != "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided." {
			t.Errorf("MaxNumberOfMessages 11: %v", err)
		}
	})
	if n := len(rec.exchanges()); n < 8 {
		t.Errorf("only %d requests went through the recorder", n)
	}
}

func TestBatches(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := context.Background()
	url := createQueue(t, c, queueName(t, "q"), map[string]string{"MaximumMessageSize": "1024"})
	sent, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String("first"),
			MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}},
		{Id: aws.String("b"), MessageBody: aws.String("second"), DelaySeconds: 0},
		{Id: aws.String("too-big"), MessageBody: aws.String(strings.Repeat("x", 2000))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Successful) != 2 || len(sent.Failed) != 1 || aws.ToString(sent.Failed[0].Id) != "too-big" ||
		aws.ToString(sent.Failed[0].Code) == "" || !sent.Failed[0].SenderFault {
		t.Errorf("SendMessageBatch = %+v", sent)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
	if err != nil || len(got.Messages) != 2 {
		t.Fatalf("ReceiveMessage = %v, %v", got, err)
	}
	var vis []types.ChangeMessageVisibilityBatchRequestEntry
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range got.Messages {
		id := fmt.Sprint("m", i)
		vis = append(vis, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(id), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60})
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(id), ReceiptHandle: m.ReceiptHandle})
	}
	vis = append(vis, types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String("bad"), ReceiptHandle: aws.String("garbage")})
	del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("bad"), ReceiptHandle: aws.String("garbage")})
	changed, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: vis})
	if err != nil || len(changed.Successful) != 2 || len(changed.Failed) != 1 || aws.ToString(changed.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("ChangeMessageVisibilityBatch = %+v, %v", changed, err)
	}
	deleted, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
	if err != nil || len(deleted.Successful) != 2 || len(deleted.Failed) != 1 || aws.ToString(deleted.Failed[0].Id) != "bad" {
		t.Errorf("DeleteMessageBatch = %+v, %v", deleted, err)
	}

	var many []types.SendMessageBatchRequestEntry
	for i := range 11 {
		many = append(many, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String("m")})
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: many})
	wantCode[*types.TooManyEntriesInBatchRequest](t, err, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: many[:1]})
	if err != nil {
		t.Errorf("a batch of one: %v", err)
	}
	_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("same"), ReceiptHandle: aws.String("x")}, {Id: aws.String("same"), ReceiptHandle: aws.String("y")}}})
	wantCode[*types.BatchEntryIdsNotDistinct](t, err, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
	_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{}})
	wantCode[*types.EmptyBatchRequest](t, err, "AWS.SimpleQueueService.EmptyBatchRequest")
}

func TestFIFO(t *testing.T) {
	t.Parallel()
	c, _ := newClient(t)
	ctx := context.Background()
	url := createQueue(t, c, queueName(t, "q")+".fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	var seqs []string
	for i, g := range []string{"g1", "g2", "g1", "g1"} {
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("%s-%d", g, i)),
			MessageGroupId: aws.String(g)})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, aws.ToString(out.SequenceNumber))
	}
	if seqs[0] == "" || seqs[0] == seqs[1] {
		t.Errorf("sequence numbers %v", seqs)
	}
	dup, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("g1-0"), MessageGroupId: aws.String("g1")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range got.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
		if m.Attributes["MessageGroupId"] == "" || m.Attributes["SequenceNumber"] == "" || m.Attributes["MessageDeduplicationId"] == "" {
			t.Errorf("FIFO attributes %v", m.Attributes)
		}
		if aws.ToString(m.Body) == "g1-0" && aws.ToString(m.MessageId) != aws.ToString(dup.MessageId) {
			t.Errorf("the duplicate got a new id")
		}
	}
	if strings.Join(bodies, ",") != "g1-0,g1-2,g1-3,g2-1" && strings.Join(bodies, ",") != "g2-1,g1-0,g1-2,g1-3" {
		t.Errorf("received %v: each group in order, the duplicate once", bodies)
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "MissingParameter" {
		t.Errorf("a FIFO send without a group: %v", err)
	}
	batch, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("1"), MessageBody: aws.String("b1"), MessageGroupId: aws.String("g3")},
		{Id: aws.String("2"), MessageBody: aws.String("b2"), MessageGroupId: aws.String("g3"), MessageDeduplicationId: aws.String("explicit")},
	}})
	if err != nil || len(batch.Successful) != 2 || aws.ToString(batch.Successful[0].SequenceNumber) == "" {
		t.Errorf("FIFO SendMessageBatch = %+v, %v", batch, err)
	}
}
