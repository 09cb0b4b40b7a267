package lambda_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
)

func TestEventInvokes(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	createFunction(t, client, "async")
	ctx := context.Background()
	record := nimbustest.NewRecorder(t)

	t.Run("runs once accepted", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(fmt.Sprintf(`{"action":"record","url":%q}`, record.URL()))})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("Event invoke: %v, status %d", err, out.StatusCode)
		}
		waitUntil(t, func() bool { return len(record.Lines()) == 1 })
	})
	t.Run("over 1 MB refused", func(t *testing.T) {
		big := []byte(`"` + strings.Repeat("x", 1048576) + `"`)
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent, Payload: big})
		wantAPIError(t, err, "RequestEntityTooLargeException", "Request must be smaller than 1048576 bytes for the InvokeFunction operation")
	})
	t.Run("a failure is logged in the function's log group", func(t *testing.T) {
		if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(`{"action":"error","text":"async boom"}`)}); err != nil {
			t.Fatal(err)
		}
		logs := cloudwatchlogs.NewFromConfig(n.Config())
		waitUntil(t, func() bool {
			out, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: aws.String("/aws/lambda/async"), FilterPattern: aws.String(`"Asynchronous invocation"`)})
			return err == nil && len(out.Events) == 1 && strings.Contains(aws.ToString(out.Events[0].Message), "async boom")
		})
	})
	t.Run("waits for capacity instead of dropping", func(t *testing.T) {
		if _, err := client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("async"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
			t.Fatal(err)
		}
		later := nimbustest.NewRecorder(t)
		if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(fmt.Sprintf(`{"action":"record","url":%q}`, later.URL()))}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if len(later.Lines()) > 0 {
			t.Fatal("the event ran while the function had no concurrency")
		}
		if _, err := client.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("async")}); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, func() bool { return len(later.Lines()) == 1 })
	})
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
