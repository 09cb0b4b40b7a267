package main

// The DynamoDB Streams benchmark (issue 6): Nimbus and moto_server, each a
// subprocess on 127.0.0.1, through one aws-sdk-go-v2 client, in the same
// run. It measures what streams cost on the write path (server CPU per
// PutItem on a table without a stream and on the same table with one),
// write → record visible to GetRecords, GetRecords throughput, and, on
// Nimbus only, write → handler start through a Lambda event source mapping
// (moto runs functions only in Docker).
//
//	go run ./bench -only streams -rev HEAD

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// The streams benchmark's tables, on every server: plain and streamed have
// the bench table's shape (pk and sk strings, PAY_PER_REQUEST) and its
// ddbItems items, streamed with a NEW_AND_OLD_IMAGES stream; visible,
// read and handler have NEW_IMAGE streams.
const (
	streamPlainTable    = "plain"
	streamStreamedTable = "streamed"
	streamVisibleTable  = "visible"
	streamReadTable     = "read"
	streamHandlerTable  = "handler"
)

// The streams benchmark's sizes and bounds.
const (
	// streamVisibleWrites writes are timed to visible on each server, in
	// blocks of streamVisibleBlock that alternate between the servers,
	// within streamVisibleLimit; each waits at most streamWait.
	streamVisibleWrites = 200
	streamVisibleBlock  = 20
	streamVisibleLimit  = 60 * time.Second
	streamWait          = 5 * time.Second
	// streamHandlerWrites writes, after streamHandlerWarmups, are timed to
	// the handler's start, within streamHandlerLimit.
	streamHandlerWrites  = 100
	streamHandlerWarmups = 5
	streamHandlerLimit   = 90 * time.Second
	// nimbusShardPoll is how often Nimbus's (and Lambda's) stream mappings
	// poll a shard that had nothing new; each timed write to the handler
	// waits a random part of it first.
	nimbusShardPoll = 250 * time.Millisecond
	// streamReadRecords records are written to the read table and read
	// back from TRIM_HORIZON streamReadPasses times per server, with
	// GetRecords Limit streamReadLimit, each pass within streamReadTime.
	streamReadRecords = 10000
	streamReadPasses  = 3
	streamReadLimit   = 1000
	streamReadTime    = 2 * time.Minute
)

// streamServer is one server of the streams benchmark.
type streamServer struct {
	*ddbServer
	streams *dynamodbstreams.Client
	// lambda is nil on servers that cannot run functions here (moto).
	lambda *lambda.Client
	// arns are the tables' latest stream ARNs, by table.
	arns map[string]string
}

// costVariant is one kind of PutItem whose cost is measured with and
// without a stream.
type costVariant struct {
	name string
	// key is the partition key of call i of the run named run.
	key func(run string, i int) string
}

// costWrites numbers the cost runs' writes: every PutItem sets the item's
// counter to a new number, so that an overwrite changes the item (a write
// that changes nothing writes no stream record).
var costWrites atomic.Int64

// streamCostVariants: new items (INSERT records, no old image) and
// overwrites of the ddbItems preloaded items (MODIFY records, both images).
var streamCostVariants = []costVariant{
	{name: "new items", key: func(run string, i int) string { return "put-" + run + "-" + strconv.Itoa(i) }},
	{name: "overwrites", key: func(run string, i int) string { pk, _ := ddbItemKey(i); return pk }},
}

// streamComparison is what the streams benchmark measured.
type streamComparison struct {
	// Servers are in column order: Nimbus, moto_server.
	Servers []*streamServer
	// Cost is indexed by variant (streamCostVariants), server, then table:
	// 0 without a stream, 1 with one.
	Cost [][][2]ddbRun
	// Visible and Read are indexed by server.
	Visible []visibleRun
	Read    []readRun
	// Handler is Nimbus's write → handler run.
	Handler handlerRun
	DataFS  string
}

