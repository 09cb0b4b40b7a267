package runtime

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// maxResponse is the largest function response, 6 MiB + 100 bytes.
const maxResponse = 6291556

// Runtime API headers.
const (
	hdrRequestID       = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadline        = "Lambda-Runtime-Deadline-Ms"
	hdrInvokedARN      = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID         = "Lambda-Runtime-Trace-Id"
	hdrClientContext   = "Lambda-Runtime-Client-Context"
	hdrCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	hdrErrorType       = "Lambda-Runtime-Function-Error-Type"
	hdrErrorBody       = "Lambda-Runtime-Function-Error-Body"
	hdrResponseMode    = "Lambda-Runtime-Function-Response-Mode"
)

// routes is the Runtime API of one instance: every route, in one place.
func (i *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /2018-06-01/runtime/invocation/next", apiHandler(i.next))
	mux.Handle("POST /2018-06-01/runtime/invocation/{id}/response", apiHandler(i.response))
	mux.Handle("POST /2018-06-01/runtime/invocation/{id}/error", apiHandler(i.invocationError))
	mux.Handle("POST /2018-06-01/runtime/init/error", apiHandler(i.initError))
	mux.Handle("/", apiHandler(notFound))
	// The runtime calls only once its process runs, but start fills in the
	// instance's process fields after the fork: wait until it has (the
	// kernel orders the two; the Go memory model needs the channel).
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-i.ready:
		case <-r.Context().Done():
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// apiHandler is a Runtime API handler; its error is rendered by ServeHTTP.
type apiHandler func(w http.ResponseWriter, r *http.Request) error

// apiError is an error answered to the runtime.
type apiError struct {
	status  int
	errType string
	msg     string
}

func (e *apiError) Error() string { return e.errType + ": " + e.msg }

var (
	errInvalidRequestID = &apiError{http.StatusBadRequest, "InvalidRequestID", "Invalid request ID"}
	errTooLarge         = &apiError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
		"Exceeded maximum allowed payload size (" + strconv.Itoa(maxResponse) + " bytes)."}
)

func stateError(msg string) *apiError {
	return &apiError{http.StatusForbidden, "InvalidStateTransition", msg}
}

// ServeHTTP runs h and renders its error, the one place errors are written.
func (h apiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	err := h(w, r)
	if err == nil {
		return
	}
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusInternalServerError, "InternalServerError", "Internal Server Error"}
	}
	writeJSON(w, ae.status, map[string]string{"errorMessage": ae.msg, "errorType": ae.errType})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func notFound(http.ResponseWriter, *http.Request) error {
	return &apiError{http.StatusNotFound, "NotFound", "Unknown Runtime API path"}
}

func accepted(w http.ResponseWriter) error {
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
	return nil
}

// next long-polls for the next invocation. A call after a posted result
// completes that invocation.
func (i *instance) next(w http.ResponseWriter, r *http.Request) error {
	m := i.m
	m.mu.Lock()
	if i.state == stateDead {
		m.mu.Unlock()
		i.hangUp(w, r)
		return nil
	}
	if i.polling {
		m.mu.Unlock()
		return stateError("A /next request is already waiting")
	}
	if v := i.inv; v != nil && v.outcome == outcomeNone {
		switch {
		case v.phase == phaseRunning || v.receiving:
			m.mu.Unlock()
			return stateError("Invocation " + v.req.ID + " has no response yet")
		case v.phase == phaseResponded:
			v.end(m, outcomeCompleted)
		}
	}
	if i.state == stateStarting && !i.initDone {
		i.initDone = true
		i.initDuration = m.clock.Now().Sub(i.startedAt)
		if i.initTimer != nil {
			i.initTimer.Stop()
		}
	}
	i.polling = true
	for {
		if v := i.inv; v != nil && v.outcome == outcomeNone && v.phase == phasePending {
			break
		}
		m.mu.Unlock()
		select {
		case <-i.wake:
			m.mu.Lock()
		case <-i.dead:
			m.mu.Lock()
			i.polling = false
			m.mu.Unlock()
			i.hangUp(w, r)
			return nil
		case <-r.Context().Done():
			m.mu.Lock()
			i.polling = false
			m.mu.Unlock()
			return nil
		}
	}
	v := i.inv
	i.polling = false
	if i.state == stateStarting {
		i.setState(stateBusy)
	}
	v.phase = phaseRunning
	v.deliveredAt = m.clock.Now()
	deadline := v.deliveredAt.Add(v.fn.timeout())
	v.timer = m.clock.AfterFunc(v.fn.timeout(), func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		v.end(m, outcomeTimeout)
	})
	m.mu.Unlock()

	i.drainPipes() // output so far belongs before START
	i.logStart(v)
	if v.cold {
		// A floor, should the process not survive its first invocation; later
		// ones have the peak sampled at the end of the one before (VmHWM only
		// grows), so a warm invoke reads /proc once.
		i.sampleMemory()
	}
	writeEvent(w, v, deadline)
	return nil
}

