package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

func (p *process) dynamoClient() *dynamodb.Client {
	return dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(p.url),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")},
		func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
}

// TestKillNineKeepsAcknowledgedItems writes items and increments one
// counter from several clients at once, deletes one item, kills `nimbus up`
// with SIGKILL right after the last acknowledgement, restarts it on the
// same data directory and finds every acknowledged write: each item, in the
// table and in its global index, the counter at the number of acknowledged
// increments, and the deleted item gone from both.
func TestKillNineKeepsAcknowledgedItems(t *testing.T) {
	bin := buildNimbus(t)
	dataDir := t.TempDir()
	addr := freeAddr(t)
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

	p := startNimbus(t, bin, addr, dataDir)
	c := p.dynamoClient()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("durable"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("writer"), AttributeType: types.ScalarAttributeTypeS}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("by-writer"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("writer"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 8, 25
	var increments atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("durable"),
					Item: map[string]types.AttributeValue{"pk": s(fmt.Sprintf("w%d-%d", w, i)), "writer": s(fmt.Sprintf("w%d", w))}})
				if err != nil {
					t.Error(err)
					return
				}
				_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("durable"),
					Key: map[string]types.AttributeValue{"pk": s("counter")}, UpdateExpression: aws.String("ADD n :one"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}})
				if err != nil {
					t.Error(err)
					return
				}
				increments.Add(1)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("durable"), Key: map[string]types.AttributeValue{"pk": s("w3-7")}}); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	p = startNimbus(t, bin, addr, dataDir)
	c = p.dynamoClient()
	counter, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("durable"), Key: map[string]types.AttributeValue{"pk": s("counter")}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := counter.Item["n"].(*types.AttributeValueMemberN)
	if n == nil || n.Value != strconv.FormatInt(increments.Load(), 10) {
		t.Errorf("counter after the kill = %v, want %d", counter.Item["n"], increments.Load())
	}
	for w := range writers {
		q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("durable"), IndexName: aws.String("by-writer"),
			KeyConditionExpression: aws.String("writer = :w"), ExpressionAttributeValues: map[string]types.AttributeValue{":w": s(fmt.Sprintf("w%d", w))}})
		if err != nil {
			t.Fatal(err)
		}
		want := perWriter
		if w == 3 {
			want--
		}
		if len(q.Items) != want {
			t.Errorf("index entries of writer w%d after the kill = %d, want %d", w, len(q.Items), want)
		}
	}
	scan, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("durable"), Select: types.SelectCount})
	if err != nil {
		t.Fatal(err)
	}
	if want := int32(writers*perWriter - 1 + 1); scan.Count != want { // one deleted, plus the counter
		t.Errorf("items after the kill = %d, want %d", scan.Count, want)
	}
}

// TestKillNineKeepsStreamRecords writes items from several clients to a
// table with a stream, kills `nimbus up` with SIGKILL after the last
// acknowledgement, restarts it and reads the stream: exactly one INSERT
// record per acknowledged write, in order per item, none lost and none
// extra.
func TestKillNineKeepsStreamRecords(t *testing.T) {
	bin := buildNimbus(t)
	dataDir := t.TempDir()
	addr := freeAddr(t)
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

	p := startNimbus(t, bin, addr, dataDir)
	c := p.dynamoClient()
	out, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("streamed"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}})
	if err != nil {
		t.Fatal(err)
	}
	streamARN := out.TableDescription.LatestStreamArn
	const writers, perWriter = 8, 25
	var mu sync.Mutex
	acked := map[string]int{} // item → versions acknowledged
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				key := fmt.Sprintf("w%d-%d", w, i%5) // each item written 5 times
				_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("streamed"),
					Item: map[string]types.AttributeValue{"pk": s(key), "v": s(strconv.Itoa(i))}})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[key]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	p = startNimbus(t, bin, addr, dataDir)
	sc := dynamodbstreams.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(p.url),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	d, err := sc.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: streamARN})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	versions := map[string][]int{}
	for _, sh := range d.StreamDescription.Shards {
		it, err := sc.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: streamARN, ShardId: sh.ShardId,
			ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for range 100 {
			recs, err := sc.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs.Records {
				key := r.Dynamodb.Keys["pk"].(*streamtypes.AttributeValueMemberS).Value
				v, _ := strconv.Atoi(r.Dynamodb.NewImage["v"].(*streamtypes.AttributeValueMemberS).Value)
				seen[key]++
				versions[key] = append(versions[key], v)
			}
			iter = recs.NextShardIterator
			if len(recs.Records) == 0 || iter == nil {
				break
			}
		}
	}
	if len(seen) != len(acked) {
		t.Errorf("records for %d items, want %d", len(seen), len(acked))
	}
	for key, n := range acked {
		if seen[key] != n {
			t.Errorf("%s: %d records, want %d (one per acknowledged write)", key, seen[key], n)
		}
		if !slices.IsSorted(versions[key]) {
			t.Errorf("%s: records out of order: %v", key, versions[key])
		}
	}
}
