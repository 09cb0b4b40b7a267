package lambda_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// destinationRecord is what Lambda sends to an asynchronous invocation's
// destination.
type destinationRecord struct {
	Version        string
	Timestamp      string
	RequestContext struct {
		RequestID              string
		FunctionArn            string
		Condition              string
		ApproximateInvokeCount int
	}
	RequestPayload  json.RawMessage
	ResponseContext *struct {
		StatusCode      int
		ExecutedVersion string
		FunctionError   string
	}
	ResponsePayload json.RawMessage
}

// TestAsyncRetriesAndDestinations steps a fake clock through Lambda's
// retries (a minute, then two) and checks what reaches the failure and
// success destinations and the dead-letter queue.
func TestAsyncRetriesAndDestinations(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Now())
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Clock: clk, Isolation: "off"}})
	// Off the minute marks on which the services' sweeps tick, so that a
	// retry's timer is the only one due when it is.
	clk.Advance(7 * time.Second)
	ctx := context.Background()
	lc := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	qc := sqs.NewFromConfig(n.Config())
	queue := func(name string) (string, string) {
		out, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl), "arn:aws:sqs:us-east-1:000000000000:" + name
	}
	type message struct {
		body  string
		attrs map[string]string
	}
	// drain waits (in real time: deliveries run at once) for a message in
	// url, then takes everything the queue holds: what was sent there
	// before the awaited message is in too.
	drain := func(t *testing.T, url string) []message {
		t.Helper()
		var got []message
		eventually(t, "a message in "+url, func() bool {
			out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: []string{"All"},
				MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range out.Messages {
				qc.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
				attrs := map[string]string{}
				for k, v := range m.MessageAttributes {
					attrs[k] = aws.ToString(v.DataType) + ":" + aws.ToString(v.StringValue)
				}
				got = append(got, message{aws.ToString(m.Body), attrs})
			}
			return len(got) > 0
		})
		return got
	}
	// only drains url and wants exactly one message there.
	only := func(t *testing.T, url string) (string, map[string]string) {
		t.Helper()
		got := drain(t, url)
		if len(got) != 1 {
			t.Fatalf("%s holds %d messages, want 1: %v", url, len(got), got)
		}
		return got[0].body, got[0].attrs
	}
	lc2 := cloudwatchlogs.NewFromConfig(n.Config())
	// logged waits until the function's log group holds a line with text.
	logged := func(t *testing.T, text string) {
		t.Helper()
		eventually(t, "the function's log to say "+text, func() bool {
			out, err := lc2.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/flaky"),
				FilterPattern: aws.String(`"` + text + `"`)})
			return err == nil && len(out.Events) > 0
		})
	}
	invokeEvent := func(t *testing.T, name, payload string) {
		t.Helper()
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeEvent, Payload: []byte(payload)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("Event invoke: %v", err)
		}
	}

	failuresURL, failuresARN := queue("failures")
	successURL, successARN := queue("successes")
	dlqURL, dlqARN := queue("dlq")
	createFunction(t, lc, "flaky", func(in *lambda.CreateFunctionInput) {
		in.DeadLetterConfig = &types.DeadLetterConfig{TargetArn: aws.String(dlqARN)}
		// Longer than all the fake time the test steps through, so that an
		// invocation still running in real time (-race) never times out.
		in.Timeout = aws.Int32(900)
	})
	put, err := lc.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("flaky"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String(failuresARN)},
			OnSuccess: &types.OnSuccess{Destination: aws.String(successARN)}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:flaky:$LATEST" {
		t.Errorf("FunctionArn = %s", aws.ToString(put.FunctionArn))
	}

	t.Run("retried twice, then the failure destination and the dead-letter queue", func(t *testing.T) {
		failed := clk.Now() // the fake time stands still until the test moves it
		invokeEvent(t, "flaky", `{"action":"error","text":"always fails"}`)
		// Each attempt runs in real time; its retry then waits in the outbox
		// on the fake clock, due a minute after the failure, then two.
		logged(t, "attempt 1 of 3")
		waitTimer(t, clk, "the first retry", failed.Add(time.Minute))
		clk.Advance(time.Minute)
		logged(t, "attempt 2 of 3")
		waitTimer(t, clk, "the second retry", failed.Add(3*time.Minute))
		clk.Advance(2 * time.Minute)
		// Only the last failure goes to the destination: one record, which
		// would come after any sent too early.
		body, _ := only(t, failuresURL)
		var rec destinationRecord
		if err := json.Unmarshal([]byte(body), &rec); err != nil {
			t.Fatalf("record %s: %v", body, err)
		}
		if rec.Version != "1.0" || rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 3 ||
			rec.RequestContext.FunctionArn != "arn:aws:lambda:us-east-1:000000000000:function:flaky:$LATEST" ||
			string(rec.RequestPayload) != `{"action":"error","text":"always fails"}` || rec.ResponseContext == nil ||
			rec.ResponseContext.FunctionError != "Unhandled" || rec.ResponseContext.StatusCode != 200 {
			t.Errorf("failure record = %s", body)
		}
		dlqBody, attrs := only(t, dlqURL)
		if dlqBody != `{"action":"error","text":"always fails"}` || attrs["ErrorCode"] != "Number:200" ||
			attrs["ErrorMessage"] != "String:always fails" || attrs["RequestID"] != "String:"+rec.RequestContext.RequestID {
			t.Errorf("dead-letter message = %s %v", dlqBody, attrs)
		}
	})
	t.Run("a success goes to the success destination", func(t *testing.T) {
		invokeEvent(t, "flaky", `{"action":"echo"}`)
		// One record: the failed event of the subtest before sent none here.
		body, _ := only(t, successURL)
		var rec destinationRecord
		json.Unmarshal([]byte(body), &rec)
		if rec.RequestContext.Condition != "Success" || rec.RequestContext.ApproximateInvokeCount != 1 || rec.ResponseContext == nil ||
			rec.ResponseContext.FunctionError != "" || string(rec.RequestPayload) != `{"action":"echo"}` || len(rec.ResponsePayload) == 0 {
			t.Errorf("success record = %s", body)
		}
	})
	t.Run("maximum event age", func(t *testing.T) {
		if _, err := lc.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("flaky"),
			MaximumEventAgeInSeconds: aws.Int32(60)}); err != nil {
			t.Fatal(err)
		}
		// The retry would come a minute later, at the maximum age: the
		// first failure is final.
		invokeEvent(t, "flaky", `{"action":"error","text":"old"}`)
		body, _ := only(t, failuresURL)
		var rec destinationRecord
		json.Unmarshal([]byte(body), &rec)
		if rec.RequestContext.Condition != "EventAgeExceeded" || rec.RequestContext.ApproximateInvokeCount != 1 {
			t.Errorf("record = %s", body)
		}
		only(t, dlqURL)
	})
	t.Run("reserved concurrency 0 sends events straight to the failure destination", func(t *testing.T) {
		if _, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("flaky"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
			t.Fatal(err)
		}
		defer lc.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("flaky")})
		invokeEvent(t, "flaky", `{"action":"echo"}`)
		body, _ := only(t, failuresURL)
		var rec destinationRecord
		json.Unmarshal([]byte(body), &rec)
		if rec.RequestContext.Condition != "ZeroReservedConcurrency" || rec.RequestContext.ApproximateInvokeCount != 0 || rec.ResponseContext != nil {
			t.Errorf("record = %s", body)
		}
		only(t, dlqURL)
	})
	t.Run("configuration API", func(t *testing.T) {
		got, err := lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("flaky")})
		if err != nil || aws.ToInt32(got.MaximumEventAgeInSeconds) != 60 || got.DestinationConfig == nil ||
			aws.ToString(got.DestinationConfig.OnFailure.Destination) != failuresARN {
			t.Errorf("Get = %+v, %v", got, err)
		}
		list, err := lc.ListFunctionEventInvokeConfigs(ctx, &lambda.ListFunctionEventInvokeConfigsInput{FunctionName: aws.String("flaky")})
		if err != nil || len(list.FunctionEventInvokeConfigs) != 1 {
			t.Errorf("List = %+v, %v", list, err)
		}
		_, err = lc.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("flaky"), MaximumRetryAttempts: aws.Int32(3)})
		wantAPIError(t, err, "ValidationException", "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2")
		_, err = lc.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("flaky"),
			DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sns:us-east-1:000000000000:topic")}}})
		wantAPIError(t, err, "InvalidParameterValueException", "")
		if _, err := lc.DeleteFunctionEventInvokeConfig(ctx, &lambda.DeleteFunctionEventInvokeConfigInput{FunctionName: aws.String("flaky")}); err != nil {
			t.Fatal(err)
		}
		_, err = lc.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("flaky")})
		wantAPIError(t, err, "ResourceNotFoundException", "The function arn:aws:lambda:us-east-1:000000000000:function:flaky:$LATEST doesn't have an EventInvokeConfig")
	})
}
