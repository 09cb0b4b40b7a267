package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nimbus-dev/nimbus/internal/eventpattern"
	"github.com/nimbus-dev/nimbus/internal/events"
	"github.com/nimbus-dev/nimbus/internal/runtime"
	"github.com/nimbus-dev/nimbus/internal/trace"
)

// defaultPollers is how many pollers Lambda starts on an SQS queue.
const defaultPollers = 5

// maxPollWait is SQS's longest long poll.
const maxPollWait = 20 * time.Second

// mappingRunner is a mapping and its pollers.
type mappingRunner struct {
	rec    *mapping
	cancel context.CancelFunc // nil when no poller runs
	// life is shared by the runners of one mapping across its updates.
	life *mappingLife
	// ready is set once the pollers have taken their place: at once on a
	// queue; on a stream, once every shard has its starting position.
	ready atomic.Bool
	// starting is the State until then: Creating, Enabling or Updating.
	starting string
	// stream is the stream poller; nil for a queue.
	stream *streamPoller
}

// mappingLife is what the runners of one mapping share across updates.
type mappingLife struct {
	// live counts the mapping's goroutines (pollers, shard workers), so
	// that a mapping being disabled reports Disabling until the last of
	// them has ended.
	live atomic.Int32
	// deleted is set when the mapping is deleted: the last goroutine to end
	// deletes the checkpoints that workers stored after the mapping's.
	deleted atomic.Bool
}

// state is the mapping's State, as AWS reports it: Creating (Enabling,
// Updating) until its pollers have taken their place, then Enabled; once
// disabled, Disabling until its pollers have stopped, then Disabled.
func (r *mappingRunner) state() string {
	switch {
	case !r.rec.Enabled && r.life.live.Load() > 0:
		return "Disabling"
	case !r.rec.Enabled:
		return "Disabled"
	case !r.ready.Load():
		return r.starting
	}
	return "Enabled"
}

