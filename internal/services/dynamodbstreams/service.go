// Package dynamodbstreams serves the Amazon DynamoDB Streams API
// (awsJson1.0, X-Amz-Target DynamoDBStreams_20120810.*, signed as
// "dynamodb"): ListStreams, DescribeStream, GetShardIterator and
// GetRecords over the streams the DynamoDB service writes
// (internal/services/dynamodb), which owns their records: they are written
// in the same atomic batch as the change they describe.
//
// Shard iterators are opaque to clients, as on AWS: the stream ARN, then
// the shard, the position and the time of issue, encoded; they expire after
// 15 minutes.
package dynamodbstreams

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/streamrecord"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/services/dynamodb"
)

// Limits of the API.
const (
	iteratorLifetime = 15 * time.Minute
	maxRecords       = 1000
	maxReadBytes     = 1 << 20
	defaultListLimit = 100
)

// nsDynamoDB is the namespace of the errors in __type, as DynamoDB's.
const nsDynamoDB = "com.amazonaws.dynamodb.v20120810#"

// Config wires a Service.
type Config struct {
	// DynamoDB is the service whose streams are served. Required.
	DynamoDB *dynamodb.Service
	// Clock dates iterators. The default is clock.Real{}.
	Clock clock.Clock
}

// Service serves the DynamoDB Streams API. It is safe for concurrent use.
type Service struct {
	// Every operation of the model has a handler today; the stubs stay
	// embedded so that operations a newer model adds answer NotImplemented.
	//lint:ignore U1000 see above
	unimplemented
	ddb   *dynamodb.Service
	clock clock.Clock

	specOnce sync.Once
	specVal  *awsproto.Spec
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.DynamoDB == nil {
		return nil, errors.New("dynamodbstreams: Config.DynamoDB is required")
	}
	s := &Service{ddb: cfg.DynamoDB, clock: cfg.Clock}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	return s, nil
}

// Spec returns the API as served by s, for the edge.
func (s *Service) Spec() *awsproto.Spec {
	s.specOnce.Do(func() {
		s.specVal = s.spec()
		s.specVal.CRC32 = true
	})
	return s.specVal
}

// Close releases nothing; it is here so that the server treats every
// service alike.
func (s *Service) Close() error { return nil }

func errValidation(format string, args ...any) *awserr.Error {
	return awserr.New(400, "com.amazon.coral.validate#ValidationException", format, args...)
}

func errNotFound(format string, args ...any) *awserr.Error {
	return awserr.New(400, nsDynamoDB+"ResourceNotFoundException", format, args...)
}

// ListStreams lists the caller's streams, of one table when TableName is
// given, by ARN.
func (s *Service) ListStreams(ctx context.Context, in *ListStreamsInput) (*ListStreamsOutput, error) {
	info := awsproto.Info(ctx)
	limit := int(ptr.Value(in.Limit))
	if limit == 0 {
		limit = defaultListLimit
	}
	streams := s.ddb.Streams(info.Account, info.Region, ptr.Value(in.TableName))
	out := &ListStreamsOutput{Streams: []Stream{}}
	start := ptr.Value(in.ExclusiveStartStreamArn)
	for _, st := range streams {
		if start != "" && st.ARN <= start {
			continue
		}
		if len(out.Streams) == limit {
			out.LastEvaluatedStreamArn = out.Streams[limit-1].StreamArn
			break
		}
		out.Streams = append(out.Streams, Stream{StreamArn: ptr.To(st.ARN), StreamLabel: ptr.To(st.Label), TableName: ptr.To(st.Table)})
	}
	return out, nil
}

// DescribeStream describes a stream and its shards, paged by shard.
func (s *Service) DescribeStream(ctx context.Context, in *DescribeStreamInput) (*DescribeStreamOutput, error) {
	info := awsproto.Info(ctx)
	st, err := s.ddb.Stream(info.Account, info.Region, ptr.Value(in.StreamArn))
	if err != nil {
		return nil, err
	}
	limit := int(ptr.Value(in.Limit))
	if limit == 0 {
		limit = defaultListLimit
	}
	status := "ENABLED"
	if !st.Enabled {
		status = "DISABLED"
	}
	d := &StreamDescription{StreamArn: ptr.To(st.ARN), StreamLabel: ptr.To(st.Label), StreamStatus: ptr.To(status),
		StreamViewType: ptr.To(st.ViewType), TableName: ptr.To(st.Table), CreationRequestDateTime: awsproto.NewTime(st.Created),
		Shards: []Shard{}}
	for _, k := range st.KeySchema {
		d.KeySchema = append(d.KeySchema, KeySchemaElement{AttributeName: k.AttributeName, KeyType: k.KeyType})
	}
	start := ptr.Value(in.ExclusiveStartShardId)
	passed := start == ""
	for _, sh := range st.Shards {
		if !passed {
			passed = sh.ID == start
			continue
		}
		if f := in.ShardFilter; f != nil && ptr.Value(f.Type) == "CHILD_SHARDS" && sh.Parent != ptr.Value(f.ShardId) {
			continue
		}
		if len(d.Shards) == limit {
			d.LastEvaluatedShardId = d.Shards[limit-1].ShardId
			break
		}
		shard := Shard{ShardId: ptr.To(sh.ID), SequenceNumberRange: &SequenceNumberRange{StartingSequenceNumber: ptr.To(sh.Start)}}
		if sh.Parent != "" {
			shard.ParentShardId = ptr.To(sh.Parent)
		}
		if sh.End != "" {
			shard.SequenceNumberRange.EndingSequenceNumber = ptr.To(sh.End)
		}
		d.Shards = append(d.Shards, shard)
	}
	return &DescribeStreamOutput{StreamDescription: d}, nil
}

