package logs

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// streamRecord is a log stream as stored under streamKey.
type streamRecord struct {
	Name    string `json:"name"`
	Created int64  `json:"created"` // epoch ms
	// FirstEvent, LastEvent and LastIngestion are epoch ms, nil before the
	// first event.
	FirstEvent    *int64 `json:"firstEvent,omitempty"`
	LastEvent     *int64 `json:"lastEvent,omitempty"`
	LastIngestion *int64 `json:"lastIngestion,omitempty"`
	// Seq is the sequence number of the stream's last event; events number
	// from 1.
	Seq uint64 `json:"seq,omitempty"`
	// Bytes is the size of the stored messages, summed into the group's
	// storedBytes.
	Bytes int64 `json:"bytes,omitempty"`
}

// loadStream returns the stream, or nil when it does not exist.
func (s *Service) loadStream(account, region, group, name string) (*streamRecord, error) {
	var st streamRecord
	ok, err := s.getJSON(streamKey(account, region, group, name), &st)
	if err != nil {
		return nil, fmt.Errorf("loading log stream %q of %q: %w", name, group, err)
	}
	if !ok {
		return nil, nil
	}
	return &st, nil
}

// CreateLogStream creates a log stream in a log group.
func (s *Service) CreateLogStream(ctx context.Context, in *CreateLogStreamRequest) error {
	info := awsproto.Info(ctx)
	group, name := ptr.Value(in.LogGroupName), ptr.Value(in.LogStreamName)
	defer s.lockGroup(info.Account, info.Region, group)()
	if _, err := s.mustGroup(info.Account, info.Region, group); err != nil {
		return err
	}
	st, err := s.loadStream(info.Account, info.Region, group, name)
	if err != nil {
		return err
	}
	if st != nil {
		return errStreamExists()
	}
	st = &streamRecord{Name: name, Created: s.nowMillis()}
	if err := s.db.Set(streamKey(info.Account, info.Region, group, name), mustJSON(st)); err != nil {
		return fmt.Errorf("creating log stream %q of %q: %w", name, group, err)
	}
	return nil
}

// DeleteLogStream deletes a log stream and its events.
func (s *Service) DeleteLogStream(ctx context.Context, in *DeleteLogStreamRequest) error {
	info := awsproto.Info(ctx)
	group, name := ptr.Value(in.LogGroupName), ptr.Value(in.LogStreamName)
	defer s.lockGroup(info.Account, info.Region, group)()
	if _, err := s.mustGroup(info.Account, info.Region, group); err != nil {
		return err
	}
	st, err := s.loadStream(info.Account, info.Region, group, name)
	if err != nil {
		return err
	}
	if st == nil {
		return errStreamNotFound()
	}
	b := s.db.NewBatch()
	defer b.Close()
	b.Delete(streamKey(info.Account, info.Region, group, name))
	events := eventsPrefix(info.Account, info.Region, group, name)
	b.DeleteRange(events, storage.PrefixEnd(events))
	if err := b.Commit(); err != nil {
		return fmt.Errorf("deleting log stream %q of %q: %w", name, group, err)
	}
	return nil
}

// streamsToken is DescribeLogStreams' paging position: the last stream sent
// and, when ordering by event time, its last event time.
type streamsToken struct {
	After     string `json:"s"`
	LastEvent int64  `json:"t,omitempty"`
}

