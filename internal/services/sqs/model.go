package sqs

import (
	"strconv"
	"sync"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// queueKey identifies a queue.
type queueKey struct{ account, region, name string }

func (k queueKey) arn() string { return arn.Queue(k.region, k.account, k.name) }

// queueRecord is a queue as stored under queueStorageKey.
type queueRecord struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"name"`
	// Attributes are the settable attributes, defaults included.
	Attributes  map[string]string `json:"attributes"`
	Tags        map[string]string `json:"tags,omitempty"`
	Created     int64             `json:"created"`  // epoch seconds
	Modified    int64             `json:"modified"` // epoch seconds
	Permissions []permission      `json:"permissions,omitempty"`
}

// permission is one AddPermission statement.
type permission struct {
	Label    string   `json:"label"`
	Accounts []string `json:"accounts"`
	Actions  []string `json:"actions"`
}

// queue is a queue's state in memory: its record and the index of its
// messages (index.go), whose bodies stay in the store.
type queue struct {
	key queueKey
	arn string
	db  *storage.DB
	// statePfx and bodyPfx prefix the keys of the queue's message records.
	statePfx, bodyPfx []byte

	mu   sync.Mutex
	rec  queueRecord
	fifo bool
	// limit is how many messages may be in flight at once.
	limit int

	// The index: see index.go.
	ready, delayed minHeap[entry]
	gone           map[uint64]struct{}
	inflight       map[uint64]*flight
	expiry         minHeap[timer]
	groups         map[string]*group
	avail          groupHeap
	waiting        minHeap[groupTimer]
	// fifoCount counts a FIFO queue's messages; none is delayed past
	// delayUntil (epoch ms).
	fifoCount  int
	delayUntil int64

	lastSeq uint64
	// dedup maps a FIFO deduplication key to when it expires (epoch ms)
	// and the message it let in; dedupOrder lists the keys by expiry, so
	// that the map holds five minutes of sends at most.
	dedup      map[string]dedupEntry
	dedupOrder []expiring
	// purgedAt is when PurgeQueue last ran (epoch ms), for its 60 s limit.
	purgedAt int64
	// attempts remember FIFO receive attempts for ReceiveRequestAttemptId,
	// for five minutes (attemptOrder).
	attempts     map[string]receiveAttempt
	attemptOrder []expiring
	// notify is closed when messages may have become receivable.
	notify  chan struct{}
	deleted bool
}

type dedupEntry struct {
	expires int64
	id      string
	seq     uint64
}

type receiveAttempt struct {
	expires  int64
	messages []Message
}

// expiring is a cache key and when it expires (epoch ms).
type expiring struct {
	at  int64
	key string
}

func newQueue(rec queueRecord, db *storage.DB, limit int) *queue {
	k := queueKey{rec.Account, rec.Region, rec.Name}
	q := &queue{key: k, arn: k.arn(), db: db, statePfx: statePrefix(k), bodyPfx: bodyPrefix(k), rec: rec, limit: limit,
		notify: make(chan struct{})}
	q.fifo = rec.Attributes["FifoQueue"] == "true"
	q.resetLocked()
	if q.fifo {
		q.dedup = map[string]dedupEntry{}
		q.attempts = map[string]receiveAttempt{}
	}
	return q
}

// pruneLocked forgets the deduplication keys and receive attempts whose
// five minutes have passed.
func (q *queue) pruneLocked(now int64) {
	for len(q.dedupOrder) > 0 && q.dedupOrder[0].at <= now {
		x := q.dedupOrder[0]
		q.dedupOrder = q.dedupOrder[1:]
		if e, ok := q.dedup[x.key]; ok && e.expires == x.at {
			delete(q.dedup, x.key)
		}
	}
	for len(q.attemptOrder) > 0 && q.attemptOrder[0].at <= now {
		x := q.attemptOrder[0]
		q.attemptOrder = q.attemptOrder[1:]
		if a, ok := q.attempts[x.key]; ok && a.expires == x.at {
			delete(q.attempts, x.key)
		}
	}
}

// wakeLocked wakes long polls: messages may be receivable.
func (q *queue) wakeLocked() {
	close(q.notify)
	q.notify = make(chan struct{})
}

// intAttr returns a numeric attribute of the queue.
func (q *queue) intAttr(name string) int64 {
	n, err := strconv.ParseInt(q.rec.Attributes[name], 10, 64)
	if err != nil {
		return intAttributes[name].def
	}
	return n
}

// nextSeqLocked returns a sequence number above every earlier one, even
// across restarts: it follows the clock when that is ahead.
func (q *queue) nextSeqLocked(nowMs int64) uint64 {
	seq := q.lastSeq + 1
	if t := uint64(nowMs) * 1_000_000; t > seq {
		seq = t
	}
	q.lastSeq = seq
	return seq
}
