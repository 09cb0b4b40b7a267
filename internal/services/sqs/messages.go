package sqs

import (
	"container/heap"
	"errors"
	"fmt"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// The operations on a queue's index (index.go). The methods named
// …Locked run with q.mu held; none waits for the disk, though deletes and
// visibility changes of messages not in flight read a state record (a
// Pebble Get).

// sentSec is the retention clock of a message sent at ms: its second,
// rounded up, so that rounding never expires a message early.
func sentSec(ms int64) uint32 { return uint32((ms + 999) / 1000) }

// addLocked indexes a message whose records are stored.
func (q *queue) addLocked(e entry, groupID string, now int64) {
	if !q.fifo {
		if e.visibleAt > now {
			q.delayed.push(e)
		} else {
			q.ready.push(e)
		}
		return
	}
	g := q.groups[groupID]
	if g == nil {
		g = &group{id: groupID, avail: -1}
		q.groups[groupID] = g
	}
	q.fifoCount++
	if e.receives == 0 && e.visibleAt > q.delayUntil {
		q.delayUntil = e.visibleAt
	}
	if g.insert(e) {
		q.placeLocked(g, now)
	}
}

// restoreLocked indexes a stored message while loading, in sequence
// order; finishRestoreLocked completes the index.
func (q *queue) restoreLocked(seq uint64, st *state, now int64) {
	if seq > q.lastSeq {
		q.lastSeq = seq
	}
	e := entry{visibleAt: st.VisibleAtMs, seq: seq, receives: st.ReceiveCount, sent: st.SentSec}
	inFlight := e.receives > 0 && e.visibleAt > now
	var g *group
	if q.fifo {
		if g = q.groups[st.GroupID]; g == nil {
			g = &group{id: st.GroupID, avail: -1}
			q.groups[st.GroupID] = g
		}
		g.msgs = append(g.msgs, e)
		q.fifoCount++
		if e.receives == 0 && e.visibleAt > q.delayUntil {
			q.delayUntil = e.visibleAt
		}
	}
	switch {
	case inFlight:
		q.inflight[seq] = &flight{e: e, nonce: st.Nonce, firstReceive: st.FirstReceiveMs, g: g}
		q.expiry = append(q.expiry, timer{e.visibleAt, seq})
	case q.fifo:
	case e.visibleAt > now:
		q.delayed = append(q.delayed, e)
	default:
		q.ready = append(q.ready, e)
	}
}

// finishRestoreLocked orders what restoreLocked added.
func (q *queue) finishRestoreLocked(now int64) {
	q.ready.init()
	q.delayed.init()
	q.expiry.init()
	for _, g := range q.groups {
		q.placeLocked(g, now)
	}
}

// placeLocked files a FIFO group by its first message: receivable groups
// in avail, the others waiting for it to become visible; an empty group
// is dropped.
func (q *queue) placeLocked(g *group, now int64) {
	live := g.live()
	switch {
	case len(live) == 0:
		if g.avail >= 0 {
			heap.Remove(&q.avail, g.avail)
		}
		g.gone = true
		delete(q.groups, g.id)
	case live[0].visibleAt <= now:
		if g.avail >= 0 {
			heap.Fix(&q.avail, g.avail)
		} else {
			heap.Push(&q.avail, g)
		}
	default:
		if g.avail >= 0 {
			heap.Remove(&q.avail, g.avail)
		}
		q.waiting.push(groupTimer{live[0].visibleAt, g})
		if len(q.waiting) > 2*len(q.groups)+1024 {
			q.rebuildWaitingLocked(now)
		}
	}
}

// rebuildWaitingLocked drops the stale timers of waiting.
func (q *queue) rebuildWaitingLocked(now int64) {
	q.waiting = q.waiting[:0]
	for _, g := range q.groups {
		if live := g.live(); g.avail < 0 && len(live) > 0 && live[0].visibleAt > now {
			q.waiting = append(q.waiting, groupTimer{live[0].visibleAt, g})
		}
	}
	q.waiting.init()
}

// advanceLocked brings the index to now: delays and visibility timeouts
// that ended make their messages receivable.
func (q *queue) advanceLocked(now int64) {
	for q.delayed.Len() > 0 && q.delayed.peek().visibleAt <= now {
		q.ready.push(q.delayed.pop())
	}
	for q.expiry.Len() > 0 && q.expiry.peek().at <= now {
		t := q.expiry.pop()
		f := q.inflight[t.seq]
		if f == nil || f.e.visibleAt != t.at {
			continue // deleted, or its visibility changed since
		}
		delete(q.inflight, t.seq)
		if !q.fifo {
			q.ready.push(f.e)
		}
	}
	for q.waiting.Len() > 0 && q.waiting.peek().at <= now {
		g := q.waiting.pop().g
		if live := g.live(); !g.gone && g.avail < 0 && len(live) > 0 && live[0].visibleAt <= now {
			heap.Push(&q.avail, g)
		}
	}
}

// nextDueLocked is when a message may next become receivable (epoch ms),
// 0 if none is waiting for a time.
func (q *queue) nextDueLocked() int64 {
	next := int64(0)
	consider := func(at int64) {
		if next == 0 || at < next {
			next = at
		}
	}
	if q.delayed.Len() > 0 {
		consider(q.delayed.peek().visibleAt)
	}
	if !q.fifo && q.expiry.Len() > 0 {
		consider(q.expiry.peek().at)
	}
	if q.waiting.Len() > 0 {
		consider(q.waiting.peek().at)
	}
	return next
}

// pick is a message a receive took.
type pick struct {
	e     entry // as received: receives and visibleAt updated
	nonce uint64
	group string
	// firstReceive is known on a first receive, else read from the store.
	firstReceive int64
	// inFlight is false for a receive with a visibility timeout of 0.
	inFlight bool
}

// doom is a message a receive took out of the queue instead: past its
// retention, or past maxReceiveCount on its way to the dead-letter queue.
type doom struct {
	e   entry
	dlq string // ARN; "" drops the message
}

// taken is what takeLocked took.
type taken struct {
	picks []pick
	dooms []doom
	// overLimit is set when messages were left because too many are in
	// flight.
	overLimit bool
	// retentionMs is the queue's MessageRetentionPeriod.
	retentionMs int64
}

// takeLocked marks up to n receivable messages received, for visibility
// seconds, and returns them with the messages that leave the queue
// instead. nonce makes each receive's receipt nonce.
func (q *queue) takeLocked(now int64, n int, visibility int64, nonce func() uint64) taken {
	q.advanceLocked(now)
	retentionMs := q.intAttr("MessageRetentionPeriod") * 1000
	policy, _ := parseRedrivePolicy(q.rec.Attributes["RedrivePolicy"])
	t := taken{retentionMs: retentionMs}
	// keep reports whether e stays: it is not past its retention or its
	// receives.
	keep := func(e entry, group string) bool {
		switch {
		case int64(e.sent)*1000+retentionMs <= now:
			t.dooms = append(t.dooms, doom{e: e})
		case policy != nil && int(e.receives) >= policy.MaxReceiveCount:
			t.dooms = append(t.dooms, doom{e: e, dlq: policy.DeadLetterTargetArn})
		default:
			return true
		}
		return false
	}
	// receive marks e received; g is its group (FIFO).
	receive := func(e entry, g *group) entry {
		e.receives++
		p := pick{nonce: nonce()}
		if e.receives == 1 {
			p.firstReceive = now
		}
		e.visibleAt = now + visibility*1000
		if p.inFlight = visibility > 0; p.inFlight {
			q.inflight[e.seq] = &flight{e: e, nonce: p.nonce, firstReceive: p.firstReceive, g: g}
			q.expiry.push(timer{e.visibleAt, e.seq})
		}
		p.e = e
		if g != nil {
			p.group = g.id
		}
		t.picks = append(t.picks, p)
		return e
	}
	full := func() bool { return visibility > 0 && len(q.inflight) >= q.limit }
	if !q.fifo {
		var again []entry // received for 0 seconds: receivable after this receive
		for len(t.picks) < n && q.ready.Len() > 0 {
			e := q.ready.peek()
			if _, deleted := q.gone[e.seq]; deleted {
				q.ready.pop()
				delete(q.gone, e.seq)
				continue
			}
			if !keep(e, "") {
				q.ready.pop()
				continue
			}
			if full() {
				t.overLimit = true
				break
			}
			q.ready.pop()
			if e = receive(e, nil); visibility == 0 {
				again = append(again, e)
			}
		}
		for _, e := range again {
			q.ready.push(e)
		}
		return t
	}
	// FIFO: groups in order of their first message, each up to its first
	// message not visible.
	var touched []*group
	for len(t.picks) < n && q.avail.Len() > 0 && !t.overLimit {
		g := heap.Pop(&q.avail).(*group)
		touched = append(touched, g)
		for i := g.head; len(t.picks) < n && i < len(g.msgs); {
			e := g.msgs[i]
			if e.visibleAt > now {
				break
			}
			if !keep(e, g.id) {
				i = g.removeAt(i)
				q.fifoCount--
				continue
			}
			if full() {
				t.overLimit = true // FIFO queues answer with fewer messages
				break
			}
			g.msgs[i] = receive(e, g)
			i++
		}
	}
	for _, g := range touched {
		q.placeLocked(g, now)
	}
	return t
}

// stillTakenLocked reports whether p, taken by a receive, is still as it
// left it: in flight under its nonce or, received for 0 seconds, not
// deleted since; only then may the receive record it.
func (q *queue) stillTakenLocked(p pick) bool {
	if f := q.inflight[p.e.seq]; f != nil {
		return f.nonce == p.nonce
	}
	if p.inFlight {
		return false // its visibility timeout ended, or it was deleted
	}
	_, deleted := q.gone[p.e.seq]
	return !deleted
}

// forgetLocked takes a message the store no longer holds (or that
// expired) out of the index, if p's receive still has it.
func (q *queue) forgetLocked(p pick, now int64) {
	if f := q.inflight[p.e.seq]; f != nil {
		if f.nonce != p.nonce {
			return
		}
		delete(q.inflight, p.e.seq)
		if f.g != nil {
			q.removeFromGroupLocked(f.g, p.e.seq, now)
		}
		return
	}
	switch {
	case p.inFlight:
		// Its visibility ended meanwhile: a receive will find it gone.
	case q.fifo:
		if g := q.groups[p.group]; g != nil {
			q.removeFromGroupLocked(g, p.e.seq, now)
		}
	default:
		q.gone[p.e.seq] = struct{}{}
	}
}

// removeFromGroupLocked takes the message seq out of the FIFO group g.
func (q *queue) removeFromGroupLocked(g *group, seq uint64, now int64) {
	i := g.find(seq)
	if i < 0 {
		return
	}
	first := i == g.head
	g.removeAt(i)
	q.fifoCount--
	if first {
		q.placeLocked(g, now)
	}
}

// loadState reads the state record of the message seq; nil when the
// message is gone.
func (q *queue) loadState(seq uint64) (*state, error) {
	raw, err := q.db.Get(seqKey(q.statePfx, seq))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading a message of %s: %w", q.key.name, err)
	}
	st := &state{}
	if err := decodeState(raw, st, nil); err != nil {
		return nil, fmt.Errorf("reading a message of %s: %w", q.key.name, err)
	}
	return st, nil
}

