package dynamodb

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"

	"github.com/nimbus-dev/nimbus/internal/storage"
)

// StreamInfo describes a stream, for the DynamoDB Streams API
// (internal/services/dynamodbstreams) and event source mappings.
type StreamInfo struct {
	ARN       string
	Table     string
	Label     string
	ViewType  string
	Enabled   bool
	Created   time.Time
	KeySchema []KeySchemaElement
	// Shards are the shards still holding records, oldest first; the last
	// is open while the stream is enabled.
	Shards []ShardInfo
}

// ShardInfo describes one shard of a stream.
type ShardInfo struct {
	ID, Parent string
	// Start and End are the sequence numbers of the shard's range; End is
	// "" while the shard is open.
	Start, End string
}

// FormatSequenceNumber and ParseSequenceNumber convert between positions in
// a stream and DynamoDB's sequence numbers.
func FormatSequenceNumber(seq uint64) string { return formatSeq(seq) }

// ParseSequenceNumber reads a sequence number; false when it is not one.
func ParseSequenceNumber(s string) (uint64, bool) { return parseSeq(s) }

// streamVisible reports whether a stream is still listed: enabled, or
// disabled less than StreamRetention ago.
func streamVisible(m streamMeta, now time.Time) bool {
	return m.Disabled.IsZero() || now.Sub(m.Disabled) < StreamRetention
}

// info describes st as of now, rolling its shard over first when due.
// st.mu is held.
func (s *Service) infoLocked(st *stream, now time.Time) StreamInfo {
	_ = s.rollLocked(st, now) // a failure leaves the shard open; the next write retries
	m := st.meta
	si := StreamInfo{ARN: st.arn(), Table: m.Table, Label: m.Label, ViewType: m.ViewType, Enabled: m.Disabled.IsZero(),
		Created: m.Created, KeySchema: m.KeySchema}
	for i, sh := range m.Shards {
		// A shard closed more than StreamRetention ago holds no records.
		if sh.End != 0 && i+1 < len(m.Shards) && now.Sub(m.Shards[i+1].Created) >= StreamRetention {
			continue
		}
		info := ShardInfo{ID: sh.ID, Parent: sh.Parent, Start: formatSeq(sh.Start)}
		if sh.End != 0 {
			info.End = formatSeq(sh.End)
		}
		si.Shards = append(si.Shards, info)
	}
	return si
}

