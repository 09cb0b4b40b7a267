package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// Task statuses of message move tasks.
const (
	taskRunning   = "RUNNING"
	taskCompleted = "COMPLETED"
	taskCancelled = "CANCELLED"
	taskFailed    = "FAILED"
)

// maxTasks is how many message move tasks are kept per source queue: the
// most recent, as many as ListMessageMoveTasks lists. Older finished ones
// are dropped, and all of them with their queue.
const maxTasks = 10

// moveTask moves the messages of a dead-letter queue back to their source
// queues, or to a destination, at most a rate per second. Guarded by
// Service.mu.
type moveTask struct {
	id, source, destination string
	rate                    int32
	started                 int64 // epoch ms
	toMove, moved           int64
	status, failure         string
	cancel                  context.CancelFunc
}

// taskHandle is a task's opaque handle: base64 of its id and source, as
// AWS's.
func (t *moveTask) handle() string {
	b, _ := json.Marshal(map[string]string{"taskId": t.id, "sourceArn": t.source})
	return base64.StdEncoding.EncodeToString(b)
}

// StartMessageMoveTask starts moving a dead-letter queue's messages back.
func (s *Service) StartMessageMoveTask(ctx context.Context, in *StartMessageMoveTaskRequest) (*StartMessageMoveTaskResult, error) {
	info := awsproto.Info(ctx)
	sourceARN := ptr.Value(in.SourceArn)
	src := s.lookupARN(sourceARN)
	if src == nil || src.key.account != info.Account {
		e := ErrResourceNotFoundException("The resource that you specified for the SourceArn parameter doesn't exist.")
		e.Status = 404
		return nil, e
	}
	if !s.isDeadLetterQueue(sourceARN) {
		return nil, errInvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
	}
	dest := ptr.Value(in.DestinationArn)
	if dest != "" && s.lookupARN(dest) == nil {
		e := ErrResourceNotFoundException("The resource that you specified for the DestinationArn parameter doesn't exist.")
		e.Status = 404
		return nil, e
	}
	rate := ptr.Value(in.MaxNumberOfMessagesPerSecond)
	if in.MaxNumberOfMessagesPerSecond != nil && (rate < 1 || rate > 500) {
		return nil, errInvalidParameterValue("Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.", rate)
	}
	src.mu.Lock()
	toMove := int64(src.sizeLocked())
	src.mu.Unlock()
	t := &moveTask{id: s.ids.RequestID(), source: sourceARN, destination: dest, rate: rate, started: s.nowMillis(),
		toMove: toMove, status: taskRunning}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("sqs: the service is closed")
	}
	for _, other := range s.tasks[sourceARN] {
		if other.status == taskRunning {
			s.mu.Unlock()
			return nil, errInvalidParameterValue("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
	}
	s.tasks[sourceARN] = keepRecent(append(s.tasks[sourceARN], t))
	var taskCtx context.Context
	taskCtx, t.cancel = context.WithCancel(s.ctx)
	s.wg.Add(1)
	s.moving.Add(1)
	s.mu.Unlock()
	go s.runTask(taskCtx, t, src)
	return &StartMessageMoveTaskResult{TaskHandle: ptr.To(t.handle())}, nil
}

// keepRecent drops the oldest finished tasks beyond maxTasks.
func keepRecent(tasks []*moveTask) []*moveTask {
	for i := 0; len(tasks) > maxTasks && i < len(tasks); {
		if tasks[i].status == taskRunning {
			i++
			continue
		}
		tasks = append(tasks[:i], tasks[i+1:]...)
	}
	return tasks
}

// isDeadLetterQueue reports whether some queue's RedrivePolicy targets arn.
func (s *Service) isDeadLetterQueue(queueARN string) bool {
	s.mu.RLock()
	qs := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		qs = append(qs, q)
	}
	s.mu.RUnlock()
	for _, q := range qs {
		q.mu.Lock()
		p, _ := parseRedrivePolicy(q.rec.Attributes["RedrivePolicy"])
		q.mu.Unlock()
		if p != nil && p.DeadLetterTargetArn == queueARN {
			return true
		}
	}
	return false
}

