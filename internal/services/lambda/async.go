package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/events"
	"github.com/nimbus-dev/nimbus/internal/logevent"
	"github.com/nimbus-dev/nimbus/internal/outbox"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/runtime"
	"github.com/nimbus-dev/nimbus/internal/trace"
)

// asyncKind names Lambda's asynchronous invocations in the outbox.
const asyncKind = "lambda.invoke"

// asyncEvent is an accepted Event invocation, stored in the outbox until it
// has run, been retried as configured, or gone to its failure destination.
type asyncEvent struct {
	Account    string    `json:"account"`
	Region     string    `json:"region"`
	Function   string    `json:"function"`
	InvokedARN string    `json:"invokedArn"`
	RequestID  string    `json:"requestId"`
	Trace      string    `json:"trace"`
	Payload    []byte    `json:"payload"`
	Received   time.Time `json:"received"`
	// Invokes counts the invocations that ran the function so far.
	Invokes int `json:"invokes,omitempty"`
	// NotBefore delays a retry (about a minute, then two).
	NotBefore time.Time `json:"notBefore,omitzero"`
	// LastError and LastResponse are the last failed invocation's
	// X-Amz-Function-Error and answer.
	LastError    string `json:"lastError,omitempty"`
	LastResponse []byte `json:"lastResponse,omitempty"`
}

// enqueueAsync stores an Event invocation durably; it runs once an
// instance is free, even across a restart.
func (s *Service) enqueueAsync(f *function, t target, requestID string, payload []byte, hdr trace.Header) error {
	return s.storeAsync(&asyncEvent{
		Account: f.Account, Region: f.Region, Function: f.Name, InvokedARN: t.arn(),
		RequestID: requestID, Trace: hdr.String(), Payload: payload, Received: s.cfg.Clock.Now(),
	})
}

func (s *Service) storeAsync(ev *asyncEvent) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if err := s.cfg.Outbox.Enqueue(asyncKind, body); err != nil {
		return fmt.Errorf("queueing an asynchronous invocation: %w", err)
	}
	return nil
}

// throttleRetry is the delay before a throttled event is tried again: it
// doubles from a tenth of a second to two seconds, so an event runs soon
// after capacity frees without a throttled backlog spinning.
func throttleRetry(attempts int) time.Duration {
	return min(100*time.Millisecond<<min(attempts, 5), 2*time.Second)
}

// retryDelay is Lambda's wait before retrying a failed event: about a
// minute after the first failure, two after the second.
func retryDelay(invokes int) time.Duration { return time.Duration(invokes) * time.Minute }

// deliverAsync runs one queued Event invocation. A throttled event waits in
// the outbox and is tried again, holding no worker, until it is older than
// the function's maximum event age. A failed one is retried as configured
// (twice by default), a minute and then two later, stored in between so a
// restart keeps the count and the wait. Then it goes to the function's
// failure destination and dead-letter queue; a success to its success
// destination.
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
	now := s.cfg.Clock.Now()
	if wait := ev.NotBefore.Sub(now); wait > 0 {
		return outbox.Retry(wait, nil)
	}
	policy := f.asyncPolicy()
	if age := now.Sub(ev.Received); age >= policy.maxAge {
		s.logAsync(f, ev.RequestID, fmt.Sprintf("dropped: the event is %s old, past the maximum event age of %s", age.Round(time.Second), policy.maxAge))
		s.asyncOutcome(ctx, f, &ev, "EventAgeExceeded", nil)
		return nil
	}
	// With reserved concurrency 0 Lambda sends events straight to the
	// failure destination; without one, Nimbus keeps them until capacity
	// returns rather than lose them.
	if f.Reserved != nil && *f.Reserved == 0 && (policy.onFailure != "" || f.DeadLetter != "") {
		s.asyncOutcome(ctx, f, &ev, "ZeroReservedConcurrency", nil)
		return nil
	}
	resp, err := s.invoke(ctx, f, &runtime.Request{
		ID:         ev.RequestID,
		Payload:    ev.Payload,
		InvokedARN: ev.InvokedARN,
		TraceID:    ev.Trace,
	})
	var throttled *runtime.ThrottleError
	if errors.As(err, &throttled) {
		return outbox.Retry(throttleRetry(m.Attempts), err)
	}
	if errors.Is(err, errFunctionGone) {
		s.cfg.Logger.Warn("dropping an asynchronous invocation of a deleted function", "function", ev.Function, "request_id", ev.RequestID)
		return nil
	}
	if err != nil {
		// Shutting down or an internal failure: the event stays queued.
		return err
	}
	ev.Invokes++
	if resp.FunctionError == "" {
		s.asyncOutcome(ctx, f, &ev, "Success", resp)
		return nil
	}
	ev.LastError, ev.LastResponse = resp.FunctionError, resp.Payload
	if ev.Invokes <= policy.retries && now.Add(retryDelay(ev.Invokes)).Sub(ev.Received) >= policy.maxAge {
		// The retry would come too late: Lambda gives up now.
		s.logAsync(f, ev.RequestID, fmt.Sprintf("failed: %s: %s; not retried: the event would pass its maximum age of %s",
			resp.ErrorType, truncate(resp.Payload, 1024), policy.maxAge))
		s.asyncOutcome(ctx, f, &ev, "EventAgeExceeded", resp)
		return nil
	}
	if ev.Invokes <= policy.retries {
		s.logAsync(f, ev.RequestID, fmt.Sprintf("failed (attempt %d of %d): %s: %s; retrying in %s",
			ev.Invokes, policy.retries+1, resp.ErrorType, truncate(resp.Payload, 1024), retryDelay(ev.Invokes)))
		ev.NotBefore = now.Add(retryDelay(ev.Invokes))
		return s.storeAsync(&ev) // then this one is done; a crash in between at worst retries once more
	}
	s.logAsync(f, ev.RequestID, fmt.Sprintf("failed: %s: %s", resp.ErrorType, truncate(resp.Payload, 1024)))
	s.asyncOutcome(ctx, f, &ev, "RetriesExhausted", resp)
	return nil
}

