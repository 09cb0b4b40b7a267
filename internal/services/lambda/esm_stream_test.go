package lambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// streamHandler reports each batch (the records' pk values and event
// names) to the recorder, raises when a batch holds pk "boom", and, with
// ReportBatchItemFailures, reports the records whose pk starts with
// "partial" failed.
const streamHandler = `
import json, os, urllib.request

def handler(event, context):
    records = event["Records"]
    report = {"keys": [r["dynamodb"]["Keys"]["pk"]["S"] for r in records],
              "names": [r["eventName"] for r in records],
              "arn": records[0]["eventSourceARN"], "source": records[0]["eventSource"],
              "image": records[0]["dynamodb"].get("NewImage")}
    urllib.request.urlopen(os.environ["RECORDER"], data=json.dumps(report).encode())
    if any(r["dynamodb"]["Keys"]["pk"]["S"] == "boom" for r in records):
        raise Exception("boom")
    return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
                                  for r in records if r["dynamodb"]["Keys"]["pk"]["S"].startswith("partial")]}
`

// windowHandler counts records in its tumbling-window state and reports
// every invocation's window, state and finality.
const windowHandler = `
import json, os, urllib.request

def handler(event, context):
    count = event["state"].get("count", 0) + len(event["Records"])
    urllib.request.urlopen(os.environ["RECORDER"], data=json.dumps({
        "final": event["isFinalInvokeForWindow"], "count": count, "start": event["window"]["start"],
        "end": event["window"]["end"], "shard": event["shardId"], "arn": event["eventSourceARN"]}).encode())
    return {"state": {"count": count}}
`

type streamBatch struct {
	Keys, Names []string
	Arn, Source string
	Image       map[string]any
}