// measureDDBStreams builds the stream function from the bench's own
// source (root), starts Nimbus and moto_server, creates the tables and
// measures, and stops the servers.
func measureDDBStreams(ctx context.Context, o options, root, nimbusBin, work string, logf *os.File) (*streamComparison, error) {
	fn := filepath.Join(work, "ddbstreamfn", "bootstrap")
	// The function is bench code: built from the working tree even with
	// -rev, like the bench itself.
	if err := buildGo(ctx, root, fn, "./bench/ddbstreamfn", "-tags", "lambda.norpc", "-trimpath"); err != nil {
		return nil, err
	}
	zip, err := zipBootstrap(fn)
	if err != nil {
		return nil, err
	}
	servers, err := startStreamServers(ctx, nimbusBin, work, logf)
	defer func() {
		for _, s := range servers {
			if s.proc != nil {
				s.proc.stop(5 * time.Second)
			}
		}
	}()
	if err != nil {
		return nil, err
	}
	var live []*streamServer
	for _, s := range servers {
		if s.skipped != "" {
			progress("streams: %s skipped: %s", s.name, s.skipped)
			continue
		}
		live = append(live, s)
		progress("streams: %s up (pid %d), tables filled", s.name, s.proc.pid())
	}
	c := &streamComparison{Servers: servers, DataFS: fsName(work),
		Visible: make([]visibleRun, len(servers)), Read: make([]readRun, len(servers))}
	index := func(s *streamServer) int { return slices.Index(servers, s) }

	for _, v := range streamCostVariants {
		runs := make([][2]ddbRun, len(servers))
		for i, r := range streamCost(ctx, o, live, v) {
			runs[index(live[i])] = r
			progress("streams: %s PutItem (%s), server CPU per call: %v without a stream, %v with one",
				live[i].name, v.name, r[0].perCall(r[0].ServerCPU), r[1].perCall(r[1].ServerCPU))
		}
		c.Cost = append(c.Cost, runs)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}

	for i, r := range measureVisible(ctx, live) {
		c.Visible[index(live[i])] = r
		progress("streams: %s write → visible p50 %v over %d writes, %d lost", live[i].name,
			median(r.Latencies).Round(time.Microsecond), len(r.Latencies), r.Lost)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	for i, r := range measureRead(ctx, live) {
		c.Read[index(live[i])] = r
		progress("streams: %s GetRecords %.0f records/s, server CPU %v per 1,000 records", live[i].name,
			r.perSecond(), r.perThousand(r.ServerCPU))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	c.Handler = measureHandler(ctx, servers[0], zip)
	if c.Handler.Failed != nil {
		progress("streams: Nimbus write → handler: %v", c.Handler.Failed)
	} else {
		progress("streams: Nimbus write → handler start p50 %v over %d writes", median(c.Handler.Latencies).Round(time.Microsecond), len(c.Handler.Latencies))
	}
	return c, nil
}

// runStreamsOnly measures DynamoDB Streams alone (-only streams), prints
// its section and writes it into o.Out in place of the old one.
func runStreamsOnly(ctx context.Context, o options, root, nimbusBin, work, commit string, logf *os.File) error {
	start := time.Now()
	busy := waitIdle(o.WaitIdle)
	c, err := measureDDBStreams(ctx, o, root, nimbusBin, work, logf)
	if err != nil {
		return fmt.Errorf("measuring DynamoDB Streams: %w", err)
	}
	progress("measured in %v", time.Since(start).Round(time.Second))
	m := describeMachine(commit)
	m.Busy = busy
	section := renderDDBStreams(m, o, c)
	fmt.Print(section)
	if err := writeSection(o.Out, streamsHeading, section); err != nil {
		return err
	}
	progress("wrote the DynamoDB Streams section of %s", o.Out)
	return nil
}

// startStreamServers starts Nimbus (durable, on a data directory) and
// moto_server and creates and fills their tables. A missing or failing
// moto_server is skipped, with the reason; Nimbus failing is an error. The
// caller stops the processes of the servers returned, even with an error.
func startStreamServers(ctx context.Context, nimbusBin, work string, logf *os.File) ([]*streamServer, error) {
	nim := &streamServer{ddbServer: &ddbServer{name: "Nimbus"}}
	servers := []*streamServer{nim}
	addr, err := freeAddr()
	if err != nil {
		return servers, err
	}
	argv := []string{nimbusBin, "up", "--addr", addr, "--data-dir", filepath.Join(work, "streams-nimbus"), "--log-level", "warn"}
	if nim.proc, _, err = startProcess(argv, "", nil, logf); err != nil {
		return servers, err
	}
	if _, err := waitHealthy("http://"+addr, 20*time.Second, nim.proc.exited); err != nil {
		return servers, err
	}
	nim.connect("http://" + addr)
	nim.lambda = newClient("http://" + addr)
	if err := nim.setUp(ctx, true); err != nil {
		return servers, fmt.Errorf("nimbus: %w", err)
	}

	moto := &streamServer{ddbServer: &ddbServer{name: "moto_server"}}
	servers = append(servers, moto)
	bin := findMoto()
	if bin == "" {
		moto.skipped = "moto_server not found (pip install 'moto[server]')"
		return servers, nil
	}
	moto.name += " " + motoVersion(bin)
	if addr, err = freeAddr(); err == nil {
		host, port, _ := net.SplitHostPort(addr)
		// It logs every request: its stderr is dropped.
		moto.proc, _, err = startProcess([]string{bin, "-H", host, "-p", port}, "", nil, nil)
	}
	if err == nil {
		_, err = waitListening(addr, 30*time.Second, moto.proc.exited)
	}
	if err == nil {
		moto.connect("http://" + addr)
		err = moto.setUp(ctx, false)
	}
	if err != nil {
		moto.skipped = "failed: " + err.Error()
	}
	return servers, nil
}

// connect points the server's clients at url.
func (s *streamServer) connect(url string) {
	s.client = newDDBClient(url)
	s.streams = newStreamsClient(url)
	s.arns = map[string]string{}
}

// newStreamsClient returns the DynamoDB Streams client of the benchmark:
// newDDBClient's settings (one attempt per call).
func newStreamsClient(endpoint string) *dynamodbstreams.Client {
	cfg := aws.Config{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBENCH", "SECRETBENCH", ""),
	}
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.RetryMaxAttempts = 1 })
}

