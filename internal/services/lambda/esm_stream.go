package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/eventpattern"
	"github.com/nimbus-dev/nimbus/internal/runtime"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// StreamSource is how event source mappings read DynamoDB streams: the
// DynamoDB service, inside Nimbus. Positions are sequence numbers.
type StreamSource interface {
	// StreamShards lists a stream's shards, parents before children, and
	// names its table's partition key; ok is false when there is no such
	// stream.
	StreamShards(streamARN string) (shards []StreamShard, partitionKey string, ok bool)
	// ShardLatest is the position just after a shard's newest record.
	ShardLatest(streamARN, shardID string) (uint64, error)
	// ReadShard reads up to limit records (each a DynamoDB Streams Record
	// as JSON) from position from; next is the position after them, ended
	// says the shard is closed and read to its end.
	ReadShard(streamARN, shardID string, from uint64, limit int) (records []json.RawMessage, next uint64, ended bool, err error)
	// Changed returns a channel closed when the stream next has new records
	// (nil when there is no such stream); take it before reading.
	Changed(streamARN string) <-chan struct{}
}

// StreamShard is a shard of a stream.
type StreamShard struct {
	ID, Parent string
	Start      uint64
	Closed     bool
}

// Stream mappings' pacing.
const (
	// streamPollInterval: Lambda polls a DynamoDB stream's shards four
	// times a second.
	streamPollInterval = 250 * time.Millisecond
	// streamRetryDelay is the least time between the starts of two
	// attempts of a failing batch.
	streamRetryDelay = 200 * time.Millisecond
	// maxStreamPayload bounds a batch's event, as Lambda's 6 MB invoke
	// payload.
	maxStreamPayload = 6 << 20
)

// isStreamSource reports whether an event source ARN names a DynamoDB
// stream.
func isStreamSource(source string) bool {
	return strings.Contains(source, ":dynamodb:") && strings.Contains(source, "/stream/")
}

// checkpoint is a mapping's progress in one shard, stored under
// checkpointKey.
type checkpoint struct {
	Pos  uint64 `json:"pos"`
	Done bool   `json:"done,omitempty"`
}

func checkpointKey(uuid, shard string) []byte { return storage.Key("lambda", "esmck", uuid, shard) }

// streamPoller follows one stream mapping: it reads every shard in order,
// parents before children, a worker per shard.
//
// It keeps state only for the shards being read. A shard read to its end
// is known to be done by its stored checkpoint until one of its children
// has started, and from then on by that: a child starts only once its
// parent is done. The child's checkpoint is stored before the parent's is
// deleted, so a restart in between reads nothing twice.
type streamPoller struct {
	s       *Service
	r       *mappingRunner
	m       mapping
	filters []*eventpattern.Pattern
	// ended wakes the scheduler when a worker has read its shard to the
	// end, so that the children start at once.
	ended chan struct{}

	mu           sync.Mutex
	running      map[string]bool // shards with a worker
	partitionKey string          // the table's, to spread records over lanes
}

// startStreamPoller starts the poller of a stream mapping. s.esmMu is held.
func (s *Service) startStreamPoller(ctx context.Context, r *mappingRunner, filters []*eventpattern.Pattern) {
	p := &streamPoller{s: s, r: r, m: *r.rec, filters: filters, ended: make(chan struct{}, 1), running: map[string]bool{}}
	r.stream = p
	s.goMapping(r, func() { p.run(ctx) })
}

func (p *streamPoller) run(ctx context.Context) {
	positioned := false
	for ctx.Err() == nil {
		shards, partitionKey, ok := p.s.cfg.Streams.StreamShards(p.m.EventSourceArn)
		if ok {
			p.mu.Lock()
			p.partitionKey = partitionKey
			p.mu.Unlock()
			if p.schedule(ctx, shards, !positioned) && !positioned {
				positioned = true
				p.r.ready.Store(true)
			}
		}
		waitOn(ctx, p.s.cfg.Clock, streamPollInterval, p.ended)
	}
}

// shardState is what the scheduler knows of a shard.
type shardState int

const (
	shardWaiting shardState = iota // not started: its parent is not done
	shardRunning                   // a worker reads it
	shardDone                      // read to its end
)

