package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// maxPolls bounds the GetRecords calls made waiting for one write.
const maxPolls = 20000

// visibleRun is one server's write → record visible run.
type visibleRun struct {
	// Latencies holds, for every write whose record appeared, the time from
	// sending PutItem to the answer of the GetRecords call that held it.
	Latencies []time.Duration
	// Polls counts the GetRecords calls made; FirstPoll the writes whose
	// record was in the answer of the first one after PutItem's.
	Polls, FirstPoll int
	// Lost counts writes whose record did not appear within streamWait;
	// Unexpected the records read that were not the one waited for.
	Lost, Unexpected int
	// Reopened counts the times the shard read was closed and the reader
	// moved to the stream's open shard.
	Reopened int
	errorCounts
}

// errorCounts counts failed calls by kind and keeps the first error.
type errorCounts struct {
	Errors     map[string]int
	FirstError error
}

// fail counts err.
func (e *errorCounts) fail(err error) {
	if e.Errors == nil {
		e.Errors = map[string]int{}
	}
	if e.Errors[ddbErrorKind(err)]++; e.FirstError == nil {
		e.FirstError = err
	}
}

// summary lists the errors by kind, most frequent first, or "" for none.
func (e errorCounts) summary() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return throughputResult{Errors: e.Errors}.ErrorSummary()
}

// measureVisible times, on each server, streamVisibleWrites sequential
// writes from PutItem to the GetRecords answer that holds their record,
// reading the visible table's open shard from LATEST in a tight loop. The
// servers take turns in blocks of streamVisibleBlock writes.
func measureVisible(ctx context.Context, servers []*streamServer) []visibleRun {
	runs := make([]visibleRun, len(servers))
	iters := make([]*string, len(servers))
	for i, s := range servers {
		var err error
		if iters[i], err = openShardIterator(ctx, s.streams, s.arns[streamVisibleTable]); err != nil {
			runs[i].fail(err)
		}
	}
	deadline := time.Now().Add(streamVisibleLimit)
	for done := 0; done < streamVisibleWrites && time.Now().Before(deadline) && ctx.Err() == nil; done += streamVisibleBlock {
		for i, s := range servers {
			for j := done; j < min(done+streamVisibleBlock, streamVisibleWrites) && iters[i] != nil; j++ {
				iters[i] = visibleWrite(ctx, s, iters[i], fmt.Sprintf("visible-%04d", j), &runs[i])
			}
		}
	}
	return runs
}

// visibleWrite puts the item pk into the visible table and reads the
// stream at iter until its record appears or streamWait has passed, and
// returns the iterator to read on from (nil when there is none).
func visibleWrite(ctx context.Context, s *streamServer, iter *string, pk string, r *visibleRun) *string {
	t0 := time.Now()
	if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(streamVisibleTable), Item: ddbItem(pk, "0")}); err != nil {
		r.fail(err)
		return iter
	}
	deadline := t0.Add(streamWait)
	for polls := 1; polls <= maxPolls && ctx.Err() == nil; polls++ {
		out, err := s.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter})
		if err != nil {
			r.fail(err)
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
			continue
		}
		r.Polls++
		found := false
		for _, rec := range out.Records {
			if !found && recordKey(rec) == pk {
				found = true
			} else {
				r.Unexpected++
			}
		}
		if iter = out.NextShardIterator; iter == nil {
			// The shard closed (rolled over): read on from the open one.
			r.Reopened++
			if iter, err = openShardIterator(ctx, s.streams, s.arns[streamVisibleTable]); err != nil {
				r.fail(err)
				return nil
			}
		}
		if found {
			r.Latencies = append(r.Latencies, time.Since(t0))
			if polls == 1 {
				r.FirstPoll++
			}
			return iter
		}
		if time.Now().After(deadline) {
			break
		}
	}
	r.Lost++
	return iter
}

// recordKey is the partition key (pk) of a stream record.
func recordKey(rec streamtypes.Record) string {
	if rec.Dynamodb == nil {
		return ""
	}
	if pk, ok := rec.Dynamodb.Keys["pk"].(*streamtypes.AttributeValueMemberS); ok {
		return pk.Value
	}
	return ""
}

// describeShards lists all shards of a stream, as DescribeStream pages
// them (at most 100 pages).
func describeShards(ctx context.Context, c *dynamodbstreams.Client, arn string) ([]streamtypes.Shard, error) {
	var shards []streamtypes.Shard
	var start *string
	for range 100 {
		out, err := c.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn), ExclusiveStartShardId: start})
		if err != nil {
			return nil, fmt.Errorf("describing stream %s: %w", arn, err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		if start = out.StreamDescription.LastEvaluatedShardId; start == nil {
			return shards, nil
		}
	}
	return nil, fmt.Errorf("describing stream %s: more than 100 pages of shards", arn)
}

// openShardIterator returns a LATEST iterator on the stream's open shard
// (the last one listed without an ending sequence number).
func openShardIterator(ctx context.Context, c *dynamodbstreams.Client, arn string) (*string, error) {
	shards, err := describeShards(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	for i := len(shards) - 1; i >= 0; i-- {
		sh := shards[i]
		if sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil {
			continue
		}
		out, err := c.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn),
			ShardId: sh.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeLatest})
		if err != nil {
			return nil, fmt.Errorf("getting a LATEST iterator on %s: %w", aws.ToString(sh.ShardId), err)
		}
		return out.ShardIterator, nil
	}
	return nil, fmt.Errorf("stream %s: %w", arn, errNoOpenShard)
}

