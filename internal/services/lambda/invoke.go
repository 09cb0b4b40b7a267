package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/runtime"
	"github.com/nimbus-dev/nimbus/internal/trace"
)

// Payload limits of Invoke, as Lambda's quotas give them.
const (
	maxSyncPayload  = 6291456
	maxAsyncPayload = 1048576
)

// Invoke runs the function synchronously (RequestResponse), queues it
// (Event) or only checks the call (DryRun).
func (s *Service) Invoke(ctx context.Context, in *InvocationRequest) (*InvocationResponse, error) {
	f, t, err := s.findVersion(ctx, ptr.ValueOr(in.FunctionName, ""), in.Qualifier)
	if err != nil {
		return nil, err
	}
	payload := in.Payload
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	invocationType := ptr.ValueOr(in.InvocationType, "RequestResponse")
	switch invocationType {
	case "RequestResponse":
		if len(payload) > maxSyncPayload {
			return nil, requestTooLarge(maxSyncPayload)
		}
	case "Event":
		if len(payload) > maxAsyncPayload {
			return nil, requestTooLarge(maxAsyncPayload)
		}
	}
	if !utf8.Valid(payload) || !json.Valid(payload) {
		return nil, ErrInvalidRequestContentException("Could not parse request body into json: Could not parse payload into json: Unexpected character: expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')")
	}
	info := awsproto.Info(ctx)
	hdr := trace.Continue(trace.Parse(info.TraceHeader), s.cfg.Clock.Now())
	switch invocationType {
	case "DryRun":
		return &InvocationResponse{StatusCode: ptr.To(int32(http.StatusNoContent))}, nil
	case "Event":
		if err := s.enqueueAsync(f, t, info.ID, payload, hdr); err != nil {
			return nil, err
		}
		return &InvocationResponse{StatusCode: ptr.To(int32(http.StatusAccepted))}, nil
	}

	var clientContext string
	if in.ClientContext != nil {
		raw, err := base64.StdEncoding.DecodeString(*in.ClientContext)
		if err != nil || !json.Valid(raw) {
			return nil, ErrInvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.")
		}
		clientContext = string(raw)
	}
	tail := ptr.ValueOr(in.LogType, "None") == "Tail"
	// As on AWS, a run outlives a caller that hangs up; its deadline bounds it.
	resp, err := s.invoke(context.WithoutCancel(ctx), f, &runtime.Request{
		ID:            info.ID,
		Payload:       payload,
		InvokedARN:    t.arn(),
		TraceID:       hdr.String(),
		ClientContext: clientContext,
		Tail:          tail,
	})
	if errors.Is(err, errFunctionGone) {
		return nil, ErrResourceNotFoundException("Function not found: %s", arn.Lambda(f.Region, f.Account, f.Name)+":"+latest)
	}
	if err != nil {
		return nil, invokeError(err)
	}
	out := &InvocationResponse{
		StatusCode:      ptr.To(int32(http.StatusOK)),
		Payload:         resp.Payload,
		ExecutedVersion: ptr.To(latest),
	}
	if resp.FunctionError != "" {
		out.FunctionError = ptr.To(resp.FunctionError)
	}
	if tail {
		out.LogResult = ptr.To(base64.StdEncoding.EncodeToString(resp.LogTail))
	}
	return out, nil
}

// invokeError turns a runtime failure into the API's error.
func invokeError(err error) error {
	var throttle *runtime.ThrottleError
	if errors.As(err, &throttle) {
		e := ErrTooManyRequestsException("Rate Exceeded.")
		e.With("Reason", throttle.Reason)
		e.Header = http.Header{"Retry-After": {"1"}}
		return e
	}
	return err
}

func requestTooLarge(limit int) *awserr.Error {
	e := awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
		"Request must be smaller than %d bytes for the InvokeFunction operation", limit)
	e.MessageMember = "Message"
	return e.With("Type", "User")
}

// runtimeFunction describes f to the runtime.
func (s *Service) runtimeFunction(f *function) *runtime.Function {
	fn := &runtime.Function{
		Account:     f.Account,
		Region:      f.Region,
		Name:        f.Name,
		Version:     latest,
		ARN:         f.arn(),
		Runtime:     f.Runtime,
		Handler:     f.Handler,
		CodeDir:     s.codeDir(f.CodeHex),
		Revision:    f.RevisionID,
		MemoryMB:    int(f.MemorySize),
		EphemeralMB: int(f.Ephemeral),
		Timeout:     time.Duration(f.Timeout) * time.Second,
		Environment: f.Environment,
		LogGroup:    f.logGroup(),
	}
	if f.Reserved != nil {
		n := int(*f.Reserved)
		fn.ReservedConcurrency = &n
	}
	s.mu.RLock()
	fn.AccountReserved = int(s.reserved[regionKey{f.Account, f.Region}])
	s.mu.RUnlock()
	return fn
}