// Streams lists the streams of an account and region (of one table when
// table is not ""), by ARN.
func (s *Service) Streams(account, region, table string) []StreamInfo {
	now := s.clock.Now()
	s.streamsMu.Lock()
	var list []*stream
	for _, st := range s.streams {
		if st.meta.Account == account && st.meta.Region == region && (table == "" || st.meta.Table == table) {
			list = append(list, st)
		}
	}
	s.streamsMu.Unlock()
	var out []StreamInfo
	for _, st := range list {
		st.mu.Lock()
		if streamVisible(st.meta, now) {
			out = append(out, s.infoLocked(st, now))
		}
		st.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// lookupStream returns the caller's stream named by its ARN.
func (s *Service) lookupStream(account, region, streamARN string) (*stream, error) {
	s.streamsMu.Lock()
	st := s.streams[streamARN]
	s.streamsMu.Unlock()
	if st == nil || st.meta.Account != account || st.meta.Region != region {
		return nil, errStreamNotFound(streamARN)
	}
	return st, nil
}

// Stream describes one stream.
func (s *Service) Stream(account, region, streamARN string) (StreamInfo, error) {
	st, err := s.lookupStream(account, region, streamARN)
	if err != nil {
		return StreamInfo{}, err
	}
	now := s.clock.Now()
	st.mu.Lock()
	defer st.mu.Unlock()
	if !streamVisible(st.meta, now) {
		return StreamInfo{}, errStreamNotFound(streamARN)
	}
	return s.infoLocked(st, now), nil
}

// ShardRead is what ReadShard read.
type ShardRead struct {
	// Records are the records read, each the JSON of a DynamoDB Streams
	// Record.
	Records []json.RawMessage
	// Next is the position after the last record read (the position read
	// from when there was none).
	Next uint64
	// Ended is true when the shard is closed and Next is past its end: a
	// reader moves on to the shard's children.
	Ended bool
}

// ReadShard reads the records of a shard from position from (a sequence
// number) on: at most limit records and about maxBytes, and only those
// below the stream's watermark, so that a reader never passes a record
// still being committed.
func (s *Service) ReadShard(account, region, streamARN, shardID string, from uint64, limit, maxBytes int) (ShardRead, error) {
	st, err := s.lookupStream(account, region, streamARN)
	if err != nil {
		return ShardRead{}, err
	}
	now := s.clock.Now()
	st.mu.Lock()
	_ = s.rollLocked(st, now)
	var shard *shardMeta
	for i := range st.meta.Shards {
		if st.meta.Shards[i].ID == shardID {
			sh := st.meta.Shards[i]
			shard = &sh
		}
	}
	last := st.watermarkLocked()
	st.mu.Unlock()
	if shard == nil {
		return ShardRead{}, errShardNotFound
	}
	if shard.End != 0 {
		last = min(last, shard.End)
	}
	from = max(from, shard.Start)
	read := ShardRead{Next: from}
	if from <= last {
		prefix := streamRecordPrefix(st.meta.Account, st.meta.Region, st.meta.Table, st.meta.Label)
		size := 0
		err := s.db.ScanFrom(prefix, storage.AppendUint64(bytes.Clone(prefix), from), func(key, value []byte) error {
			seq, _, err := storage.ReadUint64(key[len(prefix):])
			if err != nil || seq > last {
				return storage.ErrStop
			}
			read.Records = append(read.Records, bytes.Clone(value))
			read.Next = seq + 1
			size += len(value)
			if len(read.Records) >= limit || size >= maxBytes {
				return storage.ErrStop
			}
			return nil
		})
		if err != nil {
			return ShardRead{}, err
		}
		if len(read.Records) < limit && size < maxBytes {
			read.Next = last + 1 // nothing more up to the watermark
		}
	}
	read.Ended = shard.End != 0 && read.Next > shard.End
	return read, nil
}

// ShardLatest is the position just after the newest record of a shard:
// where a LATEST iterator starts.
func (s *Service) ShardLatest(account, region, streamARN, shardID string) (uint64, error) {
	st, err := s.lookupStream(account, region, streamARN)
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, sh := range st.meta.Shards {
		if sh.ID == shardID {
			if sh.End != 0 {
				return sh.End + 1, nil
			}
			return st.next, nil
		}
	}
	return 0, errShardNotFound
}

// StreamChanged returns a channel closed when the stream next has new
// records to read (its watermark moves), so that a reader waiting for
// records (a Lambda mapping) need not poll. Take it before reading.
func (s *Service) StreamChanged(account, region, streamARN string) (<-chan struct{}, error) {
	st, err := s.lookupStream(account, region, streamARN)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.wake == nil {
		st.wake = make(chan struct{})
	}
	return st.wake, nil
}

// IsShardNotFound reports whether err is ReadShard's unknown shard.
func IsShardNotFound(err error) bool { return err == errShardNotFound }

// trimStreams deletes the records older than StreamRetention and forgets
// disabled streams after it: what the background sweep calls.
func (s *Service) trimStreams(now time.Time) {
	s.streamsMu.Lock()
	var list []*stream
	for _, st := range s.streams {
		list = append(list, st)
	}
	s.streamsMu.Unlock()
	for _, st := range list {
		st.mu.Lock()
		m := st.meta
		st.mu.Unlock()
		prefix := streamRecordPrefix(m.Account, m.Region, m.Table, m.Label)
		if !streamVisible(m, now) {
			b := s.db.NewBatch()
			b.Delete(streamKey(m.Account, m.Region, m.Table, m.Label))
			b.DeleteRange(prefix, storage.PrefixEnd(prefix))
			if err := b.Commit(); err != nil {
				s.log.Error("dynamodb: dropping an expired stream", "stream", st.arn(), "err", err)
			} else {
				s.streamsMu.Lock()
				delete(s.streams, st.arn())
				s.streamsMu.Unlock()
			}
			b.Close()
			continue
		}
		var expired []byte
		_ = s.db.Scan(prefix, func(key, value []byte) error {
			var r struct {
				Dynamodb struct{ ApproximateCreationDateTime int64 }
			}
			if json.Unmarshal(value, &r) != nil || now.Sub(time.Unix(r.Dynamodb.ApproximateCreationDateTime, 0)) < StreamRetention {
				return storage.ErrStop
			}
			expired = bytes.Clone(key)
			return nil
		})
		if expired != nil {
			b := s.db.NewBatch()
			b.DeleteRange(prefix, after(expired))
			if err := b.CommitNoSync(); err != nil {
				s.log.Error("dynamodb: trimming a stream", "stream", st.arn(), "err", err)
			}
			b.Close()
		}
	}
}