// DescribeLogStreams lists a group's streams by name or by last event time.
func (s *Service) DescribeLogStreams(ctx context.Context, in *DescribeLogStreamsRequest) (*DescribeLogStreamsResponse, error) {
	info := awsproto.Info(ctx)
	group, err := groupOf(info, in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	byTime := ptr.Value(in.OrderBy) == "LastEventTime"
	if byTime && in.LogStreamNamePrefix != nil {
		// Unrecorded message.
		return nil, ErrInvalidParameterException("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	if _, err := s.mustGroup(info.Account, info.Region, group); err != nil {
		return nil, err
	}
	var tok *streamsToken
	if in.NextToken != nil {
		tok = new(streamsToken)
		if err := decodeToken(*in.NextToken, tok); err != nil {
			return nil, err
		}
	}
	limit := int(ptr.Value(in.Limit))
	if limit == 0 {
		limit = defaultDescribeLimit
	}
	var streams []*streamRecord
	var more bool
	if byTime {
		streams, more, err = s.streamsByTime(info, group, ptr.Value(in.Descending), tok, limit)
	} else {
		streams, more, err = s.streamsByName(info, group, ptr.Value(in.LogStreamNamePrefix), ptr.Value(in.Descending), tok, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("listing log streams of %q: %w", group, err)
	}
	out := &DescribeLogStreamsResponse{LogStreams: make([]LogStream, 0, len(streams))}
	for _, st := range streams {
		out.LogStreams = append(out.LogStreams, describeStream(info, group, st))
	}
	if more {
		last := streams[len(streams)-1]
		out.NextToken = encodeToken(streamsToken{After: last.Name, LastEvent: lastEventOf(last)})
	}
	return out, nil
}

// streamsByName pages through a group's streams in name order.
func (s *Service) streamsByName(info *awsproto.RequestInfo, group, namePrefix string, descending bool, tok *streamsToken, limit int) ([]*streamRecord, bool, error) {
	prefix := append(slices.Clip(streamsPrefix(info.Account, info.Region, group)), namePrefix...)
	var streams []*streamRecord
	more := false
	collect := func(k, v []byte) error {
		if len(streams) == limit {
			more = true
			return storage.ErrStop
		}
		st := new(streamRecord)
		if err := jsonRecord(k, v, st); err != nil {
			return err
		}
		streams = append(streams, st)
		return nil
	}
	var err error
	switch {
	case descending && tok != nil:
		err = s.db.ScanReverseFrom(prefix, streamKey(info.Account, info.Region, group, tok.After), collect)
	case descending:
		err = s.db.ScanReverse(prefix, collect)
	case tok != nil:
		err = s.db.ScanFrom(prefix, after(streamKey(info.Account, info.Region, group, tok.After)), collect)
	default:
		err = s.db.Scan(prefix, collect)
	}
	return streams, more, err
}

// lastEventOf is the stream's last event time, -1 before any event.
func lastEventOf(st *streamRecord) int64 {
	if st.LastEvent == nil {
		return -1
	}
	return *st.LastEvent
}

// streamsByTime pages through a group's streams in (last event time, name)
// order. It reads every stream of the group.
func (s *Service) streamsByTime(info *awsproto.RequestInfo, group string, descending bool, tok *streamsToken, limit int) ([]*streamRecord, bool, error) {
	var all []*streamRecord
	err := s.db.Scan(streamsPrefix(info.Account, info.Region, group), func(k, v []byte) error {
		st := new(streamRecord)
		if err := jsonRecord(k, v, st); err != nil {
			return err
		}
		all = append(all, st)
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	order := func(a, b *streamRecord) int {
		return cmp.Or(cmp.Compare(lastEventOf(a), lastEventOf(b)), cmp.Compare(a.Name, b.Name))
	}
	slices.SortFunc(all, order)
	if descending {
		slices.Reverse(all)
	}
	if tok != nil {
		pos := &streamRecord{Name: tok.After, LastEvent: &tok.LastEvent}
		i, _ := slices.BinarySearchFunc(all, pos, func(a, b *streamRecord) int {
			if descending {
				return -order(a, b)
			}
			return order(a, b)
		})
		for i < len(all) && all[i].Name == tok.After && lastEventOf(all[i]) == tok.LastEvent {
			i++
		}
		all = all[i:]
	}
	if len(all) > limit {
		return all[:limit], true, nil
	}
	return all, false, nil
}

func describeStream(info *awsproto.RequestInfo, group string, st *streamRecord) LogStream {
	ls := LogStream{
		Arn:           ptr.To(streamARN(info.Region, info.Account, group, st.Name)),
		LogStreamName: ptr.To(st.Name),
		CreationTime:  ptr.To(st.Created),
		// Always 0 for streams since 2019, as on AWS.
		StoredBytes: ptr.To(int64(0)),
	}
	if st.Seq > 0 {
		ls.FirstEventTimestamp = st.FirstEvent
		ls.LastEventTimestamp = st.LastEvent
		ls.LastIngestionTime = st.LastIngestion
		ls.UploadSequenceToken = ptr.To(sequenceToken(st.Seq))
	}
	return ls
}