// deleteLocked takes the message a receipt handle names out of the index
// and reports whether its records are to be deleted (false when it is
// gone already). A standard queue takes any handle of the message; a
// FIFO queue refuses one whose visibility timeout has ended.
func (q *queue) deleteLocked(handle string, now int64) (seq uint64, found bool, err error) {
	seq, nonce, ok := decodeReceipt(q.key, handle)
	if !ok {
		return 0, false, errReceiptHandleIsInvalid(handle)
	}
	expired := func() error {
		return errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", handle)
	}
	q.advanceLocked(now)
	if f := q.inflight[seq]; f != nil {
		if q.fifo && f.nonce != nonce {
			return 0, false, expired()
		}
		delete(q.inflight, seq)
		if f.g != nil {
			q.removeFromGroupLocked(f.g, seq, now)
		}
		return seq, true, nil
	}
	if _, deleted := q.gone[seq]; deleted {
		return 0, false, nil
	}
	// Not in flight: gone, or receivable again since its visibility ended.
	st, err := q.loadState(seq)
	switch {
	case err != nil:
		return 0, false, err
	case st == nil:
		return 0, false, nil
	case q.fifo:
		return 0, false, expired()
	case st.ReceiveCount == 0:
		return 0, false, nil // never received: not a handle we gave out
	}
	q.gone[seq] = struct{}{}
	return seq, true, nil
}

