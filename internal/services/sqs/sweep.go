package sqs

import (
	"fmt"
	"time"
)

// sweepLoop runs sweep every sweepInterval of the clock until Close.
func (s *Service) sweepLoop() {
	defer s.wg.Done()
	for {
		tick := make(chan struct{})
		t := s.clock.AfterFunc(sweepInterval, func() { close(tick) })
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-tick:
		}
		if err := s.sweep(); err != nil {
			s.log.Error("sqs: deleting expired messages", "err", err)
		}
	}
}

// sweep deletes the messages past their queue's retention that are not in
// flight (a receive drops them too, but a queue nobody receives from would
// keep them), forgets queues deleted more than 60 seconds ago, and trims
// the FIFO caches.
func (s *Service) sweep() error {
	now := s.clock.Now()
	s.mu.Lock()
	s.pruneDeletedLocked(now)
	qs := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		qs = append(qs, q)
	}
	s.mu.Unlock()
	for _, q := range qs {
		q.mu.Lock()
		q.pruneLocked(now.UnixMilli())
		seqs := q.expireLocked(now.UnixMilli())
		q.mu.Unlock()
		// Not synced: a message deleted again after a crash is no loss.
		for len(seqs) > 0 {
			n := min(len(seqs), 1000)
			b := s.db.NewBatch()
			for _, seq := range seqs[:n] {
				q.deleteRecords(b, seq)
			}
			err := b.CommitNoSync()
			b.Close()
			if err != nil {
				return fmt.Errorf("deleting expired messages of %s: %w", q.key.name, err)
			}
			seqs = seqs[n:]
		}
	}
	return nil
}

// pruneDeletedLocked forgets the queues deleted 60 seconds or more ago:
// their names can be reused. s.mu must be held.
func (s *Service) pruneDeletedLocked(now time.Time) {
	for k, at := range s.deleted {
		if now.Sub(at) >= 60*time.Second {
			delete(s.deleted, k)
		}
	}
}
