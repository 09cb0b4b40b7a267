package logs

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/logevent"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// PutLogEvents and read limits, as AWS documents them.
const (
	// eventOverhead is added to each message's UTF-8 length when sizing a
	// batch or a page.
	eventOverhead = 26
	// maxBatchBytes bounds a PutLogEvents batch and a page of events.
	maxBatchBytes = 1_048_576
	// maxPageEvents is GetLogEvents' and FilterLogEvents' default and
	// largest page.
	maxPageEvents = 10_000

	day          = 24 * time.Hour
	maxEventAge  = 14 * day      // older events are rejected as too old
	maxEventSkew = 2 * time.Hour // newer events are rejected as too new
	maxBatchSpan = day           // accepted events of one batch span at most this
)

// Events are stored under eventsPrefix ‖ ts ‖ seq with the value
// ingestion time (8 bytes, big-endian epoch ms) ‖ message.

func eventKey(prefix []byte, ts, seq uint64) []byte {
	k := make([]byte, 0, len(prefix)+16)
	k = append(k, prefix...)
	return storage.AppendUint64(storage.AppendUint64(k, ts), seq)
}

// eventPos is an event's place in its stream: its timestamp (epoch ms),
// then its sequence number.
type eventPos struct {
	ts, seq uint64
}

// event is a stored event, decoded.
type event struct {
	pos       eventPos
	ingestion int64
	message   string
}

// decodeEvent decodes the event stored under key, which starts with prefix.
func decodeEvent(prefix, key, value []byte) (event, error) {
	rest := key[len(prefix):]
	if len(rest) != 16 || len(value) < 8 {
		return event{}, fmt.Errorf("malformed event record %q", key)
	}
	return event{
		pos:       eventPos{binary.BigEndian.Uint64(rest), binary.BigEndian.Uint64(rest[8:])},
		ingestion: int64(binary.BigEndian.Uint64(value)),
		message:   string(value[8:]),
	}, nil
}

func encodeEvent(ingestion int64, message string) []byte {
	v := make([]byte, 8, 8+len(message))
	binary.BigEndian.PutUint64(v, uint64(ingestion))
	return append(v, message...)
}

func (e event) size() int { return len(e.message) + eventOverhead }

// newEvent is an event about to be appended.
type newEvent struct {
	ts      int64
	message string
}

// appendLocked adds events to a stream in b and stores the updated stream
// record; the caller holds the group's lock and commits b.
func (s *Service) appendLocked(b *storage.Batch, account, region, group string, st *streamRecord, events []newEvent, now int64) {
	if len(events) == 0 {
		return
	}
	prefix := eventsPrefix(account, region, group, st.Name)
	for _, e := range events {
		st.Seq++
		b.Set(eventKey(prefix, uint64(e.ts), st.Seq), encodeEvent(now, e.message))
		if st.FirstEvent == nil || e.ts < *st.FirstEvent {
			st.FirstEvent = ptr.To(e.ts)
		}
		if st.LastEvent == nil || e.ts > *st.LastEvent {
			st.LastEvent = ptr.To(e.ts)
		}
		st.Bytes += int64(len(e.message))
	}
	st.LastIngestion = ptr.To(now)
	b.Set(streamKey(account, region, group, st.Name), mustJSON(st))
}

// sequenceToken renders a stream's sequence number as PutLogEvents'
// nextSequenceToken. Tokens are ignored on input, as on AWS.
func sequenceToken(seq uint64) string { return fmt.Sprintf("%056d", seq) }

// retentionCutoff is the epoch-ms time before which a group's events have
// expired, or math.MinInt64 when they never expire.
func retentionCutoff(days int32, now int64) int64 {
	if days <= 0 {
		return math.MinInt64
	}
	return now - int64(days)*day.Milliseconds()
}