// hangUp answers the /next of an instance being stopped with nothing: it
// holds the request until the process is gone (or the request ends), then
// drops the connection. Lambda does not answer a runtime it terminates
// either; an answer would be read as an event (the Node.js bootstrap once
// ran the handler with it) or logged as a complaint.
func (i *instance) hangUp(w http.ResponseWriter, r *http.Request) {
	select {
	case <-i.exited:
	case <-r.Context().Done():
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler) // no hijacking (HTTP/2): abort the stream instead
}

// writeEvent answers /next with v's event and its headers.
func writeEvent(w http.ResponseWriter, v *invocation, deadline time.Time) {
	arn := v.req.InvokedARN
	if arn == "" {
		arn = v.fn.ARN
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	for _, kv := range [][2]string{
		{hdrRequestID, v.req.ID},
		{hdrDeadline, strconv.FormatInt(deadline.UnixMilli(), 10)},
		{hdrInvokedARN, arn},
		{hdrTraceID, v.req.TraceID},
		{hdrClientContext, v.req.ClientContext},
		{hdrCognitoIdentity, v.req.CognitoIdentity},
	} {
		if kv[1] != "" {
			h.Set(kv[0], kv[1])
		}
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(v.req.Payload)
}

// response records the function's response. aws-lambda-go sends it chunked
// with the trailers Lambda-Runtime-Function-Error-Type/-Body, set when its
// reader failed midway.
func (i *instance) response(w http.ResponseWriter, r *http.Request) error {
	if mode := r.Header.Get(hdrResponseMode); mode != "" && mode != "streaming" {
		return &apiError{http.StatusBadRequest, "InvalidFunctionResponseMode", "Invalid function response mode"}
	}
	return i.post(w, r, func(body []byte) *result {
		if typ := r.Trailer.Get(hdrErrorType); typ != "" {
			payload, err := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrErrorBody))
			if err != nil || len(payload) == 0 {
				payload, _ = json.Marshal(map[string]string{"errorMessage": "", "errorType": typ})
			}
			return &result{payload: payload, functionError: "Unhandled", errorType: typ}
		}
		return &result{payload: body}
	})
}

// invocationError records the function's error, the body as sent.
func (i *instance) invocationError(w http.ResponseWriter, r *http.Request) error {
	return i.post(w, r, func(body []byte) *result { return errorResult(r, body) })
}

// errorResult is a runtime's error report: errorType from the header, else
// from the body.
func errorResult(r *http.Request, body []byte) *result {
	typ := r.Header.Get(hdrErrorType)
	if typ == "" {
		var e struct {
			ErrorType string `json:"errorType"`
		}
		_ = json.Unmarshal(body, &e)
		typ = e.ErrorType
	}
	if typ == "" {
		typ = "Runtime.Unknown"
	}
	if len(body) == 0 {
		body, _ = json.Marshal(map[string]string{"errorMessage": "", "errorType": typ})
	}
	return &result{payload: body, functionError: "Unhandled", errorType: typ}
}

// post reads a /response or /error body and records what build makes of it
// as the result of the invocation named in the path.
func (i *instance) post(w http.ResponseWriter, r *http.Request, build func([]byte) *result) error {
	m := i.m
	id := r.PathValue("id")
	m.mu.Lock()
	v := i.inv
	switch {
	case v == nil || v.req.ID != id || v.phase == phasePending || v.outcome != outcomeNone:
		m.mu.Unlock()
		return errInvalidRequestID
	case v.phase == phaseResponded || v.receiving:
		m.mu.Unlock()
		return stateError("Invocation " + id + " already has a result")
	}
	v.receiving = true
	m.mu.Unlock()

	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
	var res *result
	tooLarge := len(body) > maxResponse
	switch {
	case tooLarge:
		res = platformError("Function.ResponseSizeTooLarge",
			"Response payload size exceeded maximum allowed payload size ("+strconv.Itoa(maxResponse)+" bytes).")
	case err == nil:
		res = build(body) // trailers are read once the body is
	}

	m.mu.Lock()
	v.receiving = false
	if res == nil {
		m.mu.Unlock()
		return &apiError{http.StatusBadRequest, "InvalidRequest", "Reading the body failed"}
	}
	if v.outcome != outcomeNone {
		m.mu.Unlock()
		return errInvalidRequestID
	}
	v.result = res
	v.phase = phaseResponded
	close(v.responded)
	m.mu.Unlock()
	if tooLarge {
		return errTooLarge
	}
	return accepted(w)
}

// initError fails the instance's init: the pending invocation gets the body
// and the instance is discarded.
func (i *instance) initError(w http.ResponseWriter, r *http.Request) error {
	m := i.m
	m.mu.Lock()
	if i.state != stateStarting || i.initDone {
		m.mu.Unlock()
		return stateError("Init has already completed")
	}
	m.mu.Unlock()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	if err != nil {
		return &apiError{http.StatusBadRequest, "InvalidRequest", "Reading the body failed"}
	}
	res := errorResult(r, body)
	m.mu.Lock()
	if v := i.inv; v != nil && v.outcome == outcomeNone {
		v.result = res
		v.end(m, outcomeFailed)
	}
	m.mu.Unlock()
	return accepted(w)
}
