package lambda_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// sqsHandler reports each batch to the recorder, fails the messages whose
// body starts with "fail" (ReportBatchItemFailures) and raises on "boom".
const sqsHandler = `
import json, os, urllib.request

def handler(event, context):
    records = event["Records"]
    report = {"bodies": [r["body"] for r in records], "source": records[0]["eventSource"],
              "arn": records[0]["eventSourceARN"], "attributes": records[0]["attributes"],
              "messageAttributes": records[0]["messageAttributes"]}
    urllib.request.urlopen(os.environ["RECORDER"], data=json.dumps(report).encode())
    if any(r["body"] == "boom" for r in records):
        raise Exception("boom")
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"].startswith("fail")]}
`

type batchReport struct {
	Bodies            []string
	Source, Arn       string
	Attributes        map[string]string
	MessageAttributes map[string]map[string]any
}

func TestSQSEventSourceMapping(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Missing(t, "no python3 on PATH to run the Python function; install Python 3")
	}
	// Visibility timeouts run on a fake clock: a message comes back only
	// when the test says so, however long a cold start takes.
	clk := clock.NewFake(time.Now())
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Clock: clk}})
	ctx := context.Background()
	lc := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	qc := sqs.NewFromConfig(n.Config())
	rec := nimbustest.NewRecorder(t)
	code := zipSources(t, map[string]string{"app.py": sqsHandler})
	newQueue := func(name string, attrs map[string]string) (url, arn string) {
		out, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl), "arn:aws:sqs:us-east-1:000000000000:" + name
	}
	newFunction := func(name string) {
		createFunction(t, lc, name, func(in *lambda.CreateFunctionInput) {
			in.Runtime, in.Handler = types.RuntimePython312, aws.String("app.handler")
			in.Code = &types.FunctionCode{ZipFile: code}
			in.Timeout = aws.Int32(30) // fake time: the test moves it 8 s in all
			in.Environment = &types.Environment{Variables: map[string]string{"RECORDER": rec.URL()}}
		})
	}
	send := func(url string, bodies ...string) {
		for _, b := range bodies {
			if _, err := qc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b),
				MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	delivered := func() []string {
		var all []string
		for _, line := range rec.Lines() {
			var r batchReport
			json.Unmarshal([]byte(line), &r)
			all = append(all, r.Bodies...)
		}
		sort.Strings(all)
		return all
	}
	counts := func(url string) (visible, inflight string) {
		out, _ := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		return out.Attributes["ApproximateNumberOfMessages"], out.Attributes["ApproximateNumberOfMessagesNotVisible"]
	}

	t.Run("messages reach the function in Lambda's shape and are deleted", func(t *testing.T) {
		url, arn := newQueue("esm-basic", nil)
		newFunction("esm-basic")
		out, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("esm-basic"), EventSourceArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		if out.State == nil || *out.State != "Creating" || aws.ToInt32(out.BatchSize) != 10 || aws.ToString(out.UUID) == "" ||
			!strings.HasSuffix(aws.ToString(out.FunctionArn), ":function:esm-basic") {
			t.Errorf("CreateEventSourceMapping = %+v", out)
		}
		send(url, "one", "two", "three")
		eventually(t, "three deliveries", func() bool { return len(delivered()) >= 3 })
		if got := delivered(); !slices.Equal(got, []string{"one", "three", "two"}) {
			t.Errorf("delivered %v", got)
		}
		var first batchReport
		json.Unmarshal([]byte(rec.Lines()[0]), &first)
		if first.Source != "aws:sqs" || first.Arn != arn || first.Attributes["ApproximateReceiveCount"] != "1" ||
			first.MessageAttributes["k"]["stringValue"] != "v" || first.MessageAttributes["k"]["dataType"] != "String" {
			t.Errorf("record = %+v", first)
		}
		eventually(t, "an empty queue", func() bool { v, f := counts(url); return v == "0" && f == "0" })

		_, err = lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("esm-basic"), EventSourceArn: aws.String(arn)})
		wantAPIError(t, err, "ResourceConflictException", `An event source mapping with SQS arn (" `+arn+` ") and function (" esm-basic ") already exists. Please update or delete the existing mapping with UUID `+aws.ToString(out.UUID))

		got, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: out.UUID})
		if err != nil || aws.ToString(got.State) != "Enabled" {
			t.Errorf("GetEventSourceMapping = %+v, %v", got, err)
		}
		list, err := lc.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String("esm-basic")})
		if err != nil || len(list.EventSourceMappings) != 1 {
			t.Errorf("ListEventSourceMappings = %+v, %v", list, err)
		}
		upd, err := lc.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: out.UUID, Enabled: aws.Bool(false)})
		if err != nil || aws.ToString(upd.State) != "Updating" {
			t.Fatalf("UpdateEventSourceMapping = %+v, %v", upd, err)
		}
		// Disabled once its pollers have stopped: then nothing reads the
		// queue but the test, which receives the message first.
		eventually(t, "the mapping to be Disabled", func() bool {
			got, err := lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: out.UUID})
			return err == nil && aws.ToString(got.State) == "Disabled"
		})
		send(url, "while disabled")
		var received []sqstypes.Message
		eventually(t, "the test to receive the message", func() bool {
			out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
			if err != nil {
				t.Fatal(err)
			}
			received = out.Messages
			return len(received) > 0
		})
		if body, count := aws.ToString(received[0].Body), received[0].Attributes["ApproximateReceiveCount"]; body != "while disabled" || count != "1" {
			t.Errorf("the test received %q, receive count %s; want the message sent while disabled, received once", body, count)
		}
		if slices.Contains(delivered(), "while disabled") {
			t.Error("a disabled mapping delivered")
		}
		del, err := lc.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: out.UUID})
		if err != nil || aws.ToString(del.State) != "Deleting" {
			t.Errorf("DeleteEventSourceMapping = %+v, %v", del, err)
		}
		_, err = lc.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: out.UUID})
		wantAPIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	})

	t.Run("partial batch failures go back, then to the dead-letter queue", func(t *testing.T) {
		dlqURL, dlqARN := newQueue("esm-dlq", nil)
		url, arn := newQueue("esm-partial", map[string]string{"VisibilityTimeout": "4",
			"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":2}`})
		newFunction("esm-partial")
		if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("esm-partial"),
			EventSourceArn: aws.String(arn), FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}}); err != nil {
			t.Fatal(err)
		}
		send(url, "fine", "fail-me")
		// The successful message is deleted; the failed one waits out its
		// visibility timeout, which passes only when the test moves the clock.
		eventually(t, "the successful message deleted, the failed one in flight", func() bool {
			v, f := counts(url)
			return v == "0" && f == "1" && slices.Contains(delivered(), "fine")
		})
		clk.Advance(4 * time.Second) // back, received a second time, failed again
		eventually(t, "the failed message's second delivery", func() bool {
			return len(slices.DeleteFunc(delivered(), func(b string) bool { return b != "fail-me" })) == 2
		})
		clk.Advance(4 * time.Second) // past maxReceiveCount: to the dead-letter queue
		eventually(t, "the failed message in the dead-letter queue", func() bool { v, _ := counts(dlqURL); return v == "1" })
		msgs, _ := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL)})
		if len(msgs.Messages) != 1 || aws.ToString(msgs.Messages[0].Body) != "fail-me" {
			t.Errorf("dead-letter queue holds %+v", msgs.Messages)
		}
		fine := 0
		for _, b := range delivered() {
			if b == "fine" {
				fine++
			}
		}
		if fine != 1 {
			t.Errorf("the successful message was delivered %d times", fine)
		}
	})

	t.Run("filter criteria", func(t *testing.T) {
		url, arn := newQueue("esm-filter", nil)
		newFunction("esm-filter")
		if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("esm-filter"),
			EventSourceArn: aws.String(arn), FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"body":{"kind":["keep"]}}`)}}}}); err != nil {
			t.Fatal(err)
		}
		send(url, `{"kind":"drop"}`, `{"kind":"keep"}`, "plain text")
		eventually(t, "the kept message", func() bool { return slices.Contains(delivered(), `{"kind":"keep"}`) })
		eventually(t, "the filtered-out messages deleted", func() bool { v, f := counts(url); return v == "0" && f == "0" })
		if slices.Contains(delivered(), `{"kind":"drop"}`) || slices.Contains(delivered(), "plain text") {
			t.Errorf("filtered-out messages were delivered: %v", delivered())
		}
	})

	t.Run("bad input", func(t *testing.T) {
		_, arn := newQueue("esm-bad", nil)
		newFunction("esm-bad")
		for _, tt := range []struct {
			in      lambda.CreateEventSourceMappingInput
			message string
		}{
			{lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:nope")},
				"Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist."},
			{lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(arn), BatchSize: aws.Int32(11)},
				"Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"},
			{lambda.CreateEventSourceMappingInput{EventSourceArn: aws.String(arn), FilterCriteria: &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String("simple string")}}}},
				"Invalid filter pattern definition."},
		} {
			in := tt.in
			in.FunctionName = aws.String("esm-bad")
			_, err := lc.CreateEventSourceMapping(ctx, &in)
			wantAPIError(t, err, "InvalidParameterValueException", tt.message)
		}
	})
}