// PutLogEvents appends a batch of events to a stream. Events too old, too
// new or past the group's retention are rejected individually and reported
// in rejectedLogEventsInfo; the others are stored.
func (s *Service) PutLogEvents(ctx context.Context, in *PutLogEventsRequest) (*PutLogEventsResponse, error) {
	info := awsproto.Info(ctx)
	group, stream := ptr.Value(in.LogGroupName), ptr.Value(in.LogStreamName)
	size := 0
	for i, e := range in.LogEvents {
		size += len(ptr.Value(e.Message)) + eventOverhead
		if i > 0 && ptr.Value(e.Timestamp) < ptr.Value(in.LogEvents[i-1].Timestamp) {
			return nil, ErrInvalidParameterException("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if size > maxBatchBytes {
		// Unrecorded message.
		return nil, ErrInvalidParameterException("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	defer s.lockGroup(info.Account, info.Region, group)()
	g, err := s.mustGroup(info.Account, info.Region, group)
	if err != nil {
		return nil, err
	}
	st, err := s.loadStream(info.Account, info.Region, group, stream)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errStreamNotFound()
	}
	now := s.nowMillis()
	accepted, rejected := classify(in.LogEvents, now, retentionCutoff(g.RetentionDays, now))
	if n := len(accepted); n > 1 && accepted[n-1].ts-accepted[0].ts > maxBatchSpan.Milliseconds() {
		// Unrecorded message.
		return nil, ErrInvalidParameterException("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	b := s.db.NewBatch()
	defer b.Close()
	s.appendLocked(b, info.Account, info.Region, group, st, accepted, now)
	if b.Len() > 0 {
		if err := b.Commit(); err != nil {
			return nil, fmt.Errorf("appending %d events to %q/%q: %w", len(accepted), group, stream, err)
		}
	}
	return &PutLogEventsResponse{
		NextSequenceToken:     ptr.To(sequenceToken(st.Seq)),
		RejectedLogEventsInfo: rejected,
	}, nil
}

// classify splits a chronological batch into the events to store and the
// rejected ones: too old (a prefix), expired by retention (the prefix after
// it) and too new (a suffix). End indexes are exclusive, the start index
// inclusive, as AWS documents them.
func classify(events []InputLogEvent, now, expiredBefore int64) ([]newEvent, *RejectedLogEventsInfo) {
	tooOldBefore := now - maxEventAge.Milliseconds()
	tooNewAfter := now + maxEventSkew.Milliseconds()
	tooOldEnd, expiredEnd, tooNewStart := 0, 0, len(events)
	for i, e := range events {
		switch ts := ptr.Value(e.Timestamp); {
		case ts < tooOldBefore:
			tooOldEnd = i + 1
		case ts < expiredBefore:
			expiredEnd = i + 1
		case ts > tooNewAfter:
			tooNewStart = min(tooNewStart, i)
		}
	}
	var rejected *RejectedLogEventsInfo
	if tooOldEnd > 0 || expiredEnd > 0 || tooNewStart < len(events) {
		rejected = &RejectedLogEventsInfo{}
		if tooOldEnd > 0 {
			rejected.TooOldLogEventEndIndex = ptr.To(int32(tooOldEnd))
		}
		if expiredEnd > 0 {
			rejected.ExpiredLogEventEndIndex = ptr.To(int32(expiredEnd))
		}
		if tooNewStart < len(events) {
			rejected.TooNewLogEventStartIndex = ptr.To(int32(tooNewStart))
		}
	}
	start := max(tooOldEnd, expiredEnd)
	accepted := make([]newEvent, 0, max(tooNewStart-start, 0))
	for _, e := range events[start:max(start, tooNewStart)] {
		accepted = append(accepted, newEvent{ts: ptr.Value(e.Timestamp), message: ptr.Value(e.Message)})
	}
	return accepted, rejected
}

// appendFunctionLogs stores one batch of function log events; see
// AppendFunctionLogs.
func (s *Service) appendFunctionLogs(account, region, group, stream string, events []logevent.Event) error {
	defer s.lockGroup(account, region, group)()
	now := s.nowMillis()
	b := s.db.NewBatch()
	defer b.Close()
	g, err := s.loadGroup(account, region, group)
	if err != nil {
		return err
	}
	st, err := s.loadStream(account, region, group, stream)
	if err != nil {
		return err
	}
	if g == nil || st == nil {
		// Names are checked when they are first stored; a stored stream's
		// names were valid.
		names := &CreateLogStreamRequest{LogGroupName: &group, LogStreamName: &stream}
		if err := s.Spec().Validate(names); err != nil {
			return err
		}
	}
	if g == nil {
		s.createGroupLocked(b, account, region, group, s.defaultRetention)
	}
	if st == nil {
		st = &streamRecord{Name: stream, Created: now}
		b.Set(streamKey(account, region, group, stream), mustJSON(st))
	}
	pending := make([]newEvent, 0, len(events))
	for _, e := range events {
		ts := now
		if !e.Time.IsZero() {
			ts = max(e.Time.UnixMilli(), 0)
		}
		pending = append(pending, newEvent{ts: ts, message: e.Message})
	}
	s.appendLocked(b, account, region, group, st, pending, now)
	if b.Len() == 0 {
		return nil
	}
	return b.CommitNoSync()
}

// GetLogEvents pages through one stream's events. Without a token it starts
// at the newest events, or at the oldest with startFromHead; the returned
// f/… and b/… tokens move forward and backward, and come back unchanged
// when there is nothing more that way.
func (s *Service) GetLogEvents(ctx context.Context, in *GetLogEventsRequest) (*GetLogEventsResponse, error) {
	info := awsproto.Info(ctx)
	group, err := groupOf(info, in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	stream := ptr.Value(in.LogStreamName)
	g, err := s.mustGroup(info.Account, info.Region, group)
	if err != nil {
		return nil, err
	}
	st, err := s.loadStream(info.Account, info.Region, group, stream)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errStreamNotFound()
	}
	r := eventRange{lo: 0, hi: math.MaxUint64}
	if cut := retentionCutoff(g.RetentionDays, s.nowMillis()); cut > 0 {
		r.lo = uint64(cut)
	}
	if in.StartTime != nil {
		r.lo = max(r.lo, uint64(*in.StartTime))
	}
	if in.EndTime != nil {
		r.hi = uint64(*in.EndTime)
	}
	forward, pos := ptr.Value(in.StartFromHead), eventPos{r.lo, 0}
	if !forward {
		pos = eventPos{r.hi, 0}
	}
	if in.NextToken != nil {
		if forward, pos, err = parseEventToken(*in.NextToken); err != nil {
			return nil, err
		}
	}
	limit := maxPageEvents
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	prefix := eventsPrefix(info.Account, info.Region, group, stream)
	var events []event
	if forward {
		events, err = s.scanForward(prefix, r, pos, limit)
	} else {
		events, err = s.scanBackward(prefix, r, pos, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("reading events of %q/%q: %w", group, stream, err)
	}
	out := &GetLogEventsResponse{Events: make([]OutputLogEvent, 0, len(events))}
	for _, e := range events {
		out.Events = append(out.Events, OutputLogEvent{
			Timestamp:     ptr.To(int64(e.pos.ts)),
			Message:       ptr.To(e.message),
			IngestionTime: ptr.To(e.ingestion),
		})
	}
	switch {
	case len(events) > 0:
		out.NextForwardToken = ptr.To(eventToken(true, events[len(events)-1].pos))
		out.NextBackwardToken = ptr.To(eventToken(false, events[0].pos))
	case forward:
		out.NextForwardToken = ptr.To(eventToken(true, pos))
		out.NextBackwardToken = ptr.To(eventToken(false, eventPos{pos.ts, pos.seq + 1}))
	default:
		out.NextBackwardToken = ptr.To(eventToken(false, pos))
		out.NextForwardToken = ptr.To(eventToken(true, pos.pred()))
	}
	return out, nil
}

// pred is the greatest position before p, so that "after pred" means "from p".
func (p eventPos) pred() eventPos {
	switch {
	case p.seq > 0:
		return eventPos{p.ts, p.seq - 1}
	case p.ts > 0:
		return eventPos{p.ts - 1, math.MaxUint64}
	}
	return p
}

// eventRange bounds reads to timestamps in [lo, hi).
type eventRange struct{ lo, hi uint64 }

// pageFull reports whether a page of n events and size bytes can take no
// event of next bytes.
func pageFull(n, limit, size, next int) bool {
	return n >= limit || (n > 0 && size+next > maxBatchBytes)
}

// scanForward reads up to limit events after pos, oldest first.
func (s *Service) scanForward(prefix []byte, r eventRange, pos eventPos, limit int) ([]event, error) {
	start := eventKey(prefix, pos.ts, pos.seq+1)
	if pos.seq == math.MaxUint64 {
		start = eventKey(prefix, pos.ts+1, 0)
	}
	if lo := eventKey(prefix, r.lo, 0); string(lo) > string(start) {
		start = lo
	}
	var events []event
	size := 0
	err := s.db.ScanFrom(prefix, start, func(k, v []byte) error {
		e, err := decodeEvent(prefix, k, v)
		if err != nil {
			return err
		}
		if e.pos.ts >= r.hi || pageFull(len(events), limit, size, e.size()) {
			return storage.ErrStop
		}
		events = append(events, e)
		size += e.size()
		return nil
	})
	return events, err
}

// scanBackward reads up to limit events before pos, and returns them
// oldest first.
func (s *Service) scanBackward(prefix []byte, r eventRange, pos eventPos, limit int) ([]event, error) {
	before := eventKey(prefix, pos.ts, pos.seq)
	if hi := eventKey(prefix, r.hi, 0); string(hi) < string(before) {
		before = hi
	}
	var events []event
	size := 0
	err := s.db.ScanReverseFrom(prefix, before, func(k, v []byte) error {
		e, err := decodeEvent(prefix, k, v)
		if err != nil {
			return err
		}
		if e.pos.ts < r.lo || pageFull(len(events), limit, size, e.size()) {
			return storage.ErrStop
		}
		events = append(events, e)
		size += e.size()
		return nil
	})
	slices.Reverse(events)
	return events, err
}

// GetLogEvents tokens look like AWS's: "f/<digits>/s" forward and
// "b/<digits>/s" backward, the digits being the position's timestamp and
// sequence number, 20 digits each.

func eventToken(forward bool, p eventPos) string {
	dir := "b"
	if forward {
		dir = "f"
	}
	return fmt.Sprintf("%s/%020d%020d/s", dir, p.ts, p.seq)
}

func parseEventToken(tok string) (forward bool, p eventPos, err error) {
	if len(tok) != 44 || (tok[:2] != "f/" && tok[:2] != "b/") || tok[42:] != "/s" {
		return false, p, errBadToken()
	}
	ts, err1 := strconv.ParseUint(tok[2:22], 10, 64)
	seq, err2 := strconv.ParseUint(tok[22:42], 10, 64)
	if err1 != nil || err2 != nil {
		return false, p, errBadToken()
	}
	return tok[0] == 'f', eventPos{ts, seq}, nil
}
