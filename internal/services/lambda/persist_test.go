package lambda_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

func TestFunctionsSurviveRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{DataDir: dir}})
	client := lambda.NewFromConfig(n.Config())
	createFunction(t, client, "durable", func(in *lambda.CreateFunctionInput) {
		in.Environment = &types.Environment{Variables: map[string]string{"KEPT": "yes"}}
	})
	invoke(t, client, "durable", map[string]any{"action": "print", "text": "before restart"})
	n.Stop()

	n = nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{DataDir: dir}})
	client = lambda.NewFromConfig(n.Config())
	_, res := invoke(t, client, "durable", map[string]any{"action": "env"})
	if env, _ := res["env"].(map[string]any); env["KEPT"] != "yes" {
		t.Errorf("after restart the function's environment is %v", env)
	}
	logs := cloudwatchlogs.NewFromConfig(n.Config())
	out, err := logs.FilterLogEvents(context.Background(), &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String("/aws/lambda/durable"), FilterPattern: aws.String(`"before restart"`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) == 0 {
		t.Error("the log line written before the restart is gone")
	}
}

func TestFunctionLogsReachCloudWatchLogs(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	createFunction(t, client, "chatty")
	out, _ := invoke(t, client, "chatty", map[string]any{"action": "print", "text": "to the log"})
	_ = out
	logs := cloudwatchlogs.NewFromConfig(n.Config())
	ctx := context.Background()
	// The caller has its answer before the log lines are stored.
	var groups *cloudwatchlogs.DescribeLogGroupsOutput
	eventually(t, "the function's log group", func() bool {
		var err error
		groups, err = logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/chatty")})
		return err == nil && len(groups.LogGroups) == 1
	})
	if got := aws.ToInt32(groups.LogGroups[0].RetentionInDays); got != 30 {
		t.Errorf("implicit function log group retention = %d days, want the 30-day default", got)
	}
	streams, err := logs.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/chatty")})
	if err != nil || len(streams.LogStreams) != 1 {
		t.Fatalf("DescribeLogStreams = %+v, %v", streams, err)
	}
	stream := aws.ToString(streams.LogStreams[0].LogStreamName)
	if want := time.Now().UTC().Format("2006/01/02") + "/[$LATEST]"; !strings.HasPrefix(stream, want) || len(stream) != len(want)+32 {
		t.Errorf("stream name %q, want %s<32 hex>", stream, want)
	}
	// The log lines are batched: wait until the REPORT line, the last, is in.
	var lines []string
	eventually(t, "the invocation's log lines", func() bool {
		events, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/aws/lambda/chatty"), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		lines = lines[:0]
		for _, e := range events.Events {
			lines = append(lines, aws.ToString(e.Message))
		}
		return len(lines) > 0 && strings.HasPrefix(lines[len(lines)-1], "REPORT RequestId: ")
	})
	joined := strings.Join(lines, "\n")
	for _, want := range []string{"START RequestId: ", "Version: $LATEST", "to the log", "stderr: to the log", "END RequestId: ", "REPORT RequestId: ", "Init Duration: "} {
		if !strings.Contains(joined, want) {
			t.Errorf("function log lacks %q:\n%s", want, joined)
		}
	}
}
