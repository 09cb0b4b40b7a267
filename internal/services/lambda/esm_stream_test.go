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
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
	"github.com/nimbus-dev/nimbus/internal/testenv"
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

// streamFixture is a Nimbus with a table-and-function factory for stream
// mapping tests.
type streamFixture struct {
	n    *nimbustest.Nimbus
	lc   *lambda.Client
	dc   *dynamodb.Client
	qc   *sqs.Client
	code []byte
}

func newStreamFixture(t *testing.T, cfg server.Config) *streamFixture {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Missing(t, "no python3 on PATH to run the Python function; install Python 3")
	}
	n := nimbustest.StartWith(t, nimbustest.Options{Config: cfg})
	return &streamFixture{
		n:    n,
		lc:   lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 }),
		dc:   dynamodb.NewFromConfig(n.Config()),
		qc:   sqs.NewFromConfig(n.Config()),
		code: zipSources(t, map[string]string{"app.py": streamHandler}),
	}
}

// setup makes a table with a stream and a function of the same name
// reporting to its own recorder, and returns the stream ARN and the
// recorder.
func (f *streamFixture) setup(t *testing.T, name string) (string, *nimbustest.Recorder) {
	t.Helper()
	out, err := f.dc.CreateTable(context.Background(), &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewImage}})
	if err != nil {
		t.Fatal(err)
	}
	rec := nimbustest.NewRecorder(t)
	createFunction(t, f.lc, name, func(in *lambda.CreateFunctionInput) {
		in.Runtime, in.Handler = types.RuntimePython312, aws.String("app.handler")
		in.Code = &types.FunctionCode{ZipFile: f.code}
		in.Timeout = aws.Int32(60) // bounds a failure only
		in.Environment = &types.Environment{Variables: map[string]string{"RECORDER": rec.URL()}}
	})
	return aws.ToString(out.TableDescription.LatestStreamArn), rec
}

// put writes items with the given keys, one at a time.
func (f *streamFixture) put(t *testing.T, table string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := f.dc.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table),
			Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: k}, "kind": &ddbtypes.AttributeValueMemberS{Value: "k-" + k}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// mapStream maps the stream to the function, from TRIM_HORIZON in batches
// of 10 unless mod says otherwise.
func (f *streamFixture) mapStream(t *testing.T, function, streamARN string, mod func(*lambda.CreateEventSourceMappingInput)) *lambda.CreateEventSourceMappingOutput {
	t.Helper()
	in := &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(function), EventSourceArn: aws.String(streamARN),
		StartingPosition: types.EventSourcePositionTrimHorizon, BatchSize: aws.Int32(10)}
	if mod != nil {
		mod(in)
	}
	out, err := f.lc.CreateEventSourceMapping(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateEventSourceMapping: %v", err)
	}
	return out
}

// waitEnabled waits until a mapping's pollers have taken their place in
// the stream: its State goes from Creating to Enabled.
func (f *streamFixture) waitEnabled(t *testing.T, uuid *string) {
	t.Helper()
	eventually(t, "the mapping to be Enabled", func() bool {
		got, err := f.lc.GetEventSourceMapping(context.Background(), &lambda.GetEventSourceMappingInput{UUID: uuid})
		return err == nil && aws.ToString(got.State) == "Enabled"
	})
}

func streamBatches(rec *nimbustest.Recorder) []streamBatch {
	var out []streamBatch
	for _, line := range rec.Lines() {
		var b streamBatch
		json.Unmarshal([]byte(line), &b)
		out = append(out, b)
	}
	return out
}

func streamKeys(rec *nimbustest.Recorder) []string {
	var keys []string
	for _, b := range streamBatches(rec) {
		keys = append(keys, b.Keys...)
	}
	return keys
}