// changeVisibilityLocked makes a received message receivable again
// timeout seconds from now, and returns its state to store.
func (q *queue) changeVisibilityLocked(handle string, timeout int32, now int64) (uint64, *state, error) {
	seq, nonce, ok := decodeReceipt(q.key, handle)
	if !ok {
		return 0, nil, errReceiptHandleIsInvalid(handle)
	}
	if timeout < 0 || timeout > 43200 {
		return 0, nil, errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: VisibilityTimeout must be an integer between 0 and 43200.", timeout)
	}
	q.advanceLocked(now)
	f := q.inflight[seq]
	if f == nil || f.nonce != nonce {
		if f == nil {
			st, err := q.loadState(seq)
			if err != nil {
				return 0, nil, err
			}
			if st == nil {
				return 0, nil, errInvalidParameterValue("Value %s for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.", handle)
			}
		}
		return 0, nil, withQueryCode(ErrMessageNotInflight("Message does not exist or is not available for visibility timeout change."))
	}
	at := now + int64(timeout)*1000
	f.e.visibleAt = at
	first := false
	if g := f.g; g != nil {
		if i := g.find(seq); i >= 0 {
			g.msgs[i].visibleAt = at
			first = i == g.head
		}
	}
	if timeout == 0 {
		delete(q.inflight, seq)
		if !q.fifo {
			q.ready.push(f.e)
		}
		q.wakeLocked()
	} else {
		q.expiry.push(timer{at, seq})
		if len(q.expiry) > 2*len(q.inflight)+1024 {
			q.rebuildExpiryLocked()
		}
	}
	if first {
		q.placeLocked(f.g, now)
	}
	return seq, q.flightState(f), nil
}

