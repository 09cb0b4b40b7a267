package logs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"reflect"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// DefaultSweepInterval is how often the retention sweeper runs when
// Config.SweepInterval is zero.
const DefaultSweepInterval = time.Minute

// Config wires a Service.
type Config struct {
	// DB stores log groups, streams and events under the key prefix "logs".
	// Required. The caller owns it and must close it after Service.Close.
	DB *storage.DB
	// Clock is the time source for creation and ingestion times, the
	// PutLogEvents age limits, retention and the sweeper. The default is
	// clock.Real{}.
	Clock clock.Clock
	// Logger receives errors of the background sweeper and of
	// AppendFunctionLogs, which has no caller to return them to. The default
	// is slog.Default().
	Logger *slog.Logger
	// DefaultRetentionDays is the retention of the log groups Nimbus creates
	// implicitly (function logs through AppendFunctionLogs). 0, the default,
	// means never expire, as on AWS; any other value must be one that
	// PutRetentionPolicy accepts (1, 3, 5, 7, 14, 30, …, 3653).
	DefaultRetentionDays int
	// SweepInterval is how often events past their group's retention are
	// deleted from the DB. Reads hide such events whether or not they have
	// been swept. The default is DefaultSweepInterval (one minute); a
	// negative value disables the sweeper.
	SweepInterval time.Duration
}

// Service serves the CloudWatch Logs API. Operations it does not implement
// answer NotImplemented (see doc.go). It is safe for concurrent use.
type Service struct {
	unimplemented

	db               *storage.DB
	clock            clock.Clock
	log              *slog.Logger
	defaultRetention int32

	specOnce sync.Once
	specVal  *awsproto.Spec

	// locks serialize the writers of one log group (its record, streams and
	// events), striped by (account, region, group).
	locks [64]sync.Mutex

	sink *functionSink

	sweepInterval time.Duration
	sweepMu       sync.Mutex // guards sweepTimer and closed
	sweepTimer    clock.Timer
	closed        bool
	sweeping      sync.WaitGroup
}

// New returns a Service storing its data in cfg.DB, and starts its
// retention sweeper. Call Close to stop it.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("logs: Config.DB is required")
	}
	if cfg.DefaultRetentionDays != 0 && !validRetention(cfg.DefaultRetentionDays) {
		return nil, fmt.Errorf("logs: DefaultRetentionDays %d is not a CloudWatch Logs retention (%s)", cfg.DefaultRetentionDays, retentionList())
	}
	s := &Service{
		db:               cfg.DB,
		clock:            cfg.Clock,
		log:              cfg.Logger,
		defaultRetention: int32(cfg.DefaultRetentionDays),
		sweepInterval:    cfg.SweepInterval,
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.sweepInterval == 0 {
		s.sweepInterval = DefaultSweepInterval
	}
	if s.sweepInterval > 0 {
		s.scheduleSweep()
	}
	s.startSink()
	return s, nil
}

// Spec returns the CloudWatch Logs API as served by s, for the edge. It is
// built once.
func (s *Service) Spec() *awsproto.Spec {
	s.specOnce.Do(func() {
		s.specVal = s.spec()
		s.specVal.PreValidate = preValidate
	})
	return s.specVal
}

// Close stores the function log events still queued, stops the retention
// sweeper and waits for a sweep in progress. It does not close the DB.
// Requests must have ended; Close is idempotent.
func (s *Service) Close() error {
	s.closeSink()
	s.sweepMu.Lock()
	s.closed = true
	if s.sweepTimer != nil {
		s.sweepTimer.Stop()
	}
	s.sweepMu.Unlock()
	s.sweeping.Wait()
	return nil
}

// lockGroup locks the writers of one group and returns the unlock.
func (s *Service) lockGroup(account, region, group string) func() {
	h := fnv.New32a()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write([]byte(region))
	h.Write([]byte{0})
	h.Write([]byte(group))
	mu := &s.locks[h.Sum32()%uint32(len(s.locks))]
	mu.Lock()
	return mu.Unlock
}

// nowMillis is the clock's time in epoch milliseconds, CloudWatch Logs' unit.
func (s *Service) nowMillis() int64 { return s.clock.Now().UnixMilli() }

// Keys. Everything lives under the tuple ("logs", kind, account, region, …):
//
//	("logs", "g", account, region, group)                      → groupRecord (JSON)
//	("logs", "s", account, region, group, stream)              → streamRecord (JSON)
//	("logs", "e", account, region, group, stream) ‖ ts ‖ seq  → event (see encodeEvent)
//
// ts and seq are big-endian uint64s, so a stream's events scan in time
// order, ties in arrival order.
const keyspace = "logs"

func groupsPrefix(account, region string) []byte {
	return storage.Key(keyspace, "g", account, region)
}

func groupKey(account, region, group string) []byte {
	return storage.Key(keyspace, "g", account, region, group)
}

func streamsPrefix(account, region, group string) []byte {
	return storage.Key(keyspace, "s", account, region, group)
}

func streamKey(account, region, group, stream string) []byte {
	return storage.Key(keyspace, "s", account, region, group, stream)
}

func groupEventsPrefix(account, region, group string) []byte {
	return storage.Key(keyspace, "e", account, region, group)
}

func eventsPrefix(account, region, group, stream string) []byte {
	return storage.Key(keyspace, "e", account, region, group, stream)
}

// after returns the smallest key greater than key.
func after(key []byte) []byte {
	return append(key[:len(key):len(key)], 0)
}

// getJSON loads the JSON record under key into v, reporting whether it
// exists.
func (s *Service) getJSON(key []byte, v any) (bool, error) {
	b, err := s.db.Get(key)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("decoding record %q: %w", key, err)
	}
	return true, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("logs: encoding %T: %v", v, err)) // Records are plain structs.
	}
	return b
}

// Paging tokens of DescribeLogGroups, DescribeLogStreams and
// FilterLogEvents are base64url JSON of a position.

func encodeToken(v any) *string {
	t := base64.RawURLEncoding.EncodeToString(mustJSON(v))
	return &t
}

func decodeToken(token string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || json.Unmarshal(b, v) != nil {
		return errBadToken()
	}
	return nil
}

// maxNameLength is the longest log group or stream name.
const maxNameLength = 512

// preValidate answers a log group or stream name past its 512 characters
// as CloudWatch Logs does, in words of its own, before the model's
// constraints are checked.
func preValidate(in any) *awserr.Error {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	v = v.Elem()
	for _, field := range []string{"LogGroupName", "LogStreamName"} {
		f := v.FieldByName(field)
		if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() || f.Elem().Kind() != reflect.String {
			continue
		}
		if utf8.RuneCountInString(f.Elem().String()) > maxNameLength {
			return ErrInvalidParameterException("Invalid LogGroup or LogStream, both must have length less than or equal to %d.", maxNameLength)
		}
	}
	return nil
}