func TestDynamoDBStreamEventSourceMapping(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("skip: no python3 on this machine to run the Python function")
	}
	// Shards roll over every 300 ms, so that mappings must follow parents
	// to children while the test runs.
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{ShardRollover: 300 * time.Millisecond}})
	ctx := context.Background()
	lc := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	dc := dynamodb.NewFromConfig(n.Config())
	qc := sqs.NewFromConfig(n.Config())
	code := zipSources(t, map[string]string{"app.py": streamHandler})

	// setup makes a table with a stream, a function reporting to its own
	// recorder, and returns the stream ARN and the recorder.
	setup := func(t *testing.T, name string) (string, *nimbustest.Recorder) {
		t.Helper()
		out, err := dc.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewImage}})
		if err != nil {
			t.Fatal(err)
		}
		rec := nimbustest.NewRecorder(t)
		createFunction(t, lc, name, func(in *lambda.CreateFunctionInput) {
			in.Runtime, in.Handler = types.RuntimePython312, aws.String("app.handler")
			in.Code = &types.FunctionCode{ZipFile: code}
			in.Timeout = aws.Int32(10)
			in.Environment = &types.Environment{Variables: map[string]string{"RECORDER": rec.URL()}}
		})
		return aws.ToString(out.TableDescription.LatestStreamArn), rec
	}
	put := func(t *testing.T, table string, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, err := dc.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table),
				Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: k}, "kind": &ddbtypes.AttributeValueMemberS{Value: "k-" + k}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	batches := func(rec *nimbustest.Recorder) []streamBatch {
		var out []streamBatch
		for _, line := range rec.Lines() {
			var b streamBatch
			json.Unmarshal([]byte(line), &b)
			out = append(out, b)
		}
		return out
	}
	delivered := func(rec *nimbustest.Recorder) []string {
		var keys []string
		for _, b := range batches(rec) {
			keys = append(keys, b.Keys...)
		}
		return keys
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
	mapStream := func(t *testing.T, function, streamARN string, mod func(*lambda.CreateEventSourceMappingInput)) *lambda.CreateEventSourceMappingOutput {
		t.Helper()
		in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(function), EventSourceArn: aws.String(streamARN),
			StartingPosition: types.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(10)}
		if mod != nil {
			mod(in)
		}
		out, err := lc.CreateEventSourceMapping(ctx, in)
		if err != nil {
			t.Fatalf("CreateEventSourceMapping: %v", err)
		}
		return out
	}

	t.Run("records reach the function in order, across shard rollovers", func(t *testing.T) {
		t.Parallel()
		streamARN, rec := setup(t, "orders")
		var want []string
		for i := range 6 { // written over ~1 s: several shards
			k := fmt.Sprintf("o%d", i)
			put(t, "orders", k)
			want = append(want, k)
			time.Sleep(150 * time.Millisecond)
		}
		out := mapStream(t, "orders", streamARN, nil)
		if aws.ToString(out.State) != "Creating" || out.StartingPosition != types.EventSourcePositionTrimHorizon || aws.ToInt32(out.MaximumRetryAttempts) != -1 ||
			aws.ToInt32(out.MaximumRecordAgeInSeconds) != -1 || aws.ToInt32(out.ParallelizationFactor) != 1 || out.DestinationConfig == nil ||
			aws.ToString(out.LastProcessingResult) != "No records processed" {
			t.Errorf("CreateEventSourceMapping = %+v", out)
		}
		put(t, "orders", "o6")
		want = append(want, "o6")
		waitFor(t, "7 records", func() bool { return len(delivered(rec)) >= 7 })
		if got := delivered(rec); !slices.Equal(got, want) {
			t.Errorf("delivered %v, want %v in order", got, want)
		}
		b := batches(rec)[0]
		if b.Arn != streamARN || b.Source != "aws:dynamodb" || b.Names[0] != "INSERT" || b.Image["kind"] == nil {
			t.Errorf("event = %+v", b)
		}
		_, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("orders"),
			EventSourceArn: aws.String(streamARN), StartingPosition: types.EventSourcePositionLatest})
		wantLambdaError(t, err, "ResourceConflictException")
	})

	t.Run("LATEST skips what came before", func(t *testing.T) {
		t.Parallel()
		streamARN, rec := setup(t, "latest")
		put(t, "latest", "before")
		mapStream(t, "latest", streamARN, func(in *lambda.CreateEventSourceMappingInput) { in.StartingPosition = types.EventSourcePositionLatest })
		time.Sleep(600 * time.Millisecond) // the mapping takes its place
		put(t, "latest", "after")
		waitFor(t, "the new record", func() bool { return len(delivered(rec)) >= 1 })
		time.Sleep(300 * time.Millisecond)
		if got := delivered(rec); !slices.Equal(got, []string{"after"}) {
			t.Errorf("delivered %v, want only [after]", got)
		}
	})

	t.Run("a failing batch blocks its shard, is retried, then goes to the OnFailure queue", func(t *testing.T) {
		t.Parallel()
		streamARN, rec := setup(t, "failing")
		q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("stream-failures")})
		if err != nil {
			t.Fatal(err)
		}
		put(t, "failing", "boom")
		mapStream(t, "failing", streamARN, func(in *lambda.CreateEventSourceMappingInput) {
			in.MaximumRetryAttempts = aws.Int32(1)
			in.DestinationConfig = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:000000000000:stream-failures")}}
		})
		var body string
		waitFor(t, "the failure record", func() bool {
			out, err := qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 1})
			if err == nil && len(out.Messages) > 0 {
				body = aws.ToString(out.Messages[0].Body)
			}
			return body != ""
		})
		var failure struct {
			RequestContext struct {
				Condition              string
				ApproximateInvokeCount int
			} `json:"requestContext"`
			ResponseContext struct{ FunctionError string } `json:"responseContext"`
			Info            struct {
				ShardID, StartSequenceNumber, EndSequenceNumber, StreamArn string
				BatchSize                                                  int
			} `json:"DDBStreamBatchInfo"`
		}
		if err := json.Unmarshal([]byte(body), &failure); err != nil {
			t.Fatal(err)
		}
		if failure.RequestContext.Condition != "RetryAttemptsExhausted" || failure.RequestContext.ApproximateInvokeCount != 2 ||
			failure.ResponseContext.FunctionError != "Unhandled" || failure.Info.StreamArn != streamARN || failure.Info.BatchSize != 1 ||
			failure.Info.StartSequenceNumber == "" || failure.Info.StartSequenceNumber != failure.Info.EndSequenceNumber {
			t.Errorf("failure record = %s", body)
		}
		if got := delivered(rec); !slices.Equal(got, []string{"boom", "boom"}) {
			t.Errorf("deliveries %v, want the batch twice (one retry)", got)
		}
		put(t, "failing", "next")
		waitFor(t, "the shard to move on", func() bool { return slices.Contains(delivered(rec), "next") })
	})

	t.Run("bisect isolates the failing record", func(t *testing.T) {
		t.Parallel()
		streamARN, rec := setup(t, "bisect")
		put(t, "bisect", "a", "b", "boom", "c")
		mapStream(t, "bisect", streamARN, func(in *lambda.CreateEventSourceMappingInput) {
			in.BisectBatchOnFunctionError = aws.Bool(true)
			in.MaximumRetryAttempts = aws.Int32(0)
			in.MaximumBatchingWindowInSeconds = aws.Int32(1)
		})
		waitFor(t, "five batches", func() bool { return len(batches(rec)) >= 5 })
		time.Sleep(300 * time.Millisecond)
		var sizes []int
		for _, b := range batches(rec) {
			sizes = append(sizes, len(b.Keys))
		}
		// [a b boom c] fails → [a b] ok, [boom c] fails → [boom] fails and is
		// given up, [c] ok.
		if !slices.Equal(sizes, []int{4, 2, 2, 1, 1}) {
			t.Errorf("batch sizes %v, want [4 2 2 1 1]", sizes)
		}
	})

	t.Run("ReportBatchItemFailures retries from the first failed record", func(t *testing.T) {
		t.Parallel()
		streamARN, rec := setup(t, "partial")
		put(t, "partial", "x", "partial-1", "y")
		mapStream(t, "partial", streamARN, func(in *lambda.CreateEventSourceMappingInput) {
			in.FunctionResponseTypes = []types.FunctionResponseType{types.FunctionResponseTypeReportBatchItemFailures}
			in.MaximumRetryAttempts = aws.Int32(1)
			in.MaximumBatchingWindowInSeconds = aws.Int32(1)
		})
		waitFor(t, "two batches", func() bool { return len(batches(rec)) >= 2 })
		time.Sleep(500 * time.Millisecond)
		var got [][]string
		for _, b := range batches(rec) {
			got = append(got, b.Keys)
		}
		if len(got) != 2 || !slices.Equal(got[0], []string{"x", "partial-1", "y"}) || !slices.Equal(got[1], []string{"partial-1", "y"}) {
			t.Errorf("batches %v, want [x partial-1 y] then [partial-1 y]", got)
		}
	})

	t.Run("ParallelizationFactor keeps each key's records in order", func(t *testing.T) {
		t.Parallel()
		streamARN, rec := setup(t, "parallel")
		for v := range 3 {
			for k := range 4 {
				if _, err := dc.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("parallel"), Item: map[string]ddbtypes.AttributeValue{
					"pk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("p%d", k)}, "kind": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprint(v)}}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		mapStream(t, "parallel", streamARN, func(in *lambda.CreateEventSourceMappingInput) {
			in.ParallelizationFactor = aws.Int32(4)
			in.BatchSize = aws.Int32(1)
		})
		waitFor(t, "12 records", func() bool { return len(delivered(rec)) >= 12 })
		order := map[string][]string{}
		for _, b := range batches(rec) {
			kind, _ := b.Image["kind"].(map[string]any)
			order[b.Keys[0]] = append(order[b.Keys[0]], fmt.Sprint(kind["S"]))
		}
		for k, vs := range order {
			if !slices.Equal(vs, []string{"0", "1", "2"}) {
				t.Errorf("%s delivered as %v, want [0 1 2]", k, vs)
			}
		}
	})

	t.Run("tumbling windows carry state to a final invocation", func(t *testing.T) {
		t.Parallel()
		streamARN, _ := setup(t, "windows")
		rec := nimbustest.NewRecorder(t)
		createFunction(t, lc, "windows-fn", func(in *lambda.CreateFunctionInput) {
			in.Runtime, in.Handler = types.RuntimePython312, aws.String("app.handler")
			in.Code = &types.FunctionCode{ZipFile: zipSources(t, map[string]string{"app.py": windowHandler})}
			in.Timeout = aws.Int32(10)
			in.Environment = &types.Environment{Variables: map[string]string{"RECORDER": rec.URL()}}
		})
		put(t, "windows", "a", "b", "c")
		out := mapStream(t, "windows-fn", streamARN, func(in *lambda.CreateEventSourceMappingInput) {
			in.TumblingWindowInSeconds = aws.Int32(1)
			in.BatchSize = aws.Int32(1)
		})
		if aws.ToInt32(out.TumblingWindowInSeconds) != 1 {
			t.Errorf("TumblingWindowInSeconds = %d", aws.ToInt32(out.TumblingWindowInSeconds))
		}
		type call struct {
			Final                  bool
			Count                  int
			Start, End, Shard, Arn string
		}
		calls := func() []call {
			var out []call
			for _, line := range rec.Lines() {
				var c call
				json.Unmarshal([]byte(line), &c)
				out = append(out, c)
			}
			return out
		}
		total := func() int {
			n := 0
			for _, c := range calls() {
				if c.Final {
					n += c.Count
				}
			}
			return n
		}
		waitFor(t, "the final invocations to count all three records", func() bool { return total() >= 3 })
		time.Sleep(300 * time.Millisecond)
		if got := total(); got != 3 {
			t.Errorf("final counts add up to %d, want 3: %+v", got, calls())
		}
		for _, c := range calls() {
			start, err1 := time.Parse(time.RFC3339, c.Start)
			end, err2 := time.Parse(time.RFC3339, c.End)
			if err1 != nil || err2 != nil || end.Sub(start) != time.Second || c.Shard == "" || c.Arn != streamARN {
				t.Errorf("invocation %+v", c)
			}
		}
	})

	t.Run("filters drop the records no pattern matches", func(t *testing.T) {
		t.Parallel()
		streamARN, rec := setup(t, "filtered")
		put(t, "filtered", "skip", "keep")
		mapStream(t, "filtered", streamARN, func(in *lambda.CreateEventSourceMappingInput) {
			in.FilterCriteria = &types.FilterCriteria{Filters: []types.Filter{{Pattern: aws.String(`{"dynamodb": {"NewImage": {"kind": {"S": ["k-keep"]}}}}`)}}}
		})
		waitFor(t, "keep", func() bool { return len(delivered(rec)) >= 1 })
		time.Sleep(300 * time.Millisecond)
		if got := delivered(rec); !slices.Equal(got, []string{"keep"}) {
			t.Errorf("delivered %v, want [keep]", got)
		}
	})

	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		createFunction(t, lc, "lonely")
		missing := "arn:aws:dynamodb:us-east-1:000000000000:table/none/stream/2026-01-01T00:00:00.000"
		_, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("lonely"),
			EventSourceArn: aws.String(missing), StartingPosition: types.EventSourcePositionLatest})
		wantLambdaError(t, err, "InvalidParameterValueException")
	})
}

func wantLambdaError(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Errorf("error = %v, want %s", err, code)
	}
}