// rebuildExpiryLocked drops the stale timers of expiry.
func (q *queue) rebuildExpiryLocked() {
	q.expiry = q.expiry[:0]
	for seq, f := range q.inflight {
		q.expiry = append(q.expiry, timer{f.e.visibleAt, seq})
	}
	q.expiry.init()
}

// flightState is the state record of an in-flight message.
func (q *queue) flightState(f *flight) *state {
	st := &state{VisibleAtMs: f.e.visibleAt, ReceiveCount: f.e.receives, FirstReceiveMs: f.firstReceive,
		Nonce: f.nonce, SentSec: f.e.sent}
	if f.g != nil {
		st.GroupID = f.g.id
	}
	return st
}

// countsLocked counts the receivable, in-flight and delayed messages.
func (q *queue) countsLocked(now int64) (visible, inflight, delayed int) {
	q.advanceLocked(now)
	inflight = len(q.inflight)
	if !q.fifo {
		return q.ready.Len() - len(q.gone), inflight, q.delayed.Len()
	}
	if now < q.delayUntil {
		for _, g := range q.groups {
			for _, e := range g.live() {
				if e.receives == 0 && e.visibleAt > now {
					delayed++
				}
			}
		}
	}
	return q.fifoCount - inflight - delayed, inflight, delayed
}

// sizeLocked counts the queue's messages.
func (q *queue) sizeLocked() int {
	if q.fifo {
		return q.fifoCount
	}
	return q.ready.Len() - len(q.gone) + q.delayed.Len() + len(q.inflight)
}

// resetLocked empties the index (PurgeQueue).
func (q *queue) resetLocked() {
	for _, g := range q.groups {
		g.gone = true
	}
	q.ready, q.delayed, q.expiry, q.avail, q.waiting = nil, nil, nil, nil, nil
	q.gone = map[uint64]struct{}{}
	q.inflight = map[uint64]*flight{}
	q.groups = map[string]*group{}
	q.fifoCount, q.delayUntil = 0, 0
}

// expireLocked takes the messages past their retention that are not in
// flight out of the index and returns their sequence numbers.
func (q *queue) expireLocked(now int64) []uint64 {
	q.advanceLocked(now)
	retentionMs := q.intAttr("MessageRetentionPeriod") * 1000
	var out []uint64
	expired := func(e entry) bool { return int64(e.sent)*1000+retentionMs <= now }
	if !q.fifo {
		filter := func(h *minHeap[entry]) {
			kept := (*h)[:0]
			for _, e := range *h {
				if _, deleted := q.gone[e.seq]; deleted {
					delete(q.gone, e.seq)
					continue
				}
				if expired(e) {
					out = append(out, e.seq)
					continue
				}
				kept = append(kept, e)
			}
			if len(kept) < len(*h) {
				clear((*h)[len(kept):])
				*h = kept
				h.init()
			}
		}
		filter(&q.ready)
		filter(&q.delayed)
		return out
	}
	for _, g := range q.groups {
		live := g.live()
		kept := live[:0]
		for _, e := range live {
			if _, inFlight := q.inflight[e.seq]; !inFlight && expired(e) {
				out = append(out, e.seq)
				continue
			}
			kept = append(kept, e)
		}
		if len(kept) < len(live) {
			clear(live[len(kept):])
			g.msgs = g.msgs[:g.head+len(kept)]
			q.fifoCount -= len(live) - len(kept)
			q.placeLocked(g, now)
		}
	}
	return out
}

// errOverLimit is ReceiveMessage's answer on a standard queue with too
// many messages in flight, worded as AWS words it.
func errOverLimit() *awserr.Error {
	e := ErrOverLimit("Too many messages have been received without being deleted.\nPlease delete your received messages or let them timeout before receiving more.")
	e.Status = 403 // as AWS answers it
	e.QueryCode = "OverLimit"
	return e
}
