package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// handlerMarker is the line every test handler prints when it is called.
const handlerMarker = "HANDLER CALLED"

// TestShutdownWithEverythingRunning shuts down, without killing anything, a
// server with warm instances of the three runtimes, active SQS and
// DynamoDB stream mappings and a message move task in progress: Shutdown
// returns cleanly (no panic, no leaked goroutine: see TestMain), no handler
// is called during it, no error line lands in a function's log, and the
// move task lost and duplicated nothing.
func TestShutdownWithEverythingRunning(t *testing.T) {
	for _, tool := range []string{"python3", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "no %s on PATH to run its functions", tool)
		}
	}
	dir := t.TempDir()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{DataDir: dir}})
	ctx := context.Background()
	fns := lambda.NewFromConfig(n.Config())
	queues := sqs.NewFromConfig(n.Config())
	tables := dynamodb.NewFromConfig(n.Config())

	// Warm instances of each runtime: one call each, whose marker line the
	// log then holds once.
	runtimes := map[string]struct {
		runtime, handler string
		code             []byte
	}{
		"go-fn": {"provided.al2023", "bootstrap", nimbustest.FunctionZip(t)},
		"py-fn": {"python3.12", "app.handler", zipOf(t, "app.py",
			"def handler(event, context):\n    print(\""+handlerMarker+"\")\n    return {\"ok\": True}\n")},
		"node-fn": {"nodejs20.x", "app.handler", zipOf(t, "app.mjs",
			"export const handler = async () => { console.log(\""+handlerMarker+"\"); return {ok: true}; };\n")},
	}
	for name, r := range runtimes {
		_, err := fns.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name),
			Runtime: types.Runtime(r.runtime), Handler: aws.String(r.handler), Code: &types.FunctionCode{ZipFile: r.code},
			Role: aws.String("arn:aws:iam::000000000000:role/test"), Timeout: aws.Int32(30)})
		if err != nil {
			t.Fatalf("CreateFunction %s: %v", name, err)
		}
		payload := `{}`
		if name == "go-fn" {
			payload = `{"action":"print","text":"` + handlerMarker + `"}`
		}
		out, err := fns.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("Invoke %s: %v %s", name, err, out.Payload)
		}
	}

	// An SQS mapping and a DynamoDB stream mapping, polling.
	events, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("events")})
	if err != nil {
		t.Fatal(err)
	}
	createMapping(t, fns, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("go-fn"),
		EventSourceArn: aws.String(queueARN("events"))})
	table, err := tables.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("items"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewImage}})
	if err != nil {
		t.Fatal(err)
	}
	createMapping(t, fns, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("py-fn"),
		EventSourceArn: table.TableDescription.LatestStreamArn, StartingPosition: types.EventSourcePositionLatest})
	_ = events

	// A dead-letter queue of 100 messages, moving to another queue at one
	// message a second: still running at shutdown.
	const dead = 100
	for _, name := range []string{"dlq", "moved"} {
		if _, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("source"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"1"}`, queueARN("dlq"))}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < dead; i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j := i; j < i+10; j++ {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(j)), MessageBody: aws.String(fmt.Sprint("dead ", j))})
		}
		out, err := queues.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL(n, "dlq")), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("SendMessageBatch: %v %+v", err, out)
		}
	}
	if _, err := queues.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(queueARN("dlq")),
		DestinationArn: aws.String(queueARN("moved")), MaxNumberOfMessagesPerSecond: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the move task to move a message", func() bool { return count(t, queues, n, "moved") > 0 })

	shutdownCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := n.Shutdown(shutdownCtx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	// What the shutdown left, read by a server started on the same data.
	n = nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{DataDir: dir}})
	queues = sqs.NewFromConfig(n.Config())
	if got := count(t, queues, n, "dlq") + count(t, queues, n, "moved"); got != dead {
		t.Errorf("after shutdown during a move task, the two queues hold %d messages, want %d", got, dead)
	}
	logs := cloudwatchlogs.NewFromConfig(n.Config())
	for name := range runtimes {
		lines := logLines(t, logs, "/aws/lambda/"+name)
		calls := 0
		for _, l := range lines {
			// Go prints the marker to stdout and stderr ("stderr: …");
			// Node.js prefixes its console lines.
			if strings.HasSuffix(strings.TrimSpace(l), handlerMarker) && !strings.Contains(l, "stderr:") {
				calls++
			}
			for _, bad := range []string{"Error", "error", "status code: 410", "InstanceShuttingDown", "Runtime exited", "Traceback"} {
				if strings.Contains(l, bad) {
					t.Errorf("%s's log has an error line after shutdown: %q", name, l)
				}
			}
		}
		if calls != 1 {
			t.Errorf("%s's handler was called %d times, want once (before the shutdown):\n%s", name, calls, strings.Join(lines, ""))
		}
	}
}

// zipOf returns a zip holding one file.
func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write([]byte(content))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func createMapping(t *testing.T, fns *lambda.Client, in *lambda.CreateEventSourceMappingInput) {
	t.Helper()
	out, err := fns.CreateEventSourceMapping(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	waitFor(t, "the mapping to be enabled", func() bool {
		m, err := fns.GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: out.UUID})
		return err == nil && aws.ToString(m.State) == "Enabled"
	})
}

func queueARN(name string) string { return "arn:aws:sqs:us-east-1:000000000000:" + name }

func queueURL(n *nimbustest.Nimbus, name string) string { return n.URL() + "/000000000000/" + name }

// count is a queue's ApproximateNumberOfMessages plus NotVisible.
func count(t *testing.T, c *sqs.Client, n *nimbustest.Nimbus, name string) int {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL(n, name)),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", name, err)
	}
	var total int
	for _, v := range out.Attributes {
		var k int
		fmt.Sscan(v, &k)
		total += k
	}
	return total
}

// logLines returns every event of a log group's streams.
func logLines(t *testing.T, c *cloudwatchlogs.Client, group string) []string {
	t.Helper()
	var lines []string
	p := cloudwatchlogs.NewFilterLogEventsPaginator(c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("FilterLogEvents %s: %v", group, err)
		}
		for _, e := range out.Events {
			lines = append(lines, aws.ToString(e.Message))
		}
	}
	return lines
}