// iterator is what a shard iterator encodes.
type iterator struct {
	Shard  string `json:"s"`
	Pos    uint64 `json:"p"`
	Issued int64  `json:"t"` // Unix milliseconds
}

// encode renders an iterator as AWS shapes them: the stream ARN, a
// version, then the opaque part.
func (it iterator) encode(streamARN string) string {
	return streamARN + "|1|" + base64.RawURLEncoding.EncodeToString(mustJSON(it))
}

func decodeIterator(s string) (streamARN string, it iterator, ok bool) {
	streamARN, rest, found := strings.Cut(s, "|1|")
	if !found {
		return "", iterator{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || json.Unmarshal(raw, &it) != nil || it.Shard == "" {
		return "", iterator{}, false
	}
	return streamARN, it, true
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// GetShardIterator returns an iterator at a position of a shard.
func (s *Service) GetShardIterator(ctx context.Context, in *GetShardIteratorInput) (*GetShardIteratorOutput, error) {
	info := awsproto.Info(ctx)
	streamARN := ptr.Value(in.StreamArn)
	st, err := s.ddb.Stream(info.Account, info.Region, streamARN)
	if err != nil {
		return nil, err
	}
	var shard *dynamodb.ShardInfo
	for i := range st.Shards {
		if st.Shards[i].ID == ptr.Value(in.ShardId) {
			shard = &st.Shards[i]
		}
	}
	if shard == nil {
		return nil, errNotFound("Requested resource not found: Shard does not exist")
	}
	typ, seqText := ptr.Value(in.ShardIteratorType), ptr.Value(in.SequenceNumber)
	start, _ := dynamodb.ParseSequenceNumber(shard.Start)
	var pos uint64
	switch typ {
	case "TRIM_HORIZON", "LATEST":
		if in.SequenceNumber != nil {
			return nil, errValidation("Sequence number must not be provided for ShardIteratorType %s", typ)
		}
		pos = start
		if typ == "LATEST" {
			if pos, err = s.ddb.ShardLatest(info.Account, info.Region, streamARN, shard.ID); err != nil {
				return nil, err
			}
		}
	case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
		if in.SequenceNumber == nil {
			return nil, errValidation("Sequence number must be provided for ShardIteratorType %s", typ)
		}
		seq, ok := dynamodb.ParseSequenceNumber(seqText)
		end, closed := dynamodb.ParseSequenceNumber(shard.End)
		if !ok || seq < start || (closed && seq > end) {
			return nil, errValidation("Invalid SequenceNumber for ShardIteratorType %s: %s is not in the shard's range", typ, seqText)
		}
		pos = seq
		if typ == "AFTER_SEQUENCE_NUMBER" {
			pos++
		}
	}
	it := iterator{Shard: shard.ID, Pos: pos, Issued: s.clock.Now().UnixMilli()}
	return &GetShardIteratorOutput{ShardIterator: ptr.To(it.encode(streamARN))}, nil
}

// GetRecords reads the records at an iterator, and the iterator to read
// on from (none once a closed shard has been read to its end).
func (s *Service) GetRecords(ctx context.Context, in *GetRecordsInput) (*GetRecordsOutput, error) {
	info := awsproto.Info(ctx)
	streamARN, it, ok := decodeIterator(ptr.Value(in.ShardIterator))
	if !ok {
		return nil, errValidation("Invalid ShardIterator")
	}
	now := s.clock.Now()
	if issued := time.UnixMilli(it.Issued); now.Sub(issued) > iteratorLifetime {
		return nil, awserr.New(400, nsDynamoDB+"ExpiredIteratorException",
			"Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			issued.UTC().Format(time.UnixDate), now.UTC().Format(time.UnixDate), iteratorLifetime.Milliseconds())
	}
	limit := int(ptr.Value(in.Limit))
	if limit == 0 {
		limit = maxRecords
	}
	read, err := s.ddb.ReadShard(info.Account, info.Region, streamARN, it.Shard, it.Pos, limit, maxReadBytes)
	if dynamodb.IsShardNotFound(err) {
		return nil, errNotFound("Requested resource not found: Shard does not exist")
	}
	if err != nil {
		return nil, err
	}
	out := &GetRecordsOutput{Records: make([]streamrecord.Record, len(read.Records))}
	for i, raw := range read.Records {
		out.Records[i] = streamrecord.Record(raw)
	}
	if !read.Ended {
		next := iterator{Shard: it.Shard, Pos: read.Next, Issued: now.UnixMilli()}
		out.NextShardIterator = ptr.To(next.encode(streamARN))
	}
	return out, nil
}

// AppendJSON encodes o with its records' stored JSON as it is
// (awsproto.JSONAppender): encoding/json would re-validate every byte of
// every record.
func (o *GetRecordsOutput) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"Records":[`...)
	for i, r := range o.Records {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, r...)
	}
	dst = append(dst, ']')
	if o.NextShardIterator != nil {
		dst = append(dst, `,"NextShardIterator":`...)
		q, err := json.Marshal(*o.NextShardIterator)
		if err != nil {
			return nil, err
		}
		dst = append(dst, q...)
	}
	return append(dst, '}'), nil
}
