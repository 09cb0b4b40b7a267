package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nimbus-dev/nimbus/internal/logevent"
	"github.com/nimbus-dev/nimbus/internal/outbox"
	"github.com/nimbus-dev/nimbus/internal/runtime"
	"github.com/nimbus-dev/nimbus/internal/trace"
)

// asyncKind names Lambda's asynchronous invocations in the outbox.
const asyncKind = "lambda.invoke"

// asyncEvent is an accepted Event invocation, stored in the outbox until it
// has run.
type asyncEvent struct {
	Account    string    `json:"account"`
	Region     string    `json:"region"`
	Function   string    `json:"function"`
	InvokedARN string    `json:"invokedArn"`
	RequestID  string    `json:"requestId"`
	Trace      string    `json:"trace"`
	Payload    []byte    `json:"payload"`
	Received   time.Time `json:"received"`
}

// enqueueAsync stores an Event invocation durably; it runs once an
// instance is free, even across a restart.
func (s *Service) enqueueAsync(f *function, t target, requestID string, payload []byte, hdr trace.Header) error {
	body, err := json.Marshal(asyncEvent{
		Account: f.Account, Region: f.Region, Function: f.Name, InvokedARN: t.arn(),
		RequestID: requestID, Trace: hdr.String(), Payload: payload, Received: s.cfg.Clock.Now(),
	})
	if err != nil {
		return err
	}
	if err := s.cfg.Outbox.Enqueue(asyncKind, body); err != nil {
		return fmt.Errorf("queueing an asynchronous invocation: %w", err)
	}
	return nil
}

// maxEventAge is how long Lambda keeps trying an asynchronous event, its
// default MaximumEventAgeInSeconds.
const maxEventAge = 6 * time.Hour

// throttleRetry is the delay before a throttled event is tried again: it
// doubles from a tenth of a second to two seconds, so an event runs soon
// after capacity frees without a throttled backlog spinning.
func throttleRetry(attempts int) time.Duration {
	return min(100*time.Millisecond<<min(attempts, 5), 2*time.Second)
}

// deliverAsync runs one queued Event invocation. A throttled event waits in
// the outbox and is tried again, holding no worker, until it is older than
// Lambda's maximum event age. A function error is final here (it is logged
// in the function's log group); retries and destinations come with the
// event invoke configuration.
func (s *Service) deliverAsync(ctx context.Context, m *outbox.Message) error {
	var ev asyncEvent
	if err := json.Unmarshal(m.Body, &ev); err != nil {
		s.cfg.Logger.Error("dropping an unreadable asynchronous invocation", "id", m.ID, "error", err)
		return nil
	}
	f := s.lookup(functionKey{ev.Account, ev.Region, ev.Function})
	if f == nil {
		s.cfg.Logger.Warn("dropping an asynchronous invocation of a deleted function", "function", ev.Function, "request_id", ev.RequestID)
		return nil
	}
	if age := s.cfg.Clock.Now().Sub(ev.Received); age > maxEventAge {
		s.logAsync(f, ev.RequestID, fmt.Sprintf("dropped: the event is %s old, past the maximum event age of %s", age.Round(time.Second), maxEventAge))
		return nil
	}
	resp, err := s.cfg.Runner.Invoke(ctx, s.runtimeFunction(f), &runtime.Request{
		ID:         ev.RequestID,
		Payload:    ev.Payload,
		InvokedARN: ev.InvokedARN,
		TraceID:    ev.Trace,
	})
	var throttled *runtime.ThrottleError
	if errors.As(err, &throttled) {
		return outbox.Retry(throttleRetry(m.Attempts), err)
	}
	if err != nil {
		// Shutting down or an internal failure: the event stays queued.
		return err
	}
	if resp.FunctionError != "" {
		s.logAsync(f, ev.RequestID, fmt.Sprintf("failed: %s: %s", resp.ErrorType, truncate(resp.Payload, 1024)))
	}
	return nil
}

// logAsync writes what became of an asynchronous invocation to the
// function's log group.
func (s *Service) logAsync(f *function, requestID, what string) {
	if s.cfg.Logs == nil {
		return
	}
	now := s.cfg.Clock.Now()
	msg := fmt.Sprintf("%s Asynchronous invocation %s %s", now.UTC().Format(time.RFC3339Nano), requestID, what)
	s.cfg.Logs.AppendFunctionLogs(f.Account, f.Region, f.logGroup(), asyncStream(now), []logevent.Event{{Time: now, Message: msg}})
}

// asyncStream is the log stream Nimbus writes asynchronous failures to.
func asyncStream(now time.Time) string {
	return now.UTC().Format("2006/01/02") + "/[$LATEST]nimbus-async-invocations"
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
