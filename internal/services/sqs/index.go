package sqs

import (
	"sort"
)

// The in-memory index of a queue's messages. Bodies and attributes stay in
// the store (record.go); per message the index keeps an entry of 24 bytes
// without pointers, in slices the garbage collector does not scan.
//
// A standard queue keeps its entries in three places:
//   - ready: receivable now, by when they became so and then by age;
//   - delayed: never received and not yet visible (DelaySeconds);
//   - inflight: received, their visibility timeout running, with an
//     expiry heap (stale timers are skipped when they come due).
//
// A message deleted by an old receipt handle after its visibility timeout
// ended is in ready; it is marked in gone and skipped when its turn comes.
//
// A FIFO queue keeps each message group's entries in sequence order. A
// group can be received from while its first message is visible; such
// groups wait in avail, by their first message's sequence number, and the
// others in waiting, by when their first message becomes visible. In-flight
// FIFO messages stay in their group and are also in inflight.

// entry is one message in the index.
type entry struct {
	// visibleAt is when the message can next be received (epoch ms).
	visibleAt int64
	// seq orders the queue's messages and names their records.
	seq      uint64
	receives uint32
	// sent is when the message was sent, in epoch seconds rounded up, for
	// retention.
	sent uint32
}

func (e entry) before(o entry) bool {
	if e.visibleAt != o.visibleAt {
		return e.visibleAt < o.visibleAt
	}
	return e.seq < o.seq
}

// timer is when an in-flight message's visibility timeout ends.
type timer struct {
	at  int64
	seq uint64
}

func (t timer) before(o timer) bool { return t.at < o.at || t.at == o.at && t.seq < o.seq }

// groupTimer is when a FIFO group's first message may become visible.
type groupTimer struct {
	at int64
	g  *group
}

func (t groupTimer) before(o groupTimer) bool { return t.at < o.at }

// flight is an in-flight message.
type flight struct {
	// e is the message's entry; e.visibleAt is when its visibility timeout
	// ends. A FIFO message's entry in its group is kept equal.
	e     entry
	nonce uint64
	// firstReceive is ApproximateFirstReceiveTimestamp (epoch ms).
	firstReceive int64
	g            *group // FIFO only
}

// group is one FIFO message group.
type group struct {
	id string
	// msgs[head:] are the group's messages, in sequence order; the slots
	// before head are free.
	msgs []entry
	head int
	// avail is the group's index in queue.avail, -1 when not there.
	avail int
	// gone is set when the group left queue.groups; timers skip it.
	gone bool
}

func (g *group) live() []entry { return g.msgs[g.head:] }

// find returns the index in msgs of the message seq, or -1.
func (g *group) find(seq uint64) int {
	live := g.live()
	i := sort.Search(len(live), func(i int) bool { return live[i].seq >= seq })
	if i < len(live) && live[i].seq == seq {
		return g.head + i
	}
	return -1
}

// insert adds e in sequence order (sends usually come last) and reports
// whether it became the group's first message.
func (g *group) insert(e entry) bool {
	live := g.live()
	i := sort.Search(len(live), func(i int) bool { return live[i].seq > e.seq })
	if i == len(live) {
		g.msgs = append(g.msgs, e)
		return i == 0
	}
	if i == 0 && g.head > 0 {
		g.head--
		g.msgs[g.head] = e
		return true
	}
	g.msgs = append(g.msgs, entry{})
	copy(g.msgs[g.head+i+1:], g.msgs[g.head+i:])
	g.msgs[g.head+i] = e
	return i == 0
}

// removeAt removes msgs[i] and returns the index of the message that
// followed it. It moves the shorter side, and compacts the slice when
// most of it is free.
func (g *group) removeAt(i int) int {
	next := i
	if i-g.head < len(g.msgs)-1-i {
		copy(g.msgs[g.head+1:i+1], g.msgs[g.head:i])
		g.msgs[g.head] = entry{}
		g.head++
		next = i + 1
	} else {
		copy(g.msgs[i:], g.msgs[i+1:])
		g.msgs = g.msgs[:len(g.msgs)-1]
	}
	if g.head == len(g.msgs) {
		g.msgs, g.head = g.msgs[:0], 0
		return 0
	}
	if g.head >= 64 && g.head > len(g.msgs)/2 {
		live := g.live()
		if cap(g.msgs) > 4096 && len(live) < cap(g.msgs)/4 {
			g.msgs = append(make([]entry, 0, 2*len(live)), live...)
		} else {
			g.msgs = g.msgs[:copy(g.msgs, live)]
		}
		next -= g.head
		g.head = 0
	}
	return next
}

// ordered values sort by before.
type ordered[T any] interface{ before(T) bool }

// minHeap is a binary min-heap. It gives memory back as it drains.
type minHeap[T ordered[T]] []T

func (h minHeap[T]) Len() int { return len(h) }

func (h minHeap[T]) peek() T { return h[0] }

func (h *minHeap[T]) push(x T) {
	*h = append(*h, x)
	h.up(len(*h) - 1)
}

func (h *minHeap[T]) pop() T {
	old := *h
	n := len(old) - 1
	old[0], old[n] = old[n], old[0]
	x := old[n]
	var zero T
	old[n] = zero
	*h = old[:n]
	h.down(0)
	if c := cap(*h); c > 4096 && n < c/4 {
		*h = append(make(minHeap[T], 0, 2*n), *h...)
	}
	return x
}

// init orders the values of h.
func (h minHeap[T]) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h minHeap[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h[j].before(h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		j = i
	}
}

func (h minHeap[T]) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h[r].before(h[l]) {
			j = r
		}
		if !h[j].before(h[i]) {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

// groupHeap orders FIFO groups by their first message's sequence number;
// a group knows its index (container/heap).
type groupHeap []*group

func (h groupHeap) Len() int { return len(h) }
func (h groupHeap) Less(i, j int) bool {
	return h[i].msgs[h[i].head].seq < h[j].msgs[h[j].head].seq
}
func (h groupHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].avail, h[j].avail = i, j
}
func (h *groupHeap) Push(x any) {
	g := x.(*group)
	g.avail = len(*h)
	*h = append(*h, g)
}
func (h *groupHeap) Pop() any {
	old := *h
	g := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	g.avail = -1
	return g
}