// TestStreamMappingFollowsShards follows a stream across shard rollovers,
// made one by one on a fake clock.
func TestStreamMappingFollowsShards(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Now())
	f := newStreamFixture(t, server.Config{Clock: clk, ShardRollover: time.Minute})
	streamARN, rec := f.setup(t, "orders")
	var want []string
	for i := range 6 { // six shards, each a child of the one before
		if i > 0 {
			clk.Advance(time.Minute)
		}
		k := fmt.Sprintf("o%d", i)
		f.put(t, "orders", k)
		want = append(want, k)
	}
	shards, err := dynamodbstreams.NewFromConfig(f.n.Config()).DescribeStream(context.Background(),
		&dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil || len(shards.StreamDescription.Shards) != 6 {
		t.Fatalf("DescribeStream = %v, %v; want 6 shards", shards, err)
	}
	out := f.mapStream(t, "orders", streamARN, nil)
	if aws.ToString(out.State) != "Creating" || out.StartingPosition != types.EventSourcePositionTrimHorizon || aws.ToInt32(out.MaximumRetryAttempts) != -1 ||
		aws.ToInt32(out.MaximumRecordAgeInSeconds) != -1 || aws.ToInt32(out.ParallelizationFactor) != 1 || out.DestinationConfig == nil ||
		aws.ToString(out.LastProcessingResult) != "No records processed" {
		t.Errorf("CreateEventSourceMapping = %+v", out)
	}
	f.put(t, "orders", "o6")
	want = append(want, "o6")
	eventually(t, "7 records", func() bool { return len(streamKeys(rec)) >= 7 })
	if got := streamKeys(rec); !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v in order", got, want)
	}
	b := streamBatches(rec)[0]
	if b.Arn != streamARN || b.Source != "aws:dynamodb" || b.Names[0] != "INSERT" || b.Image["kind"] == nil {
		t.Errorf("event = %+v", b)
	}
	_, err = f.lc.CreateEventSourceMapping(context.Background(), &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("orders"),
		EventSourceArn: aws.String(streamARN), StartingPosition: types.EventSourcePositionLatest})
	wantLambdaError(t, err, "ResourceConflictException")
}

// TestStreamMappingMaximumRecordAge fails a batch on a fake clock until its
// record is older than MaximumRecordAgeInSeconds: Lambda then gives it up
// to the OnFailure destination, retries or not, and the shard moves on.
func TestStreamMappingMaximumRecordAge(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Now())
	f := newStreamFixture(t, server.Config{Clock: clk})
	ctx := context.Background()
	streamARN, rec := f.setup(t, "aged")
	q, err := f.qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("aged-failures")})
	if err != nil {
		t.Fatal(err)
	}
	out := f.mapStream(t, "aged", streamARN, func(in *lambda.CreateEventSourceMappingInput) {
		in.MaximumRecordAgeInSeconds = aws.Int32(60) // and MaximumRetryAttempts -1: retried until then
		in.DestinationConfig = &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:sqs:us-east-1:000000000000:aged-failures")}}
	})
	if got := aws.ToInt32(out.MaximumRecordAgeInSeconds); got != 60 || aws.ToInt32(out.MaximumRetryAttempts) != -1 {
		t.Errorf("MaximumRecordAgeInSeconds %d, MaximumRetryAttempts %d; want 60, -1", got, aws.ToInt32(out.MaximumRetryAttempts))
	}
	f.put(t, "aged", "boom")
	eventually(t, "the first attempt", func() bool { return len(streamKeys(rec)) == 1 })
	// The retry waits on the fake clock; a minute on, the record is too old
	// for another attempt.
	clk.Advance(61 * time.Second)
	var body string
	eventually(t, "the failure record", func() bool {
		out, err := f.qc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
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
		Info struct {
			StartSequenceNumber, EndSequenceNumber, StreamArn string
			BatchSize                                         int
		} `json:"DDBStreamBatchInfo"`
	}
	if err := json.Unmarshal([]byte(body), &failure); err != nil {
		t.Fatal(err)
	}
	if failure.RequestContext.Condition != "RecordAgeExceeded" || failure.RequestContext.ApproximateInvokeCount != 1 ||
		failure.Info.StreamArn != streamARN || failure.Info.BatchSize != 1 || failure.Info.StartSequenceNumber == "" {
		t.Errorf("failure record = %s", body)
	}
	if got := streamKeys(rec); !slices.Equal(got, []string{"boom"}) {
		t.Errorf("deliveries %v, want the batch once: too old to retry", got)
	}
	f.put(t, "aged", "next")
	eventually(t, "the shard to move on", func() bool { return slices.Contains(streamKeys(rec), "next") })
	if got := streamKeys(rec); !slices.Equal(got, []string{"boom", "next"}) {
		t.Errorf("deliveries %v, want [boom next]", got)
	}
}

