package logs

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// FilterLogEvents limits.
const (
	// maxScannedEvents bounds the events one FilterLogEvents call examines;
	// past it the page ends, possibly empty, with a nextToken, as AWS's may.
	maxScannedEvents = 100_000
	// cursorChunkBytes bounds the events buffered per stream while merging.
	cursorChunkBytes = 64 << 10
)

// filterToken is FilterLogEvents' paging position: the last event
// examined, in the merge order (timestamp, stream name, sequence number).
type filterToken struct {
	TS     uint64 `json:"t"`
	Stream string `json:"s"`
	Seq    uint64 `json:"q"`
}

// FilterLogEvents searches the events of a group's streams, merged in time
// order, for those that match a filter pattern.
func (s *Service) FilterLogEvents(ctx context.Context, in *FilterLogEventsRequest) (*FilterLogEventsResponse, error) {
	info := awsproto.Info(ctx)
	group, err := groupOf(info, in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		// Unrecorded message.
		return nil, ErrInvalidParameterException("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	pattern, err := parseFilterPattern(ptr.Value(in.FilterPattern))
	if err != nil {
		var bad patternError
		errors.As(err, &bad)
		// Unrecorded message.
		return nil, ErrInvalidParameterException("Invalid filter pattern: %s", string(bad))
	}
	g, err := s.mustGroup(info.Account, info.Region, group)
	if err != nil {
		return nil, err
	}
	var tok *filterToken
	if in.NextToken != nil {
		tok = new(filterToken)
		if err := decodeToken(*in.NextToken, tok); err != nil {
			return nil, err
		}
	}
	r := eventRange{lo: 0, hi: math.MaxUint64}
	if cut := retentionCutoff(g.RetentionDays, s.nowMillis()); cut > 0 {
		r.lo = uint64(cut)
	}
	if in.StartTime != nil {
		r.lo = max(r.lo, uint64(*in.StartTime))
	}
	if in.EndTime != nil {
		r.hi = uint64(*in.EndTime) + 1 // endTime is inclusive here
	}
	names, err := s.streamNames(info, group, in.LogStreamNames, in.LogStreamNamePrefix)
	if err != nil {
		return nil, fmt.Errorf("listing log streams of %q: %w", group, err)
	}
	m := &merge{db: s.db, hi: r.hi}
	for _, name := range names {
		c := &streamCursor{name: name, prefix: eventsPrefix(info.Account, info.Region, group, name)}
		c.next = c.start(r.lo, tok)
		if err := m.add(c); err != nil {
			return nil, fmt.Errorf("reading events of %q/%q: %w", group, name, err)
		}
	}
	limit := maxPageEvents
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	out := &FilterLogEventsResponse{
		Events: []FilteredLogEvent{},
		// Always empty since 2020, as on AWS.
		SearchedLogStreams: []SearchedLogStream{},
	}
	var last *filterToken
	size, scanned := 0, 0
	for m.Len() > 0 {
		c := m.cursors[0]
		e := c.buf[0]
		if pattern.Match(e.message) {
			if pageFull(len(out.Events), limit, size, e.size()) {
				break
			}
			out.Events = append(out.Events, filtered(c.name, e))
			size += e.size()
		}
		last = &filterToken{TS: e.pos.ts, Stream: c.name, Seq: e.pos.seq}
		if err := m.advance(); err != nil {
			return nil, fmt.Errorf("reading events of %q/%q: %w", group, c.name, err)
		}
		if scanned++; scanned >= maxScannedEvents {
			break
		}
	}
	if m.Len() > 0 && last != nil {
		out.NextToken = encodeToken(last)
	}
	return out, nil
}

func filtered(stream string, e event) FilteredLogEvent {
	h := fnv.New64a()
	h.Write([]byte(stream))
	return FilteredLogEvent{
		LogStreamName: ptr.To(stream),
		Timestamp:     ptr.To(int64(e.pos.ts)),
		Message:       ptr.To(e.message),
		IngestionTime: ptr.To(e.ingestion),
		// 56 digits, like AWS's, unique within the group.
		EventId: ptr.To(fmt.Sprintf("%020d%020d%016d", e.pos.ts, e.pos.seq, h.Sum64()%1e16)),
	}
}

// streamNames returns the names of the streams to search, in order: the
// listed ones that exist, or those with the prefix.
func (s *Service) streamNames(info *awsproto.RequestInfo, group string, listed []string, prefix *string) ([]string, error) {
	if listed != nil {
		var names []string
		for _, name := range slices.Compact(slices.Sorted(slices.Values(listed))) {
			st, err := s.loadStream(info.Account, info.Region, group, name)
			if err != nil {
				return nil, err
			}
			if st != nil {
				names = append(names, name)
			}
		}
		return names, nil
	}
	var names []string
	p := append(slices.Clip(streamsPrefix(info.Account, info.Region, group)), ptr.Value(prefix)...)
	err := s.db.Scan(p, func(k, v []byte) error {
		var st streamRecord
		if err := jsonRecord(k, v, &st); err != nil {
			return err
		}
		names = append(names, st.Name)
		return nil
	})
	return names, err
}

// streamCursor reads one stream's events in order, a chunk at a time, so
// that merging many streams holds little of each in memory.
type streamCursor struct {
	name   string
	prefix []byte
	next   []byte // key to read from (inclusive)
	buf    []event
	done   bool
}

// start is the key a cursor begins at: the first event at or after lo that
// comes after the token's position in the merge order.
func (c *streamCursor) start(lo uint64, tok *filterToken) []byte {
	from := eventKey(c.prefix, lo, 0)
	if tok == nil {
		return from
	}
	var k []byte
	switch {
	case c.name < tok.Stream:
		if tok.TS == math.MaxUint64 {
			c.done = true
			return from
		}
		k = eventKey(c.prefix, tok.TS+1, 0)
	case c.name == tok.Stream:
		k = after(eventKey(c.prefix, tok.TS, tok.Seq))
	default:
		k = eventKey(c.prefix, tok.TS, 0)
	}
	if string(k) > string(from) {
		return k
	}
	return from
}

// fill reads the cursor's next chunk of events below hi.
func (c *streamCursor) fill(db *storage.DB, hi uint64) error {
	if c.done || len(c.buf) > 0 {
		return nil
	}
	size := 0
	c.done = true
	err := db.ScanFrom(c.prefix, c.next, func(k, v []byte) error {
		if size >= cursorChunkBytes {
			c.done = false
			return storage.ErrStop
		}
		e, err := decodeEvent(c.prefix, k, v)
		if err != nil {
			return err
		}
		if e.pos.ts >= hi {
			return storage.ErrStop
		}
		c.buf = append(c.buf, e)
		size += e.size()
		c.next = after(k[:len(k):len(k)])
		return nil
	})
	return err
}

// merge is a heap of stream cursors ordered by their next event in
// (timestamp, stream name, sequence number) order.
type merge struct {
	db      *storage.DB
	hi      uint64
	cursors []*streamCursor
}

func (m *merge) Len() int { return len(m.cursors) }
func (m *merge) Less(i, j int) bool {
	a, b := m.cursors[i], m.cursors[j]
	ea, eb := a.buf[0].pos, b.buf[0].pos
	return cmp.Or(cmp.Compare(ea.ts, eb.ts), cmp.Compare(a.name, b.name), cmp.Compare(ea.seq, eb.seq)) < 0
}
func (m *merge) Swap(i, j int) { m.cursors[i], m.cursors[j] = m.cursors[j], m.cursors[i] }
func (m *merge) Push(x any)    { m.cursors = append(m.cursors, x.(*streamCursor)) }
func (m *merge) Pop() any {
	c := m.cursors[len(m.cursors)-1]
	m.cursors = m.cursors[:len(m.cursors)-1]
	return c
}

// add fills c and adds it unless it has no events.
func (m *merge) add(c *streamCursor) error {
	if err := c.fill(m.db, m.hi); err != nil {
		return err
	}
	if len(c.buf) > 0 {
		heap.Push(m, c)
	}
	return nil
}

// advance consumes the smallest event.
func (m *merge) advance() error {
	c := m.cursors[0]
	c.buf = c.buf[1:]
	if err := c.fill(m.db, m.hi); err != nil {
		return err
	}
	if len(c.buf) == 0 {
		heap.Pop(m)
	} else {
		heap.Fix(m, 0)
	}
	return nil
}
