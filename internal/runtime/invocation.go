package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/clock"
)

// phase is how far the runtime got with an invocation.
type phase int

const (
	phasePending   phase = iota // assigned, not yet handed out by /next
	phaseRunning                // handed out, no result yet
	phaseResponded              // result posted, waiting for the next /next
)

// outcome is why an invocation ended.
type outcome int

const (
	outcomeNone      outcome = iota
	outcomeCompleted         // result posted, runtime asked for the next event
	outcomeExited            // the process exited
	outcomeTimeout           // deadline (or init limit) passed; instance killed
	outcomeCanceled          // the caller's context ended; instance killed
	outcomeKilled            // Close ran out of time; instance killed
	outcomeFailed            // could not start, or init/error; result says why
)

// result is what the runtime (or the platform) answered.
type result struct {
	payload       []byte
	functionError string
	errorType     string
	platform      bool // made by Nimbus, not posted by the runtime
}

// invocation is one Request on one instance. Its fields are guarded by m.mu,
// except fn, req, ended and responded, which never change.
type invocation struct {
	fn    *Function
	req   *Request
	ended chan struct{} // closed when outcome is set
	// responded is closed when the runtime has posted a result.
	responded chan struct{}

	phase       phase
	receiving   bool // a /response or /error body is being read
	result      *result
	outcome     outcome
	cold        bool
	early       bool // the caller was answered before the invocation ended
	unreserved  bool // its slot is from the account's unreserved share
	deliveredAt time.Time
	endedAt     time.Time
	timer       clock.Timer
	startOnce   sync.Once // the START line
}

func newInvocation(fn *Function, req *Request) *invocation {
	return &invocation{fn: fn, req: req, ended: make(chan struct{}), responded: make(chan struct{})}
}

// end sets the outcome unless one is set. m.mu must be held.
func (v *invocation) end(m *Manager, o outcome) bool {
	if v.outcome != outcomeNone {
		return false
	}
	v.outcome = o
	v.endedAt = m.clock.Now()
	if v.timer != nil {
		v.timer.Stop()
	}
	close(v.ended)
	return true
}

// failure is a platform error about request id, as Lambda words them.
func failure(id, errorType, msg string) *result {
	return platformError(errorType, "RequestId: "+id+" Error: "+msg)
}

// platformError is an error result in Lambda's field order.
func platformError(errorType, msg string) *result {
	payload, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{errorType, msg})
	return &result{payload: payload, functionError: "Unhandled", errorType: errorType, platform: true}
}

// coldStart starts an instance for v and runs it there.
func (m *Manager) coldStart(ctx context.Context, fn *Function, spec runtimeSpec, v *invocation) (*Response, error) {
	i, err := m.newInstance(fn)
	if err != nil {
		m.mu.Lock()
		m.releaseLocked(poolKey{fn.Account, fn.Region, fn.Name}, v.unreserved)
		m.mu.Unlock()
		m.inflight.Done()
		return nil, err
	}
	m.mu.Lock()
	v.cold = true
	m.instances[i] = struct{}{}
	m.mu.Unlock()
	i.assign(v)
	if err := i.start(spec); err != nil {
		var ee *entrypointError
		if !errors.As(err, &ee) {
			m.log.Error("runtime: starting instance", "function", fn.Name, "err", err)
		}
		m.mu.Lock()
		if v.outcome == outcomeNone {
			v.result = failure(v.req.ID, "Runtime.InvalidEntrypoint", err.Error())
			v.end(m, outcomeFailed)
		}
		m.mu.Unlock()
	}
	return i.run(ctx, v)
}

// run waits for v to end on i and finishes it, then releases v's
// m.inflight count.
//
// A caller that does not want the log tail gets the function's answer as
// soon as the runtime posts it, as on Lambda; the invocation goes on until
// the runtime asks for its next event (or dies, or times out) and is
// finished in the background: END and REPORT logged, instance and slot
// freed.
func (i *instance) run(ctx context.Context, v *invocation) (*Response, error) {
	var responded <-chan struct{}
	if !v.req.Tail {
		responded = v.responded
	}
	select {
	case <-v.ended:
	case <-ctx.Done():
		i.cancel(v)
	case <-responded:
		m := i.m
		m.mu.Lock()
		res := v.result
		v.early = true
		m.pools[i.key].finishing++
		m.mu.Unlock()
		go func() {
			defer m.inflight.Done()
			select {
			case <-v.ended:
			case <-ctx.Done():
				i.cancel(v)
			}
			i.finish(ctx, v)
		}()
		return &Response{Payload: res.payload, FunctionError: res.functionError, ErrorType: res.errorType, ColdStart: v.cold}, nil
	}
	defer i.m.inflight.Done()
	return i.finish(ctx, v)
}

