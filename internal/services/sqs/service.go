package sqs

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
	// DB stores queues and messages under the key prefix "sqs". Required.
	// The caller owns it and closes it after Service.Close.
	DB *storage.DB
	// Clock drives timestamps, delays, visibility timeouts, retention and
	// long polls. The default is clock.Real{}.
	Clock clock.Clock
	// IDs makes message ids and receipt handles. The default is ids.Random{}.
	IDs IDs
	// Logger receives errors of background work. The default is
	// slog.Default().
	Logger *slog.Logger
}

// IDs makes the ids the service hands out.
type IDs interface {
	// RequestID returns a new UUID string (message ids).
	RequestID() string
	// Hex returns n random bytes as hex (receipt handle nonces).
	Hex(n int) string
}

// Service serves the SQS API. Operations it does not implement answer
// NotImplemented (see doc.go). It is safe for concurrent use.
type Service struct {
	unimplemented

	db    *storage.DB
	clock clock.Clock
	ids   IDs
	log   *slog.Logger

	specOnce sync.Once
	specVal  *awsproto.Spec

	// mu guards queues (the map, not the queues' contents) and closed.
	mu     sync.RWMutex
	queues map[queueKey]*queue
	closed bool
	// deleted remembers when queues were deleted, for the 60-second wait
	// before a name can be reused.
	deleted map[queueKey]time.Time
	// tasks are the message move tasks by source queue ARN, oldest first.
	tasks map[string][]*moveTask
}

// New returns a Service, loading the queues and messages stored in cfg.DB.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("sqs: Config.DB is required")
	}
	s := &Service{db: cfg.DB, clock: cfg.Clock, ids: cfg.IDs, log: cfg.Logger,
		queues: map[queueKey]*queue{}, deleted: map[queueKey]time.Time{}}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.ids == nil {
		s.ids = ids.Random{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// Spec returns the SQS API as served by s, for the edge. It is built once.
func (s *Service) Spec() *awsproto.Spec {
	s.specOnce.Do(func() { s.specVal = s.spec() })
	return s.specVal
}

// Close ends long polls in progress; they answer with what they have.
// Requests must have ended before the DB is closed. Close is idempotent.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	qs := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		qs = append(qs, q)
	}
	s.mu.Unlock()
	for _, q := range qs {
		q.mu.Lock()
		q.wakeLocked()
		q.mu.Unlock()
	}
	return nil
}

// load rebuilds the queues and their messages from the DB.
func (s *Service) load() error {
	err := s.db.Scan(storage.Key("sqs", "q"), func(_, value []byte) error {
		var rec queueRecord
		if err := json.Unmarshal(value, &rec); err != nil {
			return fmt.Errorf("decoding a stored queue: %w", err)
		}
		q := newQueue(rec)
		s.queues[q.key] = q
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqs: loading queues: %w", err)
	}
	for _, q := range s.queues {
		err := s.db.Scan(messagePrefix(q.key), func(key, value []byte) error {
			var m message
			if err := json.Unmarshal(value, &m); err != nil {
				return fmt.Errorf("decoding a stored message of %s: %w", q.key.name, err)
			}
			q.restore(&m)
			return nil
		})
		if err != nil {
			return fmt.Errorf("sqs: loading the messages of %s: %w", q.key.name, err)
		}
	}
	return nil
}

// nowMillis is the clock's time in epoch milliseconds.
func (s *Service) nowMillis() int64 { return s.clock.Now().UnixMilli() }