// schedule starts a worker for every shard whose parent is done (or gone),
// and reports whether it could. On the first pass (until one succeeds) a
// mapping without checkpoints takes its starting position as
// StartingPosition says: at the beginning of what the stream holds
// (TRIM_HORIZON), or after its newest record (LATEST: older shards are
// skipped).
func (p *streamPoller) schedule(ctx context.Context, shards []StreamShard, first bool) bool {
	known := map[string]bool{}
	for _, sh := range shards {
		known[sh.ID] = true
	}
	fresh := false
	if first && p.m.StartingPosition == "LATEST" {
		var err error
		if fresh, err = p.fresh(); err != nil {
			p.s.cfg.Logger.Warn("event source mapping: reading checkpoints", "uuid", p.m.UUID, "err", err)
			return false
		}
	}
	if fresh {
		if err := p.positionAtLatest(shards); err != nil {
			p.s.cfg.Logger.Warn("event source mapping: positioning at LATEST", "uuid", p.m.UUID, "err", err)
			return false
		}
	}
	// Children come after their parents: walking back, a shard that has
	// started (or is known done) marks its parent done.
	state := make(map[string]shardState, len(shards))
	cks := map[string]checkpoint{}
	for i := len(shards) - 1; i >= 0; i-- {
		sh := shards[i]
		p.mu.Lock()
		running := p.running[sh.ID]
		p.mu.Unlock()
		switch {
		case running:
			state[sh.ID] = shardRunning
		case state[sh.ID] == shardDone:
		default:
			ck, found, err := p.load(sh.ID)
			if err != nil {
				p.s.cfg.Logger.Warn("event source mapping: reading a checkpoint", "uuid", p.m.UUID, "err", err)
				return false
			}
			if !found {
				continue // not started
			}
			cks[sh.ID] = ck
			if ck.Done {
				state[sh.ID] = shardDone
			}
		}
		if sh.Parent != "" {
			state[sh.Parent] = shardDone
		}
	}
	for _, sh := range shards {
		if state[sh.ID] != shardWaiting {
			continue
		}
		if sh.Parent != "" && known[sh.Parent] && state[sh.Parent] != shardDone {
			continue
		}
		ck, found := cks[sh.ID]
		if !found {
			ck = checkpoint{Pos: sh.Start}
			if err := p.save(sh.ID, ck); err != nil {
				p.s.cfg.Logger.Warn("event source mapping: storing a checkpoint", "uuid", p.m.UUID, "err", err)
				continue
			}
		}
		if sh.Parent != "" {
			// The parent is done, and this child's checkpoint says so from now on.
			if err := p.s.cfg.DB.Delete(checkpointKey(p.m.UUID, sh.Parent)); err != nil {
				p.s.cfg.Logger.Warn("event source mapping: deleting a checkpoint", "uuid", p.m.UUID, "err", err)
			}
		}
		p.mu.Lock()
		p.running[sh.ID] = true
		p.mu.Unlock()
		p.s.goMapping(p.r, func() { p.work(ctx, sh.ID, ck.Pos) })
	}
	return true
}

// fresh reports whether the mapping has no checkpoint yet: it has never
// taken its starting position.
func (p *streamPoller) fresh() (bool, error) {
	fresh := true
	err := p.s.cfg.DB.Scan(storage.Key("lambda", "esmck", p.m.UUID), func(_, _ []byte) error {
		fresh = false
		return storage.ErrStop
	})
	return fresh, err
}

// positionAtLatest stores the checkpoints of a new LATEST mapping: every
// shard read up to its newest record, closed ones done.
func (p *streamPoller) positionAtLatest(shards []StreamShard) error {
	cks := make([]checkpoint, len(shards))
	for i, sh := range shards {
		cks[i] = checkpoint{Done: sh.Closed}
		if !sh.Closed {
			pos, err := p.s.cfg.Streams.ShardLatest(p.m.EventSourceArn, sh.ID)
			if err != nil {
				return err
			}
			cks[i].Pos = pos
		}
	}
	b := p.s.cfg.DB.NewBatch()
	defer b.Close()
	for i, sh := range shards {
		b.Set(checkpointKey(p.m.UUID, sh.ID), mustJSON(cks[i]))
	}
	return b.Commit()
}

func (p *streamPoller) load(shard string) (checkpoint, bool, error) {
	raw, err := p.s.cfg.DB.Get(checkpointKey(p.m.UUID, shard))
	if errors.Is(err, storage.ErrNotFound) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, err
	}
	var ck checkpoint
	return ck, true, json.Unmarshal(raw, &ck)
}