// setUp creates the benchmark's tables on s and fills them: ddbItems
// items in plain and streamed, streamReadRecords in read. handler adds the
// table the function's mapping reads.
func (s *streamServer) setUp(ctx context.Context, handler bool) error {
	tables := []struct {
		name string
		view types.StreamViewType
	}{
		{streamPlainTable, ""}, {streamStreamedTable, types.StreamViewTypeNewAndOldImages},
		{streamVisibleTable, types.StreamViewTypeNewImage}, {streamReadTable, types.StreamViewTypeNewImage},
	}
	if handler {
		tables = append(tables, struct {
			name string
			view types.StreamViewType
		}{streamHandlerTable, types.StreamViewTypeNewImage})
	}
	for _, t := range tables {
		arn, err := createStreamTable(ctx, s.client, t.name, t.view)
		if err != nil {
			return err
		}
		s.arns[t.name] = arn
	}
	preload := make([]map[string]types.AttributeValue, ddbItems)
	for i := range preload {
		preload[i] = ddbItem(ddbItemKey(i))
	}
	for _, t := range []string{streamPlainTable, streamStreamedTable} {
		if err := writeItems(ctx, s.client, t, preload); err != nil {
			return err
		}
	}
	read := make([]map[string]types.AttributeValue, streamReadRecords)
	for i := range read {
		read[i] = ddbItem(streamReadKey(i), "0")
	}
	return writeItems(ctx, s.client, streamReadTable, read)
}

