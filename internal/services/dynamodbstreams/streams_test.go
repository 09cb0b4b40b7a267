package dynamodbstreams_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

var epoch = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type env struct {
	t       *testing.T
	clock   *clock.Fake
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
}

func start(t *testing.T) *env {
	t.Helper()
	clk := clock.NewFake(epoch)
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off", Clock: clk, ShardRollover: time.Hour}})
	cfg := n.Config()
	return &env{t: t, clock: clk,
		db:      dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }),
		streams: dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.RetryMaxAttempts = 1 })}
}

// createTable creates a table keyed by pk (S) with a stream of view.
func (e *env) createTable(name string, view ddbtypes.StreamViewType) string {
	e.t.Helper()
	out, err := e.db.CreateTable(context.Background(), &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: view}})
	if err != nil {
		e.t.Fatalf("CreateTable: %v", err)
	}
	return aws.ToString(out.TableDescription.LatestStreamArn)
}

func s(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }

func (e *env) put(table string, item map[string]ddbtypes.AttributeValue) {
	e.t.Helper()
	if _, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		e.t.Fatal(err)
	}
}

// iterator returns a shard iterator.
func (e *env) iterator(streamARN, shard string, typ types.ShardIteratorType, seq *string) *string {
	e.t.Helper()
	out, err := e.streams.GetShardIterator(context.Background(), &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(streamARN),
		ShardId: aws.String(shard), ShardIteratorType: typ, SequenceNumber: seq})
	if err != nil {
		e.t.Fatalf("GetShardIterator %s: %v", typ, err)
	}
	return out.ShardIterator
}

// records reads a shard from an iterator until a call returns nothing
// (or the shard ends), and returns the records and the last iterator.
func (e *env) records(it *string) ([]types.Record, *string) {
	e.t.Helper()
	var all []types.Record
	for range 100 {
		out, err := e.streams.GetRecords(context.Background(), &dynamodbstreams.GetRecordsInput{ShardIterator: it})
		if err != nil {
			e.t.Fatalf("GetRecords: %v", err)
		}
		all = append(all, out.Records...)
		it = out.NextShardIterator
		if len(out.Records) == 0 || it == nil {
			break
		}
	}
	return all, it
}

func (e *env) shards(streamARN string) []types.Shard {
	e.t.Helper()
	out, err := e.streams.DescribeStream(context.Background(), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil {
		e.t.Fatalf("DescribeStream: %v", err)
	}
	return out.StreamDescription.Shards
}

// summary renders a record as "EVENT key new-v old-v".
func summary(r types.Record) string {
	v := func(m map[string]types.AttributeValue) string {
		if m == nil {
			return "-"
		}
		if x, ok := m["v"].(*types.AttributeValueMemberS); ok {
			return x.Value
		}
		return "{}"
	}
	key := r.Dynamodb.Keys["pk"].(*types.AttributeValueMemberS).Value
	return fmt.Sprintf("%s %s %s %s", r.EventName, key, v(r.Dynamodb.NewImage), v(r.Dynamodb.OldImage))
}

func TestRecordsOfEveryViewType(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	for _, tt := range []struct {
		view ddbtypes.StreamViewType
		want []string
	}{
		{ddbtypes.StreamViewTypeNewAndOldImages, []string{"INSERT a 1 -", "MODIFY a 2 1", "INSERT b 1 -", "REMOVE a - 2"}},
		{ddbtypes.StreamViewTypeNewImage, []string{"INSERT a 1 -", "MODIFY a 2 -", "INSERT b 1 -", "REMOVE a - -"}},
		{ddbtypes.StreamViewTypeOldImage, []string{"INSERT a - -", "MODIFY a - 1", "INSERT b - -", "REMOVE a - 2"}},
		{ddbtypes.StreamViewTypeKeysOnly, []string{"INSERT a - -", "MODIFY a - -", "INSERT b - -", "REMOVE a - -"}},
	} {
		t.Run(string(tt.view), func(t *testing.T) {
			table := "t-" + string(tt.view)
			streamARN := e.createTable(table, tt.view)
			e.put(table, map[string]ddbtypes.AttributeValue{"pk": s("a"), "v": s("1")})
			e.put(table, map[string]ddbtypes.AttributeValue{"pk": s("a"), "v": s("1")}) // no change: no record
			if _, err := e.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{"pk": s("a")},
				UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": s("2")}}); err != nil {
				t.Fatal(err)
			}
			e.put(table, map[string]ddbtypes.AttributeValue{"pk": s("b"), "v": s("1")})
			for _, k := range []string{"a", "missing"} { // deleting nothing writes no record
				if _, err := e.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]ddbtypes.AttributeValue{"pk": s(k)}}); err != nil {
					t.Fatal(err)
				}
			}
			shards := e.shards(streamARN)
			if len(shards) != 1 || shards[0].SequenceNumberRange.EndingSequenceNumber != nil {
				t.Fatalf("shards = %+v, want one open shard", shards)
			}
			recs, it := e.records(e.iterator(streamARN, aws.ToString(shards[0].ShardId), types.ShardIteratorTypeTrimHorizon, nil))
			var got []string
			for i, r := range recs {
				got = append(got, summary(r))
				if aws.ToString(r.EventSource) != "aws:dynamodb" || aws.ToString(r.EventVersion) != "1.1" || aws.ToString(r.AwsRegion) != "us-east-1" ||
					r.Dynamodb.StreamViewType != types.StreamViewType(tt.view) || aws.ToInt64(r.Dynamodb.SizeBytes) <= 0 ||
					!r.Dynamodb.ApproximateCreationDateTime.Equal(epoch) || r.UserIdentity != nil {
					t.Errorf("record %d = %+v", i, r)
				}
				if i > 0 && aws.ToString(r.Dynamodb.SequenceNumber) <= aws.ToString(recs[i-1].Dynamodb.SequenceNumber) {
					t.Errorf("sequence numbers out of order: %s after %s", aws.ToString(r.Dynamodb.SequenceNumber), aws.ToString(recs[i-1].Dynamodb.SequenceNumber))
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("records (-want +got):\n%s", d)
			}
			if it == nil {
				t.Fatal("an open shard's NextShardIterator is missing")
			}
			// The iterator after the last record sees the next write; so
			// does LATEST taken before it.
			latest := e.iterator(streamARN, aws.ToString(shards[0].ShardId), types.ShardIteratorTypeLatest, nil)
			e.put(table, map[string]ddbtypes.AttributeValue{"pk": s("c"), "v": s("1")})
			for _, from := range []*string{it, latest} {
				if more, _ := e.records(from); len(more) != 1 || summary(more[0])[:8] != "INSERT c" {
					t.Errorf("after the last record: %v", more)
				}
			}
			// AT and AFTER a sequence number.
			second := recs[1].Dynamodb.SequenceNumber
			at, _ := e.records(e.iterator(streamARN, aws.ToString(shards[0].ShardId), types.ShardIteratorTypeAtSequenceNumber, second))
			after, _ := e.records(e.iterator(streamARN, aws.ToString(shards[0].ShardId), types.ShardIteratorTypeAfterSequenceNumber, second))
			if len(at) != 4 || len(after) != 3 || summary(at[0]) != tt.want[1] {
				t.Errorf("AT_SEQUENCE_NUMBER read %d records, AFTER %d; want 4 and 3", len(at), len(after))
			}
		})
	}

	list, err := e.streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{})
	if err != nil || len(list.Streams) != 4 {
		t.Errorf("ListStreams = %v, %v; want 4 streams", list, err)
	}
	one, err := e.streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("t-KEYS_ONLY"), Limit: aws.Int32(1)})
	if err != nil || len(one.Streams) != 1 || aws.ToString(one.Streams[0].TableName) != "t-KEYS_ONLY" {
		t.Errorf("ListStreams of one table = %+v, %v", one, err)
	}
}

