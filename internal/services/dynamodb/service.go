package dynamodb

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/ids"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// Config wires a Service.
type Config struct {
	// DB stores tables and items under the key prefix "ddb". Required. The
	// caller owns it and closes it after Service.Close.
	DB *storage.DB
	// Clock drives creation times. The default is clock.Real{}.
	Clock clock.Clock
	// IDs makes table ids. The default is ids.Random{}.
	IDs interface{ RequestID() string }
	// Logger receives errors of background work. The default is
	// slog.Default().
	Logger *slog.Logger
	// ShardRollover is how long a stream shard takes records before it
	// closes and a child shard takes over. The default is
	// DefaultShardRollover (4 hours, as on DynamoDB).
	ShardRollover time.Duration
}

// Service serves the DynamoDB API. Operations it does not implement answer
// NotImplemented (see doc.go). It is safe for concurrent use.
type Service struct {
	unimplemented

	db    *storage.DB
	clock clock.Clock
	ids   interface{ RequestID() string }
	log   *slog.Logger

	specOnce sync.Once
	specVal  *awsproto.Spec

	// mu guards tables, the in-memory copy of every table record.
	mu     sync.RWMutex
	tables map[tableKey]*table
	// locks serialize the writers of one item, striped by key hash, so that
	// conditional writes read and write atomically.
	locks [256]sync.Mutex

	// streams are the tables' streams by ARN, enabled and disabled;
	// rollover is how long a shard takes records.
	streamsMu sync.Mutex
	streams   map[string]*stream
	rollover  time.Duration

	// sweepTimer arms the next sweep (TTL, stream trimming); sweeping
	// counts the sweeps running.
	sweepMu    sync.Mutex
	sweepTimer interface{ Stop() bool }
	sweeping   sync.WaitGroup

	// backfills are the index backfills running; done stops them.
	backfills sync.WaitGroup
	done      chan struct{}

	// tokens are the ClientRequestTokens of recent transactions.
	tokenMu sync.Mutex
	tokens  map[string]tokenUse
}

// New returns a Service, loading the stored tables.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("dynamodb: Config.DB is required")
	}
	s := &Service{db: cfg.DB, clock: cfg.Clock, ids: cfg.IDs, log: cfg.Logger, tables: map[tableKey]*table{}, done: make(chan struct{}),
		streams: map[string]*stream{}, rollover: cfg.ShardRollover}
	if s.rollover <= 0 {
		s.rollover = DefaultShardRollover
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.ids == nil {
		s.ids = ids.Random{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.loadStreams(); err != nil {
		return nil, fmt.Errorf("dynamodb: loading streams: %w", err)
	}
	err := s.db.Scan(storage.Key("ddb", "t"), func(_, value []byte) error {
		var rec tableRecord
		if err := json.Unmarshal(value, &rec); err != nil {
			return fmt.Errorf("decoding a stored table: %w", err)
		}
		t := s.version(rec, nil)
		s.tables[t.key()] = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dynamodb: loading tables: %w", err)
	}
	s.scheduleSweep()
	// Resume the backfills a stop interrupted.
	for _, t := range s.tables {
		for _, name := range t.rec.Backfilling {
			s.startBackfill(t, name)
		}
	}
	return s, nil
}

// Spec returns the DynamoDB API as served by s, for the edge. It is built
// once.
func (s *Service) Spec() *awsproto.Spec {
	s.specOnce.Do(func() {
		s.specVal = s.spec()
		s.specVal.CRC32 = true
	})
	return s.specVal
}

// Close stops the index backfills (the next start resumes them) and waits
// for them.
func (s *Service) Close() error {
	s.sweepMu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	if s.sweepTimer != nil {
		s.sweepTimer.Stop()
	}
	s.sweepMu.Unlock()
	s.sweeping.Wait()
	s.backfills.Wait()
	return nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