// readRun is one server's GetRecords throughput runs: passes over the
// read table's stream from TRIM_HORIZON to its end.
type readRun struct {
	Passes int
	// Records and Calls count the records read and the GetRecords calls
	// made over all passes; Elapsed is their time.
	Records, Calls int
	Elapsed        time.Duration
	// ServerCPU, ClientCPU and MachineCPU are the CPU the server, the bench
	// and the machine used over the passes.
	ServerCPU, ClientCPU, MachineCPU time.Duration
	// Problems describes what passes read that differs from what was
	// written: records missing, repeated, out of order, or not written.
	Problems []string
	errorCounts
}

// perSecond is the rate of records read.
func (r readRun) perSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Records) / r.Elapsed.Seconds()
}

// perThousand divides d, a CPU time over the passes, by the thousands of
// records read.
func (r readRun) perThousand(d time.Duration) time.Duration {
	if r.Records == 0 {
		return 0
	}
	return d * 1000 / time.Duration(r.Records)
}

// measureRead reads each server's read table's stream streamReadPasses
// times, the servers taking turns pass by pass.
func measureRead(ctx context.Context, servers []*streamServer) []readRun {
	runs := make([]readRun, len(servers))
	for range streamReadPasses {
		for i, s := range servers {
			if ctx.Err() == nil {
				readPass(ctx, s, &runs[i])
			}
		}
	}
	return runs
}

// readPass reads the read table's stream once, from TRIM_HORIZON to its
// end, and checks that it holds each written record once, in order.
func readPass(ctx context.Context, s *streamServer, r *readRun) {
	seen := map[string]int{}
	start, _ := sampleCPU(s.proc.pid())
	t0 := time.Now()
	read, err := readStream(ctx, s.streams, s.arns[streamReadTable], func(rec streamtypes.Record) { seen[recordKey(rec)]++ })
	elapsed := time.Since(t0)
	end, cpuErr := sampleCPU(s.proc.pid())
	if err != nil {
		r.fail(err)
		return
	}
	r.Passes++
	r.Records += read.records
	r.Calls += read.calls
	r.Elapsed += elapsed
	if cpuErr == nil {
		r.ServerCPU += end.server - start.server
		r.ClientCPU += end.client - start.client
		r.MachineCPU += end.machine - start.machine
	}
	missing, repeated := 0, 0
	for i := range streamReadRecords {
		switch n := seen[streamReadKey(i)]; {
		case n == 0:
			missing++
		case n > 1:
			repeated += n - 1
		}
		delete(seen, streamReadKey(i))
	}
	if missing+repeated+read.outOfOrder+read.seqRepeats+len(seen) > 0 {
		r.Problems = append(r.Problems, fmt.Sprintf("pass %d read %s records: %d of the %s written missing, %d repeated, "+
			"%d keys not written; %d records with the sequence number of an earlier one, %d with a lower one than the record before",
			r.Passes, fmtInt(read.records), missing, fmtInt(streamReadRecords), repeated, len(seen), read.seqRepeats, read.outOfOrder))
	}
}

// streamRead is what one read of a stream found.
type streamRead struct {
	records, calls int
	// seqRepeats counts records whose sequence number an earlier record
	// of the stream had; outOfOrder the others whose sequence number is
	// below the previous record's in their shard.
	seqRepeats, outOfOrder int
}

// readStream reads every shard of a stream in the order DescribeStream
// lists them (parents first), each from TRIM_HORIZON with GetRecords
// Limit streamReadLimit until it ends or a call returns no records (the
// open shard's end), passing each record to visit.
func readStream(ctx context.Context, c *dynamodbstreams.Client, arn string, visit func(streamtypes.Record)) (streamRead, error) {
	var read streamRead
	shards, err := describeShards(ctx, c, arn)
	if err != nil {
		return read, err
	}
	seqs := map[string]bool{}
	deadline := time.Now().Add(streamReadTime)
	maxCalls := streamReadRecords + 100 // at least one record a call
	for _, sh := range shards {
		out, err := c.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn),
			ShardId: sh.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			return read, fmt.Errorf("getting a TRIM_HORIZON iterator on %s: %w", aws.ToString(sh.ShardId), err)
		}
		iter, last := out.ShardIterator, ""
		for iter != nil {
			if read.calls >= maxCalls || time.Now().After(deadline) {
				return read, fmt.Errorf("reading stream %s: not at its end after %d GetRecords calls and %v", arn, read.calls, streamReadTime)
			}
			page, err := c.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(streamReadLimit)})
			if err != nil {
				return read, fmt.Errorf("reading stream %s: %w", arn, err)
			}
			read.calls++
			for _, rec := range page.Records {
				seq := ""
				if rec.Dynamodb != nil {
					seq = aws.ToString(rec.Dynamodb.SequenceNumber)
				}
				switch {
				case seqs[seq]:
					read.seqRepeats++
				case last != "" && !seqBefore(last, seq):
					read.outOfOrder++
				}
				seqs[seq], last = true, seq
				visit(rec)
			}
			read.records += len(page.Records)
			if len(page.Records) == 0 {
				break
			}
			iter = page.NextShardIterator
		}
	}
	return read, nil
}

// seqBefore reports whether sequence number a comes before b: both are
// decimal numbers of up to 40 digits, without leading zeros or all of one
// width.
func seqBefore(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