func TestShardRolloverParentBeforeChild(t *testing.T) {
	t.Parallel()
	e := start(t) // shards roll over every hour
	streamARN := e.createTable("rolling", ddbtypes.StreamViewTypeKeysOnly)
	e.put("rolling", map[string]ddbtypes.AttributeValue{"pk": s("1")})
	e.put("rolling", map[string]ddbtypes.AttributeValue{"pk": s("2")})
	e.clock.Advance(61 * time.Minute)
	e.put("rolling", map[string]ddbtypes.AttributeValue{"pk": s("3")})

	shards := e.shards(streamARN)
	if len(shards) != 2 {
		t.Fatalf("shards after an hour = %+v, want 2", shards)
	}
	parent, child := shards[0], shards[1]
	if parent.SequenceNumberRange.EndingSequenceNumber == nil || aws.ToString(child.ParentShardId) != aws.ToString(parent.ShardId) ||
		child.SequenceNumberRange.EndingSequenceNumber != nil {
		t.Errorf("parent %+v, child %+v", parent, child)
	}
	// Read as a reader must: the parent to its end (no NextShardIterator),
	// then the child.
	recs, next := e.records(e.iterator(streamARN, aws.ToString(parent.ShardId), types.ShardIteratorTypeTrimHorizon, nil))
	if len(recs) != 2 || next != nil {
		t.Errorf("parent shard: %d records, NextShardIterator %v; want 2 and none", len(recs), next)
	}
	recs, _ = e.records(e.iterator(streamARN, aws.ToString(child.ShardId), types.ShardIteratorTypeTrimHorizon, nil))
	if len(recs) != 1 || summary(recs[0]) != "INSERT 3 - -" {
		t.Errorf("child shard: %v", recs)
	}
	children, err := e.streams.DescribeStream(context.Background(), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN),
		ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeChildShards, ShardId: parent.ShardId}})
	if err != nil || len(children.StreamDescription.Shards) != 1 || aws.ToString(children.StreamDescription.Shards[0].ShardId) != aws.ToString(child.ShardId) {
		t.Errorf("CHILD_SHARDS of the parent = %+v, %v", children, err)
	}
	// A shard rolls over on schedule even with no writes.
	e.clock.Advance(61 * time.Minute)
	if got := e.shards(streamARN); len(got) != 3 || got[1].SequenceNumberRange.EndingSequenceNumber == nil {
		t.Errorf("after another idle hour: %+v", got)
	}
}