func (p *streamPoller) save(shard string, ck checkpoint) error {
	return p.s.cfg.DB.Set(checkpointKey(p.m.UUID, shard), mustJSON(ck))
}

// streamRecord is what a worker needs of a record besides its JSON.
type streamRecord struct {
	raw     json.RawMessage // with eventSourceARN added: the event's record
	seq     string
	pos     uint64
	created time.Time
	lane    uint32 // a hash of the partition key: same key, same lane
}

// work reads one shard from pos on, in order, until it ends or the mapping
// stops. A batch that fails blocks the shard until it succeeds, its
// retries run out or its records grow too old, as on Lambda.
func (p *streamPoller) work(ctx context.Context, shard string, pos uint64) {
	defer func() {
		p.mu.Lock()
		delete(p.running, shard)
		p.mu.Unlock()
	}()
	var win *window // the open tumbling window
	for ctx.Err() == nil {
		changed := p.s.cfg.Streams.Changed(p.m.EventSourceArn)
		batch, next, ended, err := p.gather(ctx, shard, pos)
		if err != nil {
			p.s.cfg.Logger.Warn("event source mapping: reading a stream", "uuid", p.m.UUID, "shard", shard, "err", err)
			waitOn(ctx, p.s.cfg.Clock, time.Second, nil)
			continue
		}
		if p.m.TumblingWindow > 0 {
			var ok bool
			if win, ok = p.processWindows(ctx, shard, batch, win); !ok {
				return // stopping
			}
		} else if len(batch) > 0 && !p.processLanes(ctx, shard, batch) {
			return // stopping
		}
		if next != pos || ended {
			pos = next
			if err := p.save(shard, checkpoint{Pos: pos, Done: ended}); err != nil {
				p.s.cfg.Logger.Warn("event source mapping: storing a checkpoint", "uuid", p.m.UUID, "err", err)
			}
		}
		if ended {
			if win != nil {
				p.closeWindow(ctx, shard, win)
			}
			// Forget the shard (its checkpoint says it is done) and have the
			// scheduler start its children.
			p.mu.Lock()
			delete(p.running, shard)
			p.mu.Unlock()
			select {
			case p.ended <- struct{}{}:
			default:
			}
			return
		}
		if len(batch) == 0 {
			// Lambda polls four times a second; Nimbus also wakes at once
			// when a record commits.
			waitOn(ctx, p.s.cfg.Clock, streamPollInterval, changed)
		}
	}
}

// gather reads a batch: up to BatchSize records, waiting up to the
// batching window for more once the first arrived. Records no filter
// matches are left out (they count as processed).
func (p *streamPoller) gather(ctx context.Context, shard string, pos uint64) (batch []streamRecord, next uint64, ended bool, err error) {
	want := int(p.m.BatchSize) * int(max(p.m.Parallelization, 1))
	deadline := p.s.cfg.Clock.Now().Add(time.Duration(p.m.WindowSeconds) * time.Second)
	next = pos
	size := 0
	for {
		raws, n, end, err := p.s.cfg.Streams.ReadShard(p.m.EventSourceArn, shard, next, want-len(batch))
		if err != nil {
			return nil, pos, false, err
		}
		for _, raw := range raws {
			r, err := p.decorate(raw)
			if err != nil {
				return nil, pos, false, err
			}
			if size+len(r.raw) > maxStreamPayload && len(batch) > 0 {
				return batch, r.pos, false, nil // the rest in the next batch
			}
			if p.matches(r.raw) {
				batch = append(batch, r)
				size += len(r.raw)
			}
		}
		next, ended = n, end
		if ended || len(batch) >= want || len(batch) == 0 || !p.s.cfg.Clock.Now().Before(deadline) || ctx.Err() != nil {
			return batch, next, ended, nil
		}
		waitOn(ctx, p.s.cfg.Clock, min(streamPollInterval, deadline.Sub(p.s.cfg.Clock.Now())), nil)
	}
}

