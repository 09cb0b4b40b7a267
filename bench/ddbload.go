package main

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// The bench's table and data: one table keyed by pk (partition) and sk
// (sort), holding ddbItems items of their own partition (item-0000 …),
// which GetItem reads and UpdateItem counts up, and one partition of
// ddbQueryItems items, which Query reads in one page.
const (
	ddbTable      = "bench"
	ddbItems      = 1000
	ddbQueryItems = 100
	ddbQueryPK    = "query"
	// ddbDataSize is the length of every item's data attribute, which makes
	// an item 1 KB with its keys and counter.
	ddbDataSize = 1000
)

// ddbData is the data attribute of every item: printable, so that no
// server has to escape it in JSON.
var ddbData = func() string {
	b := make([]byte, ddbDataSize)
	for i := range b {
		b[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[i%36]
	}
	return string(b)
}()

// ddbItem is the 1 KB item the bench stores under pk and sk, with its
// counter c at zero.
func ddbItem(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":   &types.AttributeValueMemberS{Value: pk},
		"sk":   &types.AttributeValueMemberS{Value: sk},
		"c":    &types.AttributeValueMemberN{Value: "0"},
		"data": &types.AttributeValueMemberS{Value: ddbData},
	}
}

// ddbItemKey names the i-th of the ddbItems items of their own partition.
func ddbItemKey(i int) (pk, sk string) { return fmt.Sprintf("item-%04d", i%ddbItems), "0" }

// ddbQuerySK names the i-th item of the Query partition.
func ddbQuerySK(i int) string { return fmt.Sprintf("%03d", i) }

// key is the key attributes of an item.
func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"sk": &types.AttributeValueMemberS{Value: sk},
	}
}

// newDDBClient returns the aws-sdk-go-v2 DynamoDB client every DynamoDB
// measurement uses: default settings except the endpoint, static
// credentials, the region and a single attempt (as newClient), so errors
// are counted, not retried after a backoff.
//
// This SDK closes a request's body once the response has arrived, while
// net/http's writer may still be checking that body for extra bytes; the
// closed body answers that check with io.EOF from WriteTo, which net/http
// takes for a failed write, so it closes the connection, sometimes under a
// response still being read ("use of closed network connection",
// aws/aws-sdk-go-v2#2737, which the SDK's retries paper over). On loopback
// this opens a new connection for a few percent of calls, and fails a few
// in a thousand Query calls, whose 100 KB answers are still arriving. The
// bench keeps the client as users have it and counts both (ddbRun).
func newDDBClient(endpoint string) *dynamodb.Client {
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBENCH", "SECRETBENCH", ""),
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
}

// ddbOp is one measured DynamoDB operation. call makes its i-th call of
// the run named run on c and fails when the answer is not what the
// preloaded table implies.
type ddbOp struct {
	name string
	// single reports that the operation reads or writes one item (the
	// single-item latency target applies to it).
	single bool
	call   func(ctx context.Context, c *dynamodb.Client, run string, i int) error
}

// ddbOps are the measured operations, in the order they are run.
var ddbOps = []ddbOp{
	{name: "PutItem", single: true, call: func(ctx context.Context, c *dynamodb.Client, run string, i int) error {
		// A new item every call: put-RUN-I.
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(ddbTable),
			Item: ddbItem("put-"+run+"-"+strconv.Itoa(i), "0")})
		return err
	}},
	{name: "GetItem", single: true, call: func(ctx context.Context, c *dynamodb.Client, run string, i int) error {
		pk, sk := ddbItemKey(i)
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(ddbTable), Key: key(pk, sk)})
		if err == nil && len(out.Item) != 4 {
			err = fmt.Errorf("GetItem of %s: %d attributes, want 4", pk, len(out.Item))
		}
		return err
	}},
	{name: "Query", call: func(ctx context.Context, c *dynamodb.Client, run string, i int) error {
		out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(ddbTable),
			KeyConditionExpression:    aws.String("pk = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: ddbQueryPK}},
			Limit:                     aws.Int32(ddbQueryItems)})
		if err == nil && len(out.Items) != ddbQueryItems {
			err = fmt.Errorf("query answered %d items, want %d", len(out.Items), ddbQueryItems)
		}
		return err
	}},
	{name: "UpdateItem", single: true, call: func(ctx context.Context, c *dynamodb.Client, run string, i int) error {
		pk, sk := ddbItemKey(i)
		_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(ddbTable), Key: key(pk, sk),
			UpdateExpression:          aws.String("SET #c = #c + :one"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeNames:  map[string]string{"#c": "c"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}})
		return err
	}},
}

// ddbRun is what one or more closed-loop runs of one operation on one
// server measured.
type ddbRun struct {
	Workers int
	// Latencies holds the client-side latency of each successful call.
	Latencies []time.Duration
	// Errors counts failed calls by errorKind; FirstError is the first.
	Errors     map[string]int
	FirstError error
	// NewConns counts the calls that opened a connection instead of reusing one.
	NewConns int
	// Elapsed is the time spent in the run's calls.
	Elapsed time.Duration
	// ServerCPU, ClientCPU and MachineCPU are the CPU time the server
	// process, the bench (the client) and the whole machine used over it.
	ServerCPU, ClientCPU, MachineCPU time.Duration
}

