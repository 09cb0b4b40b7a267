package logs

import (
	"sync"

	"github.com/nimbus-dev/nimbus/internal/logevent"
)

// sinkQueueLength bounds function log batches waiting to be stored; a
// full queue makes AppendFunctionLogs wait.
const sinkQueueLength = 1024

// functionSink stores function log events in the background, so that an
// invocation does not wait for its log lines to be written, and so that
// batches of one stream that arrive together are written together. Events
// reach the store (not synced: the store syncs within a second) in the
// order they were appended.
type functionSink struct {
	queue  chan sinkBatch
	mu     sync.RWMutex // guards closed; senders hold it shared
	closed bool
	done   chan struct{}
}

type sinkBatch struct {
	account, region, group, stream string
	events                         []logevent.Event
	// flushed, when set, marks a flush: it is closed once everything
	// queued before it is stored.
	flushed chan struct{}
}

func (s *Service) startSink() {
	s.sink = &functionSink{queue: make(chan sinkBatch, sinkQueueLength), done: make(chan struct{})}
	go s.storeFunctionLogs()
}

// AppendFunctionLogs is the in-process sink for function logs: it creates
// the group (with the default retention) and the stream if needed and
// appends events, which need not be in order. It returns before the events
// are stored; Close waits for them. Errors are logged, since the runtime
// has no use for them. Safe for concurrent use.
func (s *Service) AppendFunctionLogs(account, region, group, stream string, events []logevent.Event) {
	now := s.clock.Now()
	for i := range events {
		if events[i].Time.IsZero() {
			events[i].Time = now // the time of the append, not of the write
		}
	}
	b := sinkBatch{account: account, region: region, group: group, stream: stream, events: events}
	s.sink.mu.RLock()
	defer s.sink.mu.RUnlock()
	if s.sink.closed {
		s.storeBatch(b)
		return
	}
	s.sink.queue <- b
}

// FlushFunctionLogs waits until every event appended before it is stored.
func (s *Service) FlushFunctionLogs() {
	s.sink.mu.RLock()
	if s.sink.closed {
		s.sink.mu.RUnlock()
		return
	}
	flushed := make(chan struct{})
	s.sink.queue <- sinkBatch{flushed: flushed}
	s.sink.mu.RUnlock()
	<-flushed
}

// storeFunctionLogs writes queued batches until the queue closes, merging
// the batches of one stream that are waiting together.
func (s *Service) storeFunctionLogs() {
	defer close(s.sink.done)
	for first := range s.sink.queue {
		batches := []sinkBatch{first}
	more:
		for len(batches) < sinkQueueLength {
			select {
			case b, ok := <-s.sink.queue:
				if !ok {
					break more
				}
				batches = append(batches, b)
			default:
				break more
			}
		}
		var flushes []chan struct{}
		var writes []sinkBatch
		for _, b := range batches {
			if b.flushed != nil {
				flushes = append(flushes, b.flushed)
			} else {
				writes = append(writes, b)
			}
		}
		for _, b := range mergeByStream(writes) {
			s.storeBatch(b)
		}
		for _, f := range flushes {
			close(f)
		}
	}
}

// mergeByStream joins the batches of each stream, keeping first-seen order.
func mergeByStream(batches []sinkBatch) []sinkBatch {
	if len(batches) <= 1 {
		return batches
	}
	type key struct{ account, region, group, stream string }
	index := map[key]int{}
	var merged []sinkBatch
	for _, b := range batches {
		k := key{b.account, b.region, b.group, b.stream}
		if i, ok := index[k]; ok {
			merged[i].events = append(merged[i].events, b.events...)
			continue
		}
		index[k] = len(merged)
		merged = append(merged, b)
	}
	return merged
}

func (s *Service) storeBatch(b sinkBatch) {
	if err := s.appendFunctionLogs(b.account, b.region, b.group, b.stream, b.events); err != nil {
		s.log.Error("logs: storing function logs", "account", b.account, "region", b.region,
			"group", b.group, "stream", b.stream, "events", len(b.events), "err", err)
	}
}

// closeSink stores what is queued and makes later appends synchronous.
func (s *Service) closeSink() {
	s.sink.mu.Lock()
	if s.sink.closed {
		s.sink.mu.Unlock()
		return
	}
	s.sink.closed = true
	close(s.sink.queue)
	s.sink.mu.Unlock()
	<-s.sink.done
}
