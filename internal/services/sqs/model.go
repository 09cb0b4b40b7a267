package sqs

import (
	"container/heap"
	"sort"
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

// message is a message as stored under messageKey and held in memory.
type message struct {
	ID          string                           `json:"id"`
	Seq         uint64                           `json:"seq"`
	Body        string                           `json:"body"`
	MD5Body     string                           `json:"md5Body"`
	MD5Attrs    string                           `json:"md5Attrs,omitempty"`
	Attrs       map[string]MessageAttributeValue `json:"attrs,omitempty"`
	SentMs      int64                            `json:"sent"`
	SenderID    string                           `json:"sender"`
	GroupID     string                           `json:"group,omitempty"`
	DedupID     string                           `json:"dedup,omitempty"`
	TraceHeader string                           `json:"trace,omitempty"`
	// DLQSource is the ARN of the queue a dead-lettered message came from.
	DLQSource      string `json:"dlqSource,omitempty"`
	ReceiveCount   int    `json:"receives,omitempty"`
	FirstReceiveMs int64  `json:"firstReceive,omitempty"`
	// VisibleAtMs is when the message can next be received: after its
	// delay, or when its visibility timeout ends.
	VisibleAtMs int64 `json:"visibleAt"`
	// Receipt is the nonce of the current receipt handle ("" before the
	// first receive); older handles no longer match it.
	Receipt string `json:"receipt,omitempty"`

	index int // in the queue's heap, -1 when not in it
}

// sequenceNumber is the FIFO SequenceNumber of m.
func (m *message) sequenceNumber() string { return strconv.FormatUint(m.Seq, 10) }

// queue is a queue's state in memory: its record and live messages.
type queue struct {
	key queueKey
	arn string

	mu   sync.Mutex
	rec  queueRecord
	fifo bool
	// msgs are the live messages by id.
	msgs map[string]*message
	// ready orders the messages of a standard queue by when they can be
	// received, then by age.
	ready msgHeap
	// groups hold a FIFO queue's messages per group, in order.
	groups map[string]*group
	// dedup maps a FIFO deduplication key to when it expires (epoch ms)
	// and the message it let in.
	dedup   map[string]dedupEntry
	lastSeq uint64
	// purgedAt is when PurgeQueue last ran (epoch ms), for its 60 s limit.
	purgedAt int64
	// attempts remember FIFO receive attempts for ReceiveRequestAttemptId.
	attempts map[string]receiveAttempt
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

// group is one FIFO message group: its messages in sequence order.
type group struct {
	id   string
	msgs []*message
}

func newQueue(rec queueRecord) *queue {
	k := queueKey{rec.Account, rec.Region, rec.Name}
	q := &queue{key: k, arn: k.arn(), rec: rec, msgs: map[string]*message{}, notify: make(chan struct{})}
	q.fifo = rec.Attributes["FifoQueue"] == "true"
	if q.fifo {
		q.groups = map[string]*group{}
		q.dedup = map[string]dedupEntry{}
		q.attempts = map[string]receiveAttempt{}
	}
	return q
}

// restore adds a stored message while loading.
func (q *queue) restore(m *message) {
	if m.Seq > q.lastSeq {
		q.lastSeq = m.Seq
	}
	q.addLocked(m)
}

// addLocked adds m to the queue's structures. q.mu must be held (or the
// queue not yet shared).
func (q *queue) addLocked(m *message) {
	q.msgs[m.ID] = m
	m.index = -1
	if q.fifo {
		g := q.groups[m.GroupID]
		if g == nil {
			g = &group{id: m.GroupID}
			q.groups[m.GroupID] = g
		}
		// Messages arrive in sequence order, except when loading.
		i := sort.Search(len(g.msgs), func(i int) bool { return g.msgs[i].Seq > m.Seq })
		g.msgs = append(g.msgs, nil)
		copy(g.msgs[i+1:], g.msgs[i:])
		g.msgs[i] = m
		return
	}
	heap.Push(&q.ready, m)
}

// removeLocked takes m out of the queue's structures.
func (q *queue) removeLocked(m *message) {
	delete(q.msgs, m.ID)
	if q.fifo {
		g := q.groups[m.GroupID]
		if g == nil {
			return
		}
		for i, x := range g.msgs {
			if x == m {
				g.msgs = append(g.msgs[:i], g.msgs[i+1:]...)
				break
			}
		}
		if len(g.msgs) == 0 {
			delete(q.groups, m.GroupID)
		}
		return
	}
	if m.index >= 0 {
		heap.Remove(&q.ready, m.index)
	}
}

// setVisibleLocked changes when m can next be received.
func (q *queue) setVisibleLocked(m *message, at int64) {
	m.VisibleAtMs = at
	if !q.fifo && m.index >= 0 {
		heap.Fix(&q.ready, m.index)
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

// msgHeap orders messages by VisibleAtMs, then Seq.
type msgHeap []*message

func (h msgHeap) Len() int { return len(h) }
func (h msgHeap) Less(i, j int) bool {
	if h[i].VisibleAtMs != h[j].VisibleAtMs {
		return h[i].VisibleAtMs < h[j].VisibleAtMs
	}
	return h[i].Seq < h[j].Seq
}
func (h msgHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *msgHeap) Push(x any) {
	m := x.(*message)
	m.index = len(*h)
	*h = append(*h, m)
}
func (h *msgHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	m.index = -1
	*h = old[:len(old)-1]
	return m
}

// Storage keys.

func queueStorageKey(k queueKey) []byte { return storage.Key("sqs", "q", k.account, k.region, k.name) }

func messagePrefix(k queueKey) []byte { return storage.Key("sqs", "m", k.account, k.region, k.name) }

func messageKey(k queueKey, seq uint64) []byte {
	return storage.AppendUint64(messagePrefix(k), seq)
}