// calls is the number of calls made, successful or not.
func (r ddbRun) calls() int {
	n := len(r.Latencies)
	for _, c := range r.Errors {
		n += c
	}
	return n
}

// errorCount is the number of failed calls.
func (r ddbRun) errorCount() int { return r.calls() - len(r.Latencies) }

// perSecond is the rate of successful calls.
func (r ddbRun) perSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// perCall divides d, a CPU time over the run, by its calls.
func (r ddbRun) perCall(d time.Duration) time.Duration {
	if r.calls() == 0 {
		return 0
	}
	return d / time.Duration(r.calls())
}

// othersShare is the share of all CPUs that the rest of the machine used
// during the run: processes other than the server and the client, and
// the kernel's work outside them (softirqs carrying loopback traffic,
// time stolen by the hypervisor).
func (r ddbRun) othersShare(cpus int) float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	others := r.MachineCPU - r.ServerCPU - r.ClientCPU
	return float64(max(others, 0)) / (float64(r.Elapsed) * float64(cpus))
}

// add merges another run of the same operation on the same server into r.
func (r *ddbRun) add(o ddbRun) {
	r.Workers = o.Workers
	r.Latencies = append(r.Latencies, o.Latencies...)
	for k, n := range o.Errors {
		if r.Errors == nil {
			r.Errors = map[string]int{}
		}
		r.Errors[k] += n
	}
	if r.FirstError == nil {
		r.FirstError = o.FirstError
	}
	r.NewConns += o.NewConns
	r.Elapsed += o.Elapsed
	r.ServerCPU += o.ServerCPU
	r.ClientCPU += o.ClientCPU
	r.MachineCPU += o.MachineCPU
}

// ddbLoad runs workers goroutines that call op on s back to back until
// maxCalls calls have been started or limit has passed, whichever comes
// first, and measures the latency of each call and the CPU used over the
// run. run names the run (PutItem's new keys include it).
func ddbLoad(ctx context.Context, s *ddbServer, op ddbOp, run string, workers, maxCalls int, limit time.Duration) ddbRun {
	var (
		next, conns atomic.Int64
		mu          sync.Mutex
		wg          sync.WaitGroup
	)
	trace := &httptrace.ClientTrace{GotConn: func(c httptrace.GotConnInfo) {
		if !c.Reused {
			conns.Add(1)
		}
	}}
	r := ddbRun{Workers: workers, Errors: map[string]int{}}
	latencies := make([][]time.Duration, workers)
	start, _ := sampleCPU(s.proc.pid())
	t0 := time.Now()
	deadline := t0.Add(limit)
	// A server that stops answering holds a call up to 10 s past the limit.
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(10*time.Second))
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, trace)
	for w := range workers {
		latencies[w] = make([]time.Duration, 0, min(maxCalls/workers+1, 1<<16))
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= maxCalls || time.Now().After(deadline) || ctx.Err() != nil {
					return
				}
				c0 := time.Now()
				err := op.call(ctx, s.client, run, i)
				d := time.Since(c0)
				if err != nil {
					mu.Lock()
					if r.Errors[ddbErrorKind(err)]++; r.FirstError == nil {
						r.FirstError = err
					}
					mu.Unlock()
					continue
				}
				latencies[w] = append(latencies[w], d)
			}
		})
	}
	wg.Wait()
	r.Elapsed = time.Since(t0)
	r.Latencies = slices.Concat(latencies...)
	r.NewConns = int(conns.Load())
	if end, err := sampleCPU(s.proc.pid()); err == nil {
		r.ServerCPU, r.ClientCPU, r.MachineCPU = end.server-start.server, end.client-start.client, end.machine-start.machine
	}
	return r
}

// ddbErrorKind names a failed call for counting: errorKind, but naming
// why an answer could not be read instead of its status (200).
func ddbErrorKind(err error) string {
	var de *smithy.DeserializationError
	if !errors.As(err, &de) {
		return errorKind(err)
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return "reading the answer: " + s
}

// ddbLoaded runs op on each server with workers workers, up to maxCalls
// calls or limit, cut into ddbRounds turns that go round the servers, so
// that they all share whatever else the machine is doing.
func ddbLoaded(ctx context.Context, servers []*ddbServer, op ddbOp, workers, maxCalls int, limit time.Duration) []ddbRun {
	runs := make([]ddbRun, len(servers))
	for round := range ddbRounds {
		for i, s := range servers {
			runs[i].add(ddbLoad(ctx, s, op, "load-"+strconv.Itoa(round), workers, maxCalls/ddbRounds, limit/ddbRounds))
		}
	}
	return runs
}

// ddbSingle makes up to n sequential calls of op on each server, one
// worker, interleaved in blocks of block calls per server so that all
// servers share whatever else the machine is doing, until limit has
// passed; every server gets the same number of blocks.
func ddbSingle(ctx context.Context, servers []*ddbServer, op ddbOp, n, block int, limit time.Duration) []ddbRun {
	runs := make([]ddbRun, len(servers))
	deadline := time.Now().Add(limit)
	for done := 0; done < n && time.Now().Before(deadline) && ctx.Err() == nil; done += block {
		for i, s := range servers {
			runs[i].add(ddbLoad(ctx, s, op, "single-"+strconv.Itoa(done), 1, min(block, n-done), limit))
		}
	}
	return runs
}
