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
// retries (about a minute, then two) and checks what reaches the failure
// and success destinations and the dead-letter queue.
func TestAsyncRetriesAndDestinations(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Now())
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Clock: clk, Isolation: "off"}})
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
	// next waits (in real time: deliveries run at once) for one message.
	next := func(t *testing.T, url string) (string, map[string]string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageAttributeNames: []string{"All"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) == 1 {
				m := out.Messages[0]
				qc.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
				attrs := map[string]string{}
				for k, v := range m.MessageAttributes {
					attrs[k] = aws.ToString(v.DataType) + ":" + aws.ToString(v.StringValue)
				}
				return aws.ToString(m.Body), attrs
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("nothing arrived in %s", url)
		return "", nil
	}
	empty := func(t *testing.T, url string) {
		t.Helper()
		time.Sleep(200 * time.Millisecond)
		out, _ := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
		if len(out.Messages) != 0 {
			t.Fatalf("%s is not empty: %s", url, aws.ToString(out.Messages[0].Body))
		}
	}
	// advance steps the clock in small steps, so that parked retries fire.
	advance := func(d time.Duration) {
		for step := time.Duration(0); step < d; step += 5 * time.Second {
			clk.Advance(5 * time.Second)
			time.Sleep(5 * time.Millisecond)
		}
	}
	lc2 := cloudwatchlogs.NewFromConfig(n.Config())
	// logged waits until the function's log group holds a line with text.
	logged := func(t *testing.T, text string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			out, err := lc2.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/flaky"),
				FilterPattern: aws.String(`"` + text + `"`)})
			if err == nil && len(out.Events) > 0 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("the function's log never said %q", text)
	}
	invokeEvent := func(t *testing.T, name, payload string) string {
		t.Helper()
		out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeEvent, Payload: []byte(payload)})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("Event invoke: %v", err)
		}
		return ""
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
		invokeEvent(t, "flaky", `{"action":"error","text":"always fails"}`)
		// Each attempt runs in real time; only then is its retry scheduled
		// on the fake clock, which the test may then step past.
		logged(t, "attempt 1 of 3")
		empty(t, failuresURL)
		advance(65 * time.Second) // the first retry, a minute later
		logged(t, "attempt 2 of 3")
		empty(t, failuresURL)
		advance(125 * time.Second) // the second, two minutes later
		body, _ := next(t, failuresURL)
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
		dlqBody, attrs := next(t, dlqURL)
		if dlqBody != `{"action":"error","text":"always fails"}` || attrs["ErrorCode"] != "Number:200" ||
			attrs["ErrorMessage"] != "String:always fails" || attrs["RequestID"] != "String:"+rec.RequestContext.RequestID {
			t.Errorf("dead-letter message = %s %v", dlqBody, attrs)
		}
		empty(t, successURL)
	})
	t.Run("a success goes to the success destination", func(t *testing.T) {
		invokeEvent(t, "flaky", `{"action":"echo"}`)
		body, _ := next(t, successURL)
		var rec destinationRecord
		json.Unmarshal([]byte(body), &rec)
		if rec.RequestContext.Condition != "Success" || rec.RequestContext.ApproximateInvokeCount != 1 || rec.ResponseContext == nil ||
			rec.ResponseContext.FunctionError != "" || len(rec.ResponsePayload) == 0 {
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
		body, _ := next(t, failuresURL)
		var rec destinationRecord
		json.Unmarshal([]byte(body), &rec)
		if rec.RequestContext.Condition != "EventAgeExceeded" || rec.RequestContext.ApproximateInvokeCount != 1 {
			t.Errorf("record = %s", body)
		}
		next(t, dlqURL)
	})
	t.Run("reserved concurrency 0 sends events straight to the failure destination", func(t *testing.T) {
		if _, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("flaky"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
			t.Fatal(err)
		}
		defer lc.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("flaky")})
		invokeEvent(t, "flaky", `{"action":"echo"}`)
		body, _ := next(t, failuresURL)
		var rec destinationRecord
		json.Unmarshal([]byte(body), &rec)
		if rec.RequestContext.Condition != "ZeroReservedConcurrency" || rec.RequestContext.ApproximateInvokeCount != 0 || rec.ResponseContext != nil {
			t.Errorf("record = %s", body)
		}
		next(t, dlqURL)
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