// cancel ends v because its caller's context ended.
func (i *instance) cancel(v *invocation) {
	i.m.mu.Lock()
	v.end(i.m, outcomeCanceled)
	i.m.mu.Unlock()
}

// finish writes the end of v's log, returns i to its pool or stops it,
// frees v's concurrency slot and builds the answer.
func (i *instance) finish(ctx context.Context, v *invocation) (*Response, error) {
	m := i.m
	m.mu.Lock()
	o, res := v.outcome, v.result
	m.mu.Unlock()

	maxMem := i.sampleMemory()
	if o != outcomeCompleted {
		i.kill()
		if i.cmd != nil {
			<-i.exited
		}
	}
	i.drainPipes()
	duration, initDuration, exitErr := i.timing(v)
	res, status := i.platformAnswer(v, o, res, exitErr)
	billed := max((duration + initDuration + time.Millisecond - 1).Truncate(time.Millisecond), time.Millisecond)
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		v.req.ID, ms(duration), billed.Milliseconds(), v.fn.memoryMB(), maxMem)
	if v.cold {
		report += fmt.Sprintf("Init Duration: %.2f ms\t", ms(initDuration))
	}
	i.logStart(v)
	i.log.emit("END RequestId: " + v.req.ID + "\n")
	i.log.emit(report + status + "\n")
	tail := i.log.endCapture()
	i.release(o == outcomeCompleted)

	switch o {
	case outcomeCanceled:
		return nil, ctx.Err()
	case outcomeKilled:
		return nil, ErrClosed
	}
	resp := &Response{
		Payload:         res.payload,
		FunctionError:   res.functionError,
		ErrorType:       res.errorType,
		Duration:        duration,
		BilledDuration:  billed,
		InitDuration:    initDuration,
		MaxMemoryUsedMB: maxMem,
		ColdStart:       v.cold,
	}
	if v.req.Tail {
		resp.LogTail = tail
	}
	return resp, nil
}

// timing returns v's run time (Duration), the instance's init time when v
// was a cold start, and the process's exit error.
func (i *instance) timing(v *invocation) (duration, initDuration time.Duration, exitErr error) {
	m := i.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if v.phase != phasePending {
		duration = v.endedAt.Sub(v.deliveredAt)
		if v.outcome == outcomeTimeout && v.result == nil {
			duration = v.fn.timeout()
		}
	}
	if v.cold {
		initDuration = i.initDuration
		if !i.initDone {
			initDuration = v.endedAt.Sub(i.startedAt)
		}
	}
	return duration, initDuration, i.exitErr
}

// platformAnswer returns the result for outcome o, the platform's own when
// the runtime gave none, logs the platform's error lines, and returns the
// REPORT status fields.
func (i *instance) platformAnswer(v *invocation, o outcome, res *result, exitErr error) (*result, string) {
	status := ""
	switch {
	case o == outcomeTimeout && res == nil:
		msg := fmt.Sprintf("Task timed out after %.2f seconds", v.fn.timeout().Seconds())
		res = failure(v.req.ID, "Sandbox.Timedout", msg)
		i.logStart(v)
		i.log.emit(i.m.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + v.req.ID + " " + msg + "\n")
		return res, "Status: timeout\t"
	case o == outcomeExited && res == nil:
		res = failure(v.req.ID, "Runtime.ExitError", exitText(exitErr))
	}
	if o == outcomeExited || o == outcomeFailed {
		errorType := res.errorType
		if o == outcomeExited && res.platform && i.outOfMemory() {
			errorType = "Runtime.OutOfMemory"
		}
		status = "Status: error\tError Type: " + errorType + "\t"
	}
	if res != nil && res.platform {
		var e struct{ ErrorMessage string }
		_ = json.Unmarshal(res.payload, &e)
		i.logStart(v)
		i.log.emit(e.ErrorMessage + "\n" + res.errorType + "\n")
	}
	return res, status
}

// release ends i's invocation: i goes back to its pool if healthy, else
// stops, and the concurrency slot frees.
func (i *instance) release(healthy bool) {
	m := i.m
	m.mu.Lock()
	unreserved := false
	if v := i.inv; v != nil {
		unreserved = v.unreserved
		if v.early {
			m.pools[i.key].finishing--
		}
	}
	i.inv = nil
	if !(healthy && i.parkLocked()) {
		if i.state != stateDead {
			i.setState(stateDead)
		}
		// The caller has its answer: a healthy process gets its grace
		// without holding it up.
		m.goShutdownLocked(i)
	}
	m.releaseLocked(i.key, unreserved)
	m.mu.Unlock()
}

// logStart writes v's START line, once, and starts capturing its log.
func (i *instance) logStart(v *invocation) {
	v.startOnce.Do(func() {
		i.log.beginCapture()
		i.log.emit("START RequestId: " + v.req.ID + " Version: " + v.fn.version() + "\n")
	})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