// startMappingLocked registers m and, when enabled, starts its pollers:
// MaximumConcurrency of them when set, else Lambda's five. starting is the
// State it reports until they have taken their place; prev is the runner
// it replaces, if any. s.esmMu must be held.
func (s *Service) startMappingLocked(m *mapping, starting string, prev *mappingRunner) {
	r := &mappingRunner{rec: m, life: new(mappingLife), starting: starting}
	if prev != nil {
		r.life = prev.life
	}
	s.mappings[m.UUID] = r
	if !m.Enabled || s.esmClosed || (m.stream() && s.cfg.Streams == nil) || (!m.stream() && s.cfg.Queues == nil) {
		return
	}
	filters := make([]*eventpattern.Pattern, 0, len(m.Filters))
	for _, f := range m.Filters {
		if p, err := eventpattern.Compile([]byte(f)); err == nil {
			filters = append(filters, p)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	if m.stream() {
		s.startStreamPoller(ctx, r, filters)
		return
	}
	p := &poller{s: s, r: r, m: *m, filters: filters, max: maxPollers(m, s.lookup(functionKey{m.Account, m.Region, m.Function}))}
	for range min(defaultPollers, p.max) {
		p.spawn(ctx, true)
	}
	r.ready.Store(true)
}

// goMapping runs fn in a goroutine of r's mapping: counted in s.pollers,
// which Close waits for, and in r's live count.
func (s *Service) goMapping(r *mappingRunner, fn func()) {
	s.pollers.Add(1)
	r.life.live.Add(1)
	go func() {
		defer s.pollers.Done()
		defer func() {
			if r.life.live.Add(-1) == 0 && r.life.deleted.Load() {
				s.deleteCheckpoints(r.rec.UUID)
			}
		}()
		fn()
	}()
}

// maxPollers is how far a mapping's pollers scale with its queue's depth:
// ScalingConfig.MaximumConcurrency, else the function's reserved
// concurrency, else maxDefaultPollers.
func maxPollers(m *mapping, f *function) int {
	switch {
	case m.MaxConcurrency > 0:
		return int(m.MaxConcurrency)
	case f != nil && f.Reserved != nil:
		return max(int(*f.Reserved), 1)
	}
	return maxDefaultPollers
}

// maxDefaultPollers bounds the scaling of a mapping without a maximum
// concurrency: Lambda goes to 1,250; a local machine has less to give.
const maxDefaultPollers = 100

// spawn starts a poller; a base one runs until the mapping stops, an extra
// one until the queue has nothing for it.
func (p *poller) spawn(ctx context.Context, base bool) {
	p.active.Add(1)
	p.s.goMapping(p.r, func() {
		defer p.active.Add(-1)
		p.run(ctx, base)
	})
}

// stopMappingLocked stops m's pollers; they end once their current batch
// is done. s.esmMu must be held.
func (s *Service) stopMappingLocked(uuid string) {
	if r := s.mappings[uuid]; r != nil && r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// closeMappings stops every poller and waits for them.
func (s *Service) closeMappings() {
	s.esmMu.Lock()
	s.esmClosed = true
	for uuid := range s.mappings {
		s.stopMappingLocked(uuid)
	}
	s.esmMu.Unlock()
	s.pollers.Wait()
}

// poller reads one mapping's queue and invokes its function, as Lambda's
// pollers do; one value serves all the mapping's poller goroutines.
type poller struct {
	s       *Service
	r       *mappingRunner
	m       mapping // a copy: an update restarts the pollers
	filters []*eventpattern.Pattern
	max     int          // pollers at most
	active  atomic.Int32 // pollers running
	// lastSpawn is when the last extra poller started (Unix ns).
	lastSpawn atomic.Int64
}

func (p *poller) run(ctx context.Context, base bool) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		records, err := p.gather(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.s.cfg.Logger.Warn("event source mapping: reading the queue", "uuid", p.m.UUID, "queue", p.m.EventSourceArn, "error", err)
			p.sleep(ctx, backoff)
			backoff = min(backoff*2, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if len(records) == 0 {
			if !base {
				return // the queue has drained: scale back down
			}
			continue
		}
		// A full batch means more is waiting: add a poller, as Lambda scales
		// with the queue's depth, at most five a second (Lambda adds up to
		// 300 a minute).
		if len(records) >= min(int(p.m.BatchSize), 10) && int(p.active.Load()) < p.max {
			now := p.s.cfg.Clock.Now().UnixNano()
			if last := p.lastSpawn.Load(); now-last >= int64(200*time.Millisecond) && p.lastSpawn.CompareAndSwap(last, now) {
				p.spawn(ctx, false)
			}
		}
		records = p.filter(records)
		if len(records) == 0 {
			continue
		}
		if !p.deliver(ctx, records) {
			p.sleep(ctx, 100*time.Millisecond)
		}
	}
}

// gather receives a batch: up to BatchSize messages, waiting up to the
// batching window once the first arrived (at once when there is none).
func (p *poller) gather(ctx context.Context) ([]events.SQSRecord, error) {
	q := p.s.cfg.Queues
	want := int(p.m.BatchSize)
	records, err := q.ReceiveForLambda(ctx, p.m.EventSourceArn, min(want, 10), maxPollWait)
	if err != nil || len(records) == 0 || p.m.WindowSeconds == 0 {
		return records, err
	}
	deadline := p.s.cfg.Clock.Now().Add(time.Duration(p.m.WindowSeconds) * time.Second)
	for len(records) < want {
		left := deadline.Sub(p.s.cfg.Clock.Now())
		if left <= 0 {
			break
		}
		wait := min(left, maxPollWait).Truncate(time.Second)
		more, err := q.ReceiveForLambda(ctx, p.m.EventSourceArn, min(want-len(records), 10), wait)
		if err != nil {
			return records, nil // deliver what we have
		}
		records = append(records, more...)
		if wait == 0 && len(more) == 0 {
			p.sleep(ctx, min(left, 50*time.Millisecond))
		}
	}
	return records, nil
}

// filter deletes the messages no filter matches, as Lambda does, and
// returns the others. Bodies are matched as JSON when they parse.
func (p *poller) filter(records []events.SQSRecord) []events.SQSRecord {
	if len(p.filters) == 0 {
		return records
	}
	var keep []events.SQSRecord
	var drop []string
	for _, r := range records {
		if p.matches(r) {
			keep = append(keep, r)
		} else {
			drop = append(drop, r.ReceiptHandle)
		}
	}
	if len(drop) > 0 {
		if err := p.s.cfg.Queues.DeleteForLambda(p.m.EventSourceArn, drop); err != nil {
			p.s.cfg.Logger.Warn("event source mapping: deleting filtered-out messages", "uuid", p.m.UUID, "error", err)
		}
	}
	return keep
}

func (p *poller) matches(r events.SQSRecord) bool {
	var doc map[string]any
	raw, _ := json.Marshal(r)
	_ = json.Unmarshal(raw, &doc)
	var body any
	if err := json.Unmarshal([]byte(r.Body), &body); err == nil {
		doc["body"] = body
	}
	for _, f := range p.filters {
		if f.MatchValue(doc) {
			return true
		}
	}
	return false
}

// deliver invokes the function with the batch and deletes what it
// processed. It reports false when the function could not run (throttled,
// gone), so that the poller waits a little.
func (p *poller) deliver(ctx context.Context, records []events.SQSRecord) bool {
	s := p.s
	f := s.lookup(functionKey{p.m.Account, p.m.Region, p.m.Function})
	if f == nil {
		return false // messages come back after their visibility timeout
	}
	payload, _ := json.Marshal(events.SQSEvent{Records: records})
	hdr := trace.Continue(trace.Parse(records[0].Attributes["AWSTraceHeader"]), s.cfg.Clock.Now())
	resp, err := s.invoke(ctx, f, &runtime.Request{
		ID: s.cfg.IDs.RequestID(), Payload: payload, InvokedARN: f.arn(), TraceID: hdr.String(),
	})
	var throttled *runtime.ThrottleError
	switch {
	case errors.As(err, &throttled):
		return false
	case err != nil:
		return false
	case resp.FunctionError != "":
		return true // the whole batch waits out its visibility timeout
	}
	done := succeeded(records, resp.Payload, p.m.ResponseTypes, strings.HasSuffix(p.m.EventSourceArn, ".fifo"))
	if len(done) > 0 {
		if err := s.cfg.Queues.DeleteForLambda(p.m.EventSourceArn, done); err != nil {
			s.cfg.Logger.Warn("event source mapping: deleting processed messages", "uuid", p.m.UUID, "error", err)
		}
	}
	return true
}

// succeeded returns the receipt handles of the records a successful
// invocation processed: all of them, or, with ReportBatchItemFailures,
// those not in the answer's batchItemFailures (on a FIFO queue, those
// before the first failure). An answer Lambda cannot read fails the batch.
func succeeded(records []events.SQSRecord, answer []byte, responseTypes []string, fifo bool) []string {
	all := make([]string, len(records))
	for i, r := range records {
		all[i] = r.ReceiptHandle
	}
	report := false
	for _, t := range responseTypes {
		report = report || t == "ReportBatchItemFailures"
	}
	if !report {
		return all
	}
	var resp struct {
		BatchItemFailures []map[string]any `json:"batchItemFailures"`
	}
	trimmed := strings.TrimSpace(string(answer))
	if trimmed == "" || trimmed == "null" {
		return all
	}
	if !json.Valid(answer) {
		return nil
	}
	if trimmed[0] != '{' {
		return all
	}
	if err := json.Unmarshal(answer, &resp); err != nil {
		return nil
	}
	failed := map[string]bool{}
	for _, item := range resp.BatchItemFailures {
		id, _ := item["itemIdentifier"].(string)
		known := false
		for _, r := range records {
			known = known || r.MessageID == id
		}
		if id == "" || !known {
			return nil
		}
		failed[id] = true
	}
	var ok []string
	for _, r := range records {
		if failed[r.MessageID] {
			if fifo {
				break
			}
			continue
		}
		ok = append(ok, r.ReceiptHandle)
	}
	return ok
}

// sleep waits d on the service's clock, or until ctx ends.
func (p *poller) sleep(ctx context.Context, d time.Duration) { waitOn(ctx, p.s.cfg.Clock, d, nil) }