// asyncOutcome sends an event's outcome where the function's
// configuration says: a success to OnSuccess; a failure (condition
// RetriesExhausted, EventAgeExceeded or ZeroReservedConcurrency) to
// OnFailure and to the dead-letter queue.
func (s *Service) asyncOutcome(ctx context.Context, f *function, ev *asyncEvent, condition string, resp *runtime.Response) {
	policy := f.asyncPolicy()
	if condition == "Success" {
		if policy.onSuccess != "" {
			s.sendRecord(ctx, f, policy.onSuccess, destinationRecord(s.cfg.Clock.Now(), f, ev, condition, resp))
		}
		return
	}
	if policy.onFailure != "" {
		s.sendRecord(ctx, f, policy.onFailure, destinationRecord(s.cfg.Clock.Now(), f, ev, condition, resp))
	}
	if f.DeadLetter != "" {
		s.deadLetter(ctx, f, ev)
	}
}

// destinationRecord is the invocation record Lambda sends to destinations.
func destinationRecord(now time.Time, f *function, ev *asyncEvent, condition string, resp *runtime.Response) []byte {
	type requestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	}
	type responseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError,omitempty"`
	}
	record := struct {
		Version         string           `json:"version"`
		Timestamp       string           `json:"timestamp"`
		RequestContext  requestContext   `json:"requestContext"`
		RequestPayload  json.RawMessage  `json:"requestPayload"`
		ResponseContext *responseContext `json:"responseContext,omitempty"`
		ResponsePayload json.RawMessage  `json:"responsePayload,omitempty"`
	}{
		Version:   "1.0",
		Timestamp: now.UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: requestContext{RequestID: ev.RequestID, FunctionArn: f.arn() + ":" + latest,
			Condition: condition, ApproximateInvokeCount: ev.Invokes},
		RequestPayload: jsonOrString(ev.Payload),
	}
	payload, fnErr := ev.LastResponse, ev.LastError
	if resp != nil {
		payload, fnErr = resp.Payload, resp.FunctionError
	}
	if ev.Invokes > 0 {
		record.ResponseContext = &responseContext{StatusCode: 200, ExecutedVersion: latest, FunctionError: fnErr}
		record.ResponsePayload = jsonOrString(payload)
	}
	b, _ := json.Marshal(record)
	return b
}

// jsonOrString is b as JSON, or as a JSON string when it is not JSON.
func jsonOrString(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

// sendRecord delivers a destination record to an SQS queue or, as an
// asynchronous invocation, to a function.
func (s *Service) sendRecord(ctx context.Context, f *function, dest string, record []byte) {
	a, err := arn.Parse(dest)
	if err == nil && a.Service == "sqs" && s.cfg.Queues != nil {
		err = s.cfg.Queues.SendForLambda(ctx, dest, string(record), nil)
	} else if err == nil && a.Service == "lambda" {
		t, terr := resolve(awsproto.WithInfo(ctx, &awsproto.RequestInfo{Account: f.Account, Region: f.Region}), dest, nil)
		target := s.lookup(t.key)
		switch {
		case terr != nil:
			err = terr
		case target == nil:
			err = fmt.Errorf("function %s does not exist", dest)
		default:
			err = s.enqueueAsync(target, t, s.cfg.IDs.RequestID(), record, trace.Header{})
		}
	} else if err == nil {
		err = fmt.Errorf("destinations of service %s are not supported", a.Service)
	}
	if err != nil {
		s.logAsync(f, "", fmt.Sprintf("could not be delivered to its destination %s: %v", dest, err))
	}
}

// deadLetter sends the event to the function's dead-letter queue, with
// Lambda's attributes.
func (s *Service) deadLetter(ctx context.Context, f *function, ev *asyncEvent) {
	var failure struct {
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(ev.LastResponse, &failure)
	attrs := map[string]events.SQSMessageAttribute{
		"RequestID":    {DataType: "String", StringValue: ptr.To(ev.RequestID)},
		"ErrorCode":    {DataType: "Number", StringValue: ptr.To("200")},
		"ErrorMessage": {DataType: "String", StringValue: ptr.To(failure.ErrorMessage)},
	}
	if failure.ErrorMessage == "" {
		delete(attrs, "ErrorMessage")
	}
	var err error
	if a, perr := arn.Parse(f.DeadLetter); perr != nil || a.Service != "sqs" || s.cfg.Queues == nil {
		err = fmt.Errorf("only SQS dead-letter queues are supported")
	} else {
		err = s.cfg.Queues.SendForLambda(ctx, f.DeadLetter, string(ev.Payload), attrs)
	}
	if err != nil {
		s.logAsync(f, ev.RequestID, fmt.Sprintf("could not be sent to the dead-letter queue %s: %v", f.DeadLetter, err))
	}
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