func TestDynamoDBStreamEventSourceMapping(t *testing.T) {
	t.Parallel()
	f := newStreamFixture(t, server.Config{})
	ctx := context.Background()
	lc, dc, qc := f.lc, f.dc, f.qc
	setup, put, mapStream := f.setup, f.put, f.mapStream
	batches, delivered := streamBatches, streamKeys

	t.Run("LATEST skips what came before", func(t *testing.T) {
		t.Parallel()
		streamARN, rec := setup(t, "latest")
		put(t, "latest", "before")
		out := mapStream(t, "latest", streamARN, func(in *lambda.CreateEventSourceMappingInput) { in.StartingPosition = types.EventSourcePositionLatest })
		f.waitEnabled(t, out.UUID) // its place in the stream taken: after "before"
		put(t, "latest", "after")
		// Records arrive in order: "before", had it not been skipped, would
		// be delivered ahead of "after".
		eventually(t, "the new record", func() bool { return len(delivered(rec)) >= 1 })
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
		eventually(t, "the failure record", func() bool {
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
		eventually(t, "the shard to move on", func() bool { return slices.Contains(delivered(rec), "next") })
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
		eventually(t, "five batches", func() bool { return len(batches(rec)) >= 5 })
		// A record written now comes after the bisected batch on the shard:
		// its batch is the next, once bisecting is over.
		put(t, "bisect", "d")
		eventually(t, "the next record", func() bool { return slices.Contains(delivered(rec), "d") })
		var sizes []int
		for _, b := range batches(rec) {
			sizes = append(sizes, len(b.Keys))
		}
		// [a b boom c] fails → [a b] ok, [boom c] fails → [boom] fails and is
		// given up, [c] ok; then [d].
		if !slices.Equal(sizes, []int{4, 2, 2, 1, 1, 1}) {
			t.Errorf("batch sizes %v, want [4 2 2 1 1 1]", sizes)
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
		eventually(t, "two batches", func() bool { return len(batches(rec)) >= 2 })
		put(t, "partial", "z") // next on the shard, once the failing batch is given up
		eventually(t, "the next record", func() bool { return slices.Contains(delivered(rec), "z") })
		var got [][]string
		for _, b := range batches(rec) {
			got = append(got, b.Keys)
		}
		want := [][]string{{"x", "partial-1", "y"}, {"partial-1", "y"}, {"z"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("batches (-want +got):\n%s", diff)
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
		eventually(t, "12 records", func() bool { return len(delivered(rec)) >= 12 })
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
			in.Timeout = aws.Int32(60) // bounds a failure only
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
		eventually(t, "the final invocations to count all three records", func() bool { return total() >= 3 })
		// A later record opens a later window, whose final invocation comes
		// after any other of the earlier windows.
		put(t, "windows", "d")
		eventually(t, "the final invocation of the next window", func() bool { return total() >= 4 })
		if got := total(); got != 4 {
			t.Errorf("final counts add up to %d, want 4: %+v", got, calls())
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
		// "skip" comes first on the shard: delivered, it would be seen first.
		eventually(t, "keep", func() bool { return len(delivered(rec)) >= 1 })
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
