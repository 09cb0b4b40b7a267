package sqs

import (
	"context"
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

	// inFlightLimit is how many messages a queue may have in flight; the
	// default is SQS's, maxInFlight. Tests lower it.
	inFlightLimit int
}

// maxInFlight is how many messages a queue may have in flight at once, as
// on SQS: about 120,000 for a standard queue (ReceiveMessage then answers
// OverLimit) and 120,000 for a FIFO queue (which answers with fewer
// messages).
const maxInFlight = 120_000

// sweepInterval is how often messages past their retention are deleted
// from queues nobody receives from.
const sweepInterval = time.Minute

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
	// Every operation of the model has a handler today; the stubs stay
	// embedded so that operations a newer model adds answer NotImplemented.
	//lint:ignore U1000 see above
	unimplemented

	db    *storage.DB
	clock clock.Clock
	ids   IDs
	log   *slog.Logger

	specOnce sync.Once
	specVal  *awsproto.Spec

	limit int // messages in flight per queue

	// ctx ends with Close; the background work (wg: move tasks, the
	// retention sweep) watches it, and Close waits for that work.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// moving counts the running move tasks (for tests).
	moving sync.WaitGroup

	// mu guards queues (the map, not the queues' contents), closed,
	// deleted and tasks.
	mu     sync.RWMutex
	queues map[queueKey]*queue
	closed bool
	// deleted remembers when queues were deleted, for the 60-second wait
	// before a name can be reused; entries older than that are dropped.
	deleted map[queueKey]time.Time
	// tasks are the message move tasks by source queue ARN, oldest first,
	// at most maxTasks of them.
	tasks map[string][]*moveTask
}

// New returns a Service, loading the queues and the index of their
// messages stored in cfg.DB, and starts its retention sweep. The caller
// must Close it.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("sqs: Config.DB is required")
	}
	s := &Service{db: cfg.DB, clock: cfg.Clock, ids: cfg.IDs, log: cfg.Logger, limit: cfg.inFlightLimit,
		queues: map[queueKey]*queue{}, deleted: map[queueKey]time.Time{}, tasks: map[string][]*moveTask{}}
	if s.limit <= 0 {
		s.limit = maxInFlight
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
	if err := s.load(); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.sweepLoop()
	return s, nil
}

// Spec returns the SQS API as served by s, for the edge. It is built once.
func (s *Service) Spec() *awsproto.Spec {
	s.specOnce.Do(func() { s.specVal = s.spec() })
	return s.specVal
}

// Close stops the background work (message move tasks, the retention
// sweep) and waits for it, and ends long polls in progress: they answer
// with what they have. Requests must have ended before the DB is closed.
// Close is idempotent.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	qs := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		qs = append(qs, q)
	}
	s.mu.Unlock()
	s.cancel()
	for _, q := range qs {
		q.mu.Lock()
		q.wakeLocked()
		q.mu.Unlock()
	}
	s.wg.Wait()
	return nil
}

// load rebuilds the queues and the index of their messages from the DB:
// it reads the state records only.
func (s *Service) load() error {
	err := s.db.Scan(storage.Key("sqs", "q"), func(_, value []byte) error {
		var rec queueRecord
		if err := json.Unmarshal(value, &rec); err != nil {
			return fmt.Errorf("decoding a stored queue: %w", err)
		}
		q := newQueue(rec, s.db, s.limit)
		s.queues[q.key] = q
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqs: loading queues: %w", err)
	}
	for _, q := range s.queues {
		if err := s.migrate(q); err != nil {
			return fmt.Errorf("sqs: converting the messages of %s: %w", q.key.name, err)
		}
		if err := s.restore(q); err != nil {
			return fmt.Errorf("sqs: loading the messages of %s: %w", q.key.name, err)
		}
	}
	return nil
}

// restore indexes the messages of q from their state records.
func (s *Service) restore(q *queue) error {
	now := s.nowMillis()
	var st state
	// Group ids come from the group once it exists: no copy per message.
	intern := func(b []byte) string {
		if g := q.groups[string(b)]; g != nil {
			return g.id
		}
		return string(b)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	err := s.db.Scan(q.statePfx, func(key, value []byte) error {
		seq, _, err := storage.ReadUint64(key[len(q.statePfx):])
		if err != nil {
			return err
		}
		if err := decodeState(value, &st, intern); err != nil {
			return fmt.Errorf("message %d: %w", seq, err)
		}
		q.restoreLocked(seq, &st, now)
		return nil
	})
	q.finishRestoreLocked(now)
	return err
}

// nowMillis is the clock's time in epoch milliseconds.
func (s *Service) nowMillis() int64 { return s.clock.Now().UnixMilli() }