// decorate adds eventSourceARN to a stored record, as Lambda's event
// carries it, and reads its position and time.
func (p *streamPoller) decorate(raw json.RawMessage) (streamRecord, error) {
	var head struct {
		Dynamodb struct {
			ApproximateCreationDateTime int64
			SequenceNumber              string
			Keys                        map[string]json.RawMessage
		} `json:"dynamodb"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return streamRecord{}, fmt.Errorf("decoding a stream record: %w", err)
	}
	seq := head.Dynamodb.SequenceNumber
	if len(seq) < 2 {
		return streamRecord{}, fmt.Errorf("a stream record without a sequence number")
	}
	pos, err := strconv.ParseUint(seq[1:], 10, 64) // Nimbus's are "1" and 20 digits
	if err != nil {
		return streamRecord{}, fmt.Errorf("decoding a sequence number: %w", err)
	}
	out := bytes.TrimSuffix(bytes.TrimSpace(raw), []byte("}"))
	out = append(append(append(bytes.Clone(out), `,"eventSourceARN":`...), strconv.Quote(p.m.EventSourceArn)...), '}')
	// The Streams API spells userIdentity's members PrincipalId and Type;
	// Lambda's events principalId and type.
	if i := bytes.Index(out, []byte(`"userIdentity":{`)); i >= 0 {
		tail := bytes.Replace(out[i:], []byte(`"PrincipalId":`), []byte(`"principalId":`), 1)
		tail = bytes.Replace(tail, []byte(`"Type":`), []byte(`"type":`), 1)
		out = append(out[:i:i], tail...)
	}
	p.mu.Lock()
	key := head.Dynamodb.Keys[p.partitionKey]
	p.mu.Unlock()
	h := fnv.New32a()
	h.Write(key)
	return streamRecord{raw: out, seq: head.Dynamodb.SequenceNumber, pos: pos, created: time.Unix(head.Dynamodb.ApproximateCreationDateTime, 0),
		lane: h.Sum32()}, nil
}

func (p *streamPoller) matches(raw json.RawMessage) bool {
	if len(p.filters) == 0 {
		return true
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return false
	}
	for _, f := range p.filters {
		if f.MatchValue(doc) {
			return true
		}
	}
	return false
}

// processLanes delivers what gather read: with a ParallelizationFactor
// above 1, the records are spread over that many lanes by partition key,
// each lane delivering its batches in order while the lanes run at once,
// so that the records of one key stay in order, as on Lambda. It reports
// false when the mapping stops.
func (p *streamPoller) processLanes(ctx context.Context, shard string, records []streamRecord) bool {
	size := int(p.m.BatchSize)
	lanes := int(max(p.m.Parallelization, 1))
	if lanes == 1 {
		for len(records) > 0 {
			n := min(size, len(records))
			if !p.process(ctx, shard, records[:n], 0, nil) {
				return false
			}
			records = records[n:]
		}
		return true
	}
	byLane := make([][]streamRecord, lanes)
	for _, r := range records {
		byLane[r.lane%uint32(lanes)] = append(byLane[r.lane%uint32(lanes)], r)
	}
	var wg sync.WaitGroup
	var stopped atomic.Bool
	for _, lane := range byLane {
		if len(lane) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for len(lane) > 0 && !stopped.Load() {
				n := min(size, len(lane))
				if !p.process(ctx, shard, lane[:n], 0, nil) {
					stopped.Store(true)
				}
				lane = lane[n:]
			}
		}()
	}
	wg.Wait()
	return !stopped.Load()
}

// process delivers a batch until it succeeds, or its retries run out or
// its records grow older than MaximumRecordAgeInSeconds, when the batch's
// description goes to the OnFailure destination and the shard moves on.
// With ReportBatchItemFailures the batch is retried from the first failed
// record; with BisectBatchOnFunctionError a failing batch is split in two
// and each half retried. It reports false when the mapping stops.
func (p *streamPoller) process(ctx context.Context, shard string, batch []streamRecord, attempts int, win *window) bool {
	for ctx.Err() == nil {
		if age := p.m.MaxRecordAge; age > 0 {
			cut := p.s.cfg.Clock.Now().Add(-time.Duration(age) * time.Second)
			old := 0
			for old < len(batch) && batch[old].created.Before(cut) {
				old++
			}
			if old > 0 {
				p.fail(ctx, shard, batch[:old], "RecordAgeExceeded", attempts, nil)
				if batch = batch[old:]; len(batch) == 0 {
					return true
				}
			}
		}
		// Retries are timed from the attempt's start: a clock read after it
		// could come after a test has stepped a fake clock past the retry.
		started := p.s.cfg.Clock.Now()
		resp, err := p.invoke(ctx, shard, batch, win, false)
		if err != nil { // throttled, or the function is gone: not an attempt
			waitUntil(ctx, p.s.cfg.Clock, started.Add(streamRetryDelay))
			continue
		}
		failedAt := 0
		if resp.FunctionError == "" {
			var ok bool
			if failedAt, ok = firstFailure(batch, resp.Payload, p.m.ResponseTypes); ok && failedAt == len(batch) {
				p.s.setLastResult(p.m.UUID, "OK")
				win.keep(resp.Payload)
				return true
			} else if !ok {
				failedAt = 0 // an answer Lambda cannot read fails the batch
			}
		}
		p.s.setLastResult(p.m.UUID, "PROBLEM: Function call failed")
		batch = batch[failedAt:] // the records before the first failure are done
		// Lambda bisects a failing batch regardless of MaximumRetryAttempts;
		// the retries apply to what cannot be split further.
		if p.m.Bisect && len(batch) > 1 {
			half := len(batch) / 2
			return p.process(ctx, shard, batch[:half], 0, win) && p.process(ctx, shard, batch[half:], 0, win)
		}
		attempts++
		if p.m.MaxRetries >= 0 && attempts > int(p.m.MaxRetries) {
			p.fail(ctx, shard, batch, "RetryAttemptsExhausted", attempts, resp)
			return true
		}
		waitUntil(ctx, p.s.cfg.Clock, started.Add(streamRetryDelay))
	}
	return false
}

// invoke runs the function on a batch; an error means it did not run.
func (p *streamPoller) invoke(ctx context.Context, shard string, batch []streamRecord, win *window, final bool) (*runtime.Response, error) {
	s := p.s
	f := s.lookup(functionKey{p.m.Account, p.m.Region, p.m.Function})
	if f == nil {
		return nil, errors.New("function not found")
	}
	payload := append(make([]byte, 0, 64), `{"Records":[`...)
	for i, r := range batch {
		if i > 0 {
			payload = append(payload, ',')
		}
		payload = append(payload, r.raw...)
	}
	payload = append(payload, ']')
	if win != nil {
		end := win.start.Add(time.Duration(p.m.TumblingWindow) * time.Second)
		payload = fmt.Appendf(payload, `,"window":{"start":%q,"end":%q},"state":%s,"shardId":%q,"eventSourceARN":%q,"isFinalInvokeForWindow":%t,"isWindowTerminatedEarly":false`,
			win.start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), win.state, shard, p.m.EventSourceArn, final)
	}
	payload = append(payload, '}')
	return s.invoke(ctx, f, &runtime.Request{
		ID: s.cfg.IDs.RequestID(), Payload: payload, InvokedARN: f.arn(),
	})
}

// window is a shard's open tumbling window: its start and the state the
// function last returned for it.
type window struct {
	start time.Time
	state json.RawMessage
}

// keep takes the state from a successful answer ({"state": {...}}).
func (w *window) keep(answer []byte) {
	if w == nil {
		return
	}
	var resp struct {
		State json.RawMessage `json:"state"`
	}
	if json.Unmarshal(answer, &resp) == nil && len(resp.State) > 0 && resp.State[0] == '{' {
		w.state = resp.State
	}
}

// processWindows delivers what gather read in tumbling windows of
// TumblingWindowInSeconds, by the records' arrival: each invocation carries
// the window and the state the function returned for it last; once a
// window is over (a later record arrived, or its end passed) a final
// invocation with no records hands the function the window's state. It
// returns the shard's open window and false when the mapping stops.
func (p *streamPoller) processWindows(ctx context.Context, shard string, records []streamRecord, win *window) (*window, bool) {
	size := time.Duration(p.m.TumblingWindow) * time.Second
	for len(records) > 0 {
		start := records[0].created.Truncate(size)
		if win != nil && !win.start.Equal(start) {
			p.closeWindow(ctx, shard, win)
			win = nil
		}
		if win == nil {
			win = &window{start: start, state: json.RawMessage("{}")}
		}
		n := 0
		for n < len(records) && n < int(p.m.BatchSize) && records[n].created.Truncate(size).Equal(start) {
			n++
		}
		if !p.process(ctx, shard, records[:n], 0, win) {
			return win, false
		}
		records = records[n:]
	}
	if win != nil && !p.s.cfg.Clock.Now().Before(win.start.Add(size)) {
		p.closeWindow(ctx, shard, win)
		win = nil
	}
	return win, true
}

// closeWindow makes a window's final invocation.
func (p *streamPoller) closeWindow(ctx context.Context, shard string, win *window) {
	resp, err := p.invoke(ctx, shard, nil, win, true)
	if err != nil || resp.FunctionError != "" {
		p.s.cfg.Logger.Warn("event source mapping: the final invocation of a tumbling window failed", "uuid", p.m.UUID, "shard", shard)
	}
}

// firstFailure returns the index of the first record the answer reports
// failed (len(batch) when none); ok is false when the answer cannot be
// read as ReportBatchItemFailures, which fails the whole batch.
func firstFailure(batch []streamRecord, answer []byte, responseTypes []string) (int, bool) {
	report := false
	for _, t := range responseTypes {
		report = report || t == "ReportBatchItemFailures"
	}
	trimmed := bytes.TrimSpace(answer)
	if !report || len(trimmed) == 0 || string(trimmed) == "null" {
		return len(batch), true
	}
	if !json.Valid(trimmed) {
		return 0, false
	}
	if trimmed[0] != '{' {
		return len(batch), true
	}
	var resp struct {
		BatchItemFailures []map[string]any `json:"batchItemFailures"`
	}
	if json.Unmarshal(trimmed, &resp) != nil {
		return 0, false
	}
	first := len(batch)
	for _, item := range resp.BatchItemFailures {
		id, _ := item["itemIdentifier"].(string)
		i := -1
		for j, r := range batch {
			if r.seq == id {
				i = j
			}
		}
		if i < 0 {
			return 0, false // empty, null or unknown identifiers fail the batch
		}
		first = min(first, i)
	}
	return first, true
}

// fail sends the description of a batch Lambda gives up on to the
// mapping's OnFailure destination (an SQS queue), as Lambda's
// DDBStreamBatchInfo record, and logs it when there is none.
func (p *streamPoller) fail(ctx context.Context, shard string, batch []streamRecord, condition string, attempts int, resp *runtime.Response) {
	s := p.s
	if p.m.OnFailure == "" || s.cfg.Queues == nil {
		s.cfg.Logger.Warn("event source mapping: skipping a failed batch (no OnFailure destination)", "uuid", p.m.UUID,
			"shard", shard, "condition", condition, "records", len(batch))
		return
	}
	type batchInfo struct {
		ShardID      string `json:"shardId"`
		StartSeq     string `json:"startSequenceNumber"`
		EndSeq       string `json:"endSequenceNumber"`
		FirstArrival string `json:"approximateArrivalOfFirstRecord"`
		LastArrival  string `json:"approximateArrivalOfLastRecord"`
		BatchSize    int    `json:"batchSize"`
		StreamARN    string `json:"streamArn"`
	}
	record := map[string]any{
		"requestContext": map[string]any{"requestId": s.cfg.IDs.RequestID(),
			"functionArn": p.s.functionARN(p.m), "condition": condition, "approximateInvokeCount": attempts},
		"version":   "1.0",
		"timestamp": s.cfg.Clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"DDBStreamBatchInfo": batchInfo{ShardID: shard, StartSeq: batch[0].seq, EndSeq: batch[len(batch)-1].seq,
			FirstArrival: batch[0].created.UTC().Format(time.RFC3339), LastArrival: batch[len(batch)-1].created.UTC().Format(time.RFC3339),
			BatchSize: len(batch), StreamARN: p.m.EventSourceArn},
	}
	if resp != nil {
		rc := map[string]any{"statusCode": 200, "executedVersion": "$LATEST"}
		if resp.FunctionError != "" {
			rc["functionError"] = resp.FunctionError
		}
		record["responseContext"] = rc
	}
	if err := s.cfg.Queues.SendForLambda(ctx, p.m.OnFailure, string(mustJSON(record)), nil); err != nil {
		s.cfg.Logger.Warn("event source mapping: sending to the OnFailure destination", "uuid", p.m.UUID, "err", err)
	}
}

// waitUntil waits until clk reads at, or ctx ends.
func waitUntil(ctx context.Context, clk clock.Clock, at time.Time) {
	if d := at.Sub(clk.Now()); d > 0 {
		waitOn(ctx, clk, d, nil)
	}
}

// waitOn waits d on clk, or until ch is closed (never, when ch is nil) or
// ctx ends.
func waitOn(ctx context.Context, clk clock.Clock, d time.Duration, ch <-chan struct{}) {
	done := make(chan struct{})
	t := clk.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-done:
	case <-ch:
	case <-ctx.Done():
	}
}
