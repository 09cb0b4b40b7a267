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

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
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
		t.Skip("skip: no python3 on this machine to run the Python function")
	}
	n := nimbustest.Start(t)
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
			in.Timeout = aws.Int32(10)
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
	waitFor := func(t *testing.T, what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
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
		waitFor(t, "three deliveries", func() bool { return len(delivered()) >= 3 })
		if got := delivered(); !slices.Equal(got, []string{"one", "three", "two"}) {
			t.Errorf("delivered %v", got)
		}
		var first batchReport
		json.Unmarshal([]byte(rec.Lines()[0]), &first)
		if first.Source != "aws:sqs" || first.Arn != arn || first.Attributes["ApproximateReceiveCount"] != "1" ||
			first.MessageAttributes["k"]["stringValue"] != "v" || first.MessageAttributes["k"]["dataType"] != "String" {
			t.Errorf("record = %+v", first)
		}
		waitFor(t, "an empty queue", func() bool { v, f := counts(url); return v == "0" && f == "0" })

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
		before := len(delivered())
		send(url, "while disabled")
		time.Sleep(500 * time.Millisecond)
		if len(delivered()) != before {
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
		// A visibility timeout long enough for a cold start under -race on a
		// busy machine: a shorter one redelivers the successful message too
		// (at least once, as SQS), which this test would count.
		url, arn := newQueue("esm-partial", map[string]string{"VisibilityTimeout": "4",
			"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqARN + `","maxReceiveCount":2}`})
		newFunction("esm-partial")
		if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("esm-partial"),
			EventSourceArn: aws.String(arn), FunctionResponseTypes: []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}}); err != nil {
			t.Fatal(err)
		}
		send(url, "fine", "fail-me")
		waitFor(t, "the failed message in the dead-letter queue", func() bool { v, _ := counts(dlqURL); return v == "1" })
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
		waitFor(t, "the kept message", func() bool { return slices.Contains(delivered(), `{"kind":"keep"}`) })
		waitFor(t, "the filtered-out messages deleted", func() bool { v, f := counts(url); return v == "0" && f == "0" })
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