// runTask moves up to the task's count of messages, each to the
// destination or back to the queue it was dead-lettered from. It ends
// with the task, or when the service closes.
func (s *Service) runTask(ctx context.Context, t *moveTask, src *queue) {
	defer s.wg.Done()
	defer s.moving.Done()
	defer t.cancel()
	finish := func(status, failure string) {
		s.mu.Lock()
		if t.status == taskRunning {
			t.status, t.failure = status, failure
		}
		s.mu.Unlock()
	}
	for {
		s.mu.RLock()
		done := t.moved >= t.toMove || t.status != taskRunning
		s.mu.RUnlock()
		if done {
			finish(taskCompleted, "")
			return
		}
		if ctx.Err() != nil {
			return // cancelled, or the service is closing
		}
		now := s.nowMillis()
		src.mu.Lock()
		taken := src.takeLocked(now, 1, 30, s.nonce)
		src.mu.Unlock()
		got, err := s.settle(src, taken, now)
		if err != nil {
			s.log.Error("sqs: message move task", "source", t.source, "err", err)
			finish(taskFailed, "AWS.SimpleQueueService.InternalError")
			return
		}
		if len(got) == 0 {
			if len(taken.picks) > 0 || len(taken.dooms) > 0 {
				continue // what it took left the queue instead
			}
			finish(taskCompleted, "")
			return
		}
		m := got[0]
		target := t.destination
		if target == "" {
			target = m.b.DLQSource
		}
		dst := s.lookupARN(target)
		if dst == nil {
			finish(taskFailed, "AWS.SimpleQueueService.NonExistentQueue")
			return
		}
		o := &outgoing{body: m.b.Body, attrs: m.b.Attrs, groupID: m.b.GroupID, groupSet: m.b.GroupID != "", traceHeader: m.b.TraceHeader}
		if dst.fifo {
			o.dedupID, o.dedupSet = m.b.ID, true
		}
		if _, err := s.enqueue(ctx, dst, []*outgoing{o}); err != nil {
			reason := "AWS.SimpleQueueService.InternalError"
			var e *awserr.Error
			if errors.As(err, &e) && e.QueryCode != "" {
				reason = e.QueryCode
			} else {
				s.log.Error("sqs: message move task", "source", t.source, "err", err)
			}
			finish(taskFailed, reason)
			return
		}
		if err := s.deleteMoved(src, m.p, now); err != nil {
			s.log.Error("sqs: message move task", "source", t.source, "err", err)
			finish(taskFailed, "AWS.SimpleQueueService.InternalError")
			return
		}
		s.mu.Lock()
		t.moved++
		s.mu.Unlock()
		if t.rate > 0 {
			wait := make(chan struct{})
			timer := s.clock.AfterFunc(time.Second/time.Duration(t.rate), func() { close(wait) })
			select {
			case <-wait:
			case <-ctx.Done():
				timer.Stop()
			}
		}
	}
}

// deleteMoved deletes a message a move task received and sent on.
func (s *Service) deleteMoved(src *queue, p pick, now int64) error {
	src.mu.Lock()
	seq, found, err := src.deleteLocked(encodeReceipt(src.key, p.e.seq, p.nonce), now)
	src.mu.Unlock()
	if err != nil || !found {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	src.deleteRecords(b, seq)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("deleting a moved message of %s: %w", src.key.name, err)
	}
	return nil
}

// dropTasksLocked forgets the tasks of a deleted queue, stopping the
// running one. s.mu must be held.
func (s *Service) dropTasksLocked(queueARN string) {
	for _, t := range s.tasks[queueARN] {
		if t.status == taskRunning {
			t.status = taskCancelled
			t.cancel()
		}
	}
	delete(s.tasks, queueARN)
}

// CancelMessageMoveTask stops a running task.
func (s *Service) CancelMessageMoveTask(ctx context.Context, in *CancelMessageMoveTaskRequest) (*CancelMessageMoveTaskResult, error) {
	raw, err := base64.StdEncoding.DecodeString(ptr.Value(in.TaskHandle))
	var h struct{ TaskID, SourceArn string }
	if err != nil || json.Unmarshal(raw, &h) != nil || h.TaskID == "" {
		return nil, errInvalidParameterValue("Value for parameter TaskHandle is invalid.")
	}
	if q := s.lookupARN(h.SourceArn); q == nil || q.key.account != awsproto.Info(ctx).Account {
		e := ErrResourceNotFoundException("The resource that you specified for the SourceArn parameter doesn't exist.")
		e.Status = 404
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tasks[h.SourceArn] {
		if t.id == h.TaskID && t.status == taskRunning {
			t.status = taskCancelled
			t.cancel()
			return &CancelMessageMoveTaskResult{ApproximateNumberOfMessagesMoved: ptr.To(t.moved)}, nil
		}
	}
	e := ErrResourceNotFoundException("Task does not exist.")
	e.Status = 404
	return nil, e
}

// ListMessageMoveTasks lists a source's tasks, the most recent first.
func (s *Service) ListMessageMoveTasks(ctx context.Context, in *ListMessageMoveTasksRequest) (*ListMessageMoveTasksResult, error) {
	sourceARN := ptr.Value(in.SourceArn)
	if q := s.lookupARN(sourceARN); q == nil || q.key.account != awsproto.Info(ctx).Account {
		e := ErrResourceNotFoundException("The resource that you specified for the SourceArn parameter doesn't exist.")
		e.Status = 404
		return nil, e
	}
	limit := int(ptr.Value(in.MaxResults))
	if limit == 0 {
		limit = 1
	}
	if limit < 1 || limit > 10 {
		return nil, errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: You must enter a number that's between 1 and 10.", limit)
	}
	s.mu.RLock()
	tasks := s.tasks[sourceARN]
	out := &ListMessageMoveTasksResult{}
	for i := len(tasks) - 1; i >= 0; i-- { // the most recent first
		t := tasks[i]
		if len(out.Results) == limit {
			break
		}
		e := ListMessageMoveTasksResultEntry{ApproximateNumberOfMessagesMoved: ptr.To(t.moved), ApproximateNumberOfMessagesToMove: ptr.To(t.toMove),
			SourceArn: ptr.To(t.source), StartedTimestamp: ptr.To(t.started), Status: ptr.To(t.status),
			DestinationArn: optional(t.destination), FailureReason: optional(t.failure)}
		if t.rate > 0 {
			e.MaxNumberOfMessagesPerSecond = ptr.To(t.rate)
		}
		if t.status == taskRunning {
			e.TaskHandle = ptr.To(t.handle())
		}
		out.Results = append(out.Results, e)
	}
	s.mu.RUnlock()
	return out, nil
}