func TestIteratorsAndErrors(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	streamARN := e.createTable("errs", ddbtypes.StreamViewTypeKeysOnly)
	shard := aws.ToString(e.shards(streamARN)[0].ShardId)
	it := e.iterator(streamARN, shard, types.ShardIteratorTypeTrimHorizon, nil)
	e.clock.Advance(16 * time.Minute)
	_, err := e.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it})
	var expired *types.ExpiredIteratorException
	if !errors.As(err, &expired) {
		t.Errorf("GetRecords with a 16-minute-old iterator: %v, want ExpiredIteratorException", err)
	}
	wantCode := func(err error, code, msg string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
			t.Errorf("error = %v, want %s %q", err, code, msg)
		}
	}
	_, err = e.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(streamARN), ShardId: aws.String("shardId-00000000000000000000-deadbeef"),
		ShardIteratorType: types.ShardIteratorTypeLatest})
	wantCode(err, "ResourceNotFoundException", "Requested resource not found: Shard does not exist")
	missing := "arn:aws:dynamodb:us-east-1:000000000000:table/none/stream/2026-01-01T00:00:00.000"
	_, err = e.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(missing)})
	wantCode(err, "ResourceNotFoundException", "Requested resource not found: Stream: "+missing+" not found")
	_, err = e.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(streamARN), ShardId: aws.String(shard),
		ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber})
	wantCode(err, "ValidationException", "")

	// Disabling the stream keeps it readable, DISABLED; enabling again
	// makes a new stream with a new label.
	if _, err := e.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("errs"),
		StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(false)}}); err != nil {
		t.Fatal(err)
	}
	d, err := e.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil || d.StreamDescription.StreamStatus != types.StreamStatusDisabled {
		t.Errorf("after disabling: %+v, %v", d, err)
	}
	e.clock.Advance(time.Second)
	out, err := e.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("errs"),
		StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewImage}})
	if err != nil {
		t.Fatal(err)
	}
	if newARN := aws.ToString(out.TableDescription.LatestStreamArn); newARN == streamARN || newARN == "" {
		t.Errorf("re-enabled stream ARN = %q, old %q", newARN, streamARN)
	}
	_, err = e.db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("errs"),
		StreamSpecification: &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewImage}})
	wantCode(err, "ValidationException", "Table already has an enabled stream: TableName: errs")
	list, err := e.streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String("errs")})
	if err != nil || len(list.Streams) != 2 {
		t.Errorf("streams of errs = %+v, %v; want the disabled one and the new one", list, err)
	}
}

func TestTimeToLive(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := context.Background()
	streamARN := e.createTable("sessions", ddbtypes.StreamViewTypeOldImage)
	if _, err := e.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("sessions"),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("expires")}}); err != nil {
		t.Fatal(err)
	}
	d, err := e.db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("sessions")})
	if err != nil || d.TimeToLiveDescription.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled || aws.ToString(d.TimeToLiveDescription.AttributeName) != "expires" {
		t.Errorf("DescribeTimeToLive = %+v, %v", d, err)
	}
	n := func(t time.Time) ddbtypes.AttributeValue {
		return &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(t.Unix())}
	}
	e.put("sessions", map[string]ddbtypes.AttributeValue{"pk": s("old"), "expires": n(epoch.Add(-time.Second))})
	e.put("sessions", map[string]ddbtypes.AttributeValue{"pk": s("new"), "expires": n(epoch.Add(time.Hour))})
	e.put("sessions", map[string]ddbtypes.AttributeValue{"pk": s("ms"), "expires": &ddbtypes.AttributeValueMemberN{Value: "17"}}) // 1970: ignored
	e.put("sessions", map[string]ddbtypes.AttributeValue{"pk": s("text"), "expires": s("yesterday")})                             // not a number: ignored
	get := func(k string) bool {
		out, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: map[string]ddbtypes.AttributeValue{"pk": s(k)}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}
	if !get("old") {
		t.Error("an expired item was gone before the sweep: DynamoDB keeps it readable until deleted")
	}
	e.clock.Advance(time.Minute)
	deadline := time.Now().Add(60 * time.Second)
	for get("old") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for k, want := range map[string]bool{"old": false, "new": true, "ms": true, "text": true} {
		if got := get(k); got != want {
			t.Errorf("%s present = %v, want %v", k, got, want)
		}
	}
	recs, _ := e.records(e.iterator(streamARN, aws.ToString(e.shards(streamARN)[0].ShardId), types.ShardIteratorTypeTrimHorizon, nil))
	last := recs[len(recs)-1]
	if summary(last) != "REMOVE old - {}" || last.UserIdentity == nil || aws.ToString(last.UserIdentity.Type) != "Service" ||
		aws.ToString(last.UserIdentity.PrincipalId) != "dynamodb.amazonaws.com" {
		t.Errorf("the TTL deletion's record = %s, %+v", summary(last), last.UserIdentity)
	}
	_, err = e.db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("sessions"),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{Enabled: aws.Bool(true), AttributeName: aws.String("expires")}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("enabling TTL twice: %v", err)
	}
}