// streamReadKey is the partition key of the i-th item written to the read
// table.
func streamReadKey(i int) string { return fmt.Sprintf("read-%05d", i) }

// createStreamTable creates a table of the bench table's shape with a
// stream of view type view ("": none), waits until it is ACTIVE and
// returns its latest stream ARN ("" without a stream).
func createStreamTable(ctx context.Context, c *dynamodb.Client, name string, view types.StreamViewType) (string, error) {
	in := &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	}
	if view != "" {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: view}
	}
	if _, err := c.CreateTable(ctx, in); err != nil {
		return "", fmt.Errorf("creating table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 500*time.Millisecond
	})
	out, err := w.WaitForOutput(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second)
	if err != nil {
		return "", fmt.Errorf("waiting for table %s to be ACTIVE: %w", name, err)
	}
	arn := aws.ToString(out.Table.LatestStreamArn)
	if view != "" && arn == "" {
		return "", fmt.Errorf("table %s was created with a stream but DescribeTable names no LatestStreamArn", name)
	}
	return arn, nil
}

// writeItems writes items into table with BatchWriteItem, 25 a call, from
// four writers at once, retrying unprocessed items up to 10 times.
func writeItems(ctx context.Context, c *dynamodb.Client, table string, items []map[string]types.AttributeValue) error {
	var batches [][]map[string]types.AttributeValue
	for len(items) > 0 {
		n := min(25, len(items))
		batches, items = append(batches, items[:n]), items[n:]
	}
	work := make(chan []map[string]types.AttributeValue)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range 4 {
		wg.Go(func() {
			for batch := range work {
				if err := writeBatch(ctx, c, table, batch); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	return firstErr
}

// writeBatch writes one BatchWriteItem's worth of items.
func writeBatch(ctx context.Context, c *dynamodb.Client, table string, batch []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(batch))
	for i, item := range batch {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
	}
	pending := map[string][]types.WriteRequest{table: reqs}
	for try := 0; len(pending) > 0; try++ {
		if try == 10 {
			return fmt.Errorf("filling table %s: items left unprocessed after 10 tries", table)
		}
		out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return fmt.Errorf("filling table %s: %w", table, err)
		}
		pending = out.UnprocessedItems
	}
	return nil
}

// streamCost measures variant v of PutItem with o.Callers workers on each
// server's plain and streamed tables: a warm-up on each, then runs of up
// to o.Calls calls or o.Limit on each, cut into ddbRounds turns that go
// round the servers and tables. It returns the runs by server, then table.
func streamCost(ctx context.Context, o options, servers []*streamServer, v costVariant) [][2]ddbRun {
	ops := [2]ddbOp{costOp(streamPlainTable, v), costOp(streamStreamedTable, v)}
	for _, s := range servers {
		for _, op := range ops {
			ddbLoad(ctx, s.ddbServer, op, "warm", o.Callers, ddbWarmupCalls, ddbWarmupLimit)
		}
	}
	runs := make([][2]ddbRun, len(servers))
	for round := range ddbRounds {
		for i, s := range servers {
			for t, op := range ops {
				runs[i][t].add(ddbLoad(ctx, s.ddbServer, op, "load-"+strconv.Itoa(round), o.Callers, o.Calls/ddbRounds, o.Limit/ddbRounds))
			}
		}
	}
	return runs
}

// costOp is PutItem of a 1 KB item into table, keyed as v says, its
// counter set to the next of costWrites.
func costOp(table string, v costVariant) ddbOp {
	return ddbOp{name: "PutItem (" + v.name + ")", single: true, call: func(ctx context.Context, c *dynamodb.Client, run string, i int) error {
		item := ddbItem(v.key(run, i), "0")
		item["c"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(costWrites.Add(1), 10)}
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item})
		return err
	}}
}

// errNoOpenShard is a stream without an open shard.
var errNoOpenShard = errors.New("the stream has no open shard")
