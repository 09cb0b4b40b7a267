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

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

func TestEventInvokes(t *testing.T) {
	t.Parallel()
	// A fake clock: a throttled event's next try waits on it, so the test
	// sees the event parked before it lets it go.
	clk := clock.NewFake(time.Now())
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Clock: clk}})
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
		eventually(t, "the event to run", func() bool { return len(record.Lines()) == 1 })
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
		eventually(t, "the failure in the log", func() bool {
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
		now := clk.Now()
		if _, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(fmt.Sprintf(`{"action":"record","url":%q}`, later.URL()))}); err != nil {
			t.Fatal(err)
		}
		// The event was tried, throttled and parked for a short while: a
		// timer due within two seconds (the earlier failure's retry waits a
		// minute). Had it run, nothing would be parked.
		wctx, cancel := context.WithTimeout(ctx, patience)
		defer cancel()
		if err := clk.BlockUntilTimer(wctx, func(due time.Time) bool { return due.After(now) && !due.After(now.Add(2*time.Second)) }); err != nil {
			t.Fatalf("the throttled event was never parked: pending timers %v", clk.Timers())
		}
		if got := later.Lines(); len(got) != 0 {
			t.Fatalf("the event ran while the function had no concurrency: %v", got)
		}
		if _, err := client.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("async")}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Second) // its next try
		eventually(t, "the event to run once capacity returned", func() bool { return len(later.Lines()) == 1 })
	})
}
