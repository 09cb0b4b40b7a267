// Package edge is Nimbus's front door: one http.Handler that takes every
// AWS API call on the single port, gives it a request id, finds the service
// and operation it is for, checks its signature when asked to, and hands it
// to the service through the service's wire protocol.
package edge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/nimbus-dev/nimbus/internal/auth"
	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ids"
)

// DefaultMaxBody is the largest request body the edge reads: Lambda's
// CreateFunction takes a 50 MB zip as base64 JSON (about 70 MB).
const DefaultMaxBody = 80 << 20

// DefaultRegion is the region of unsigned requests.
const DefaultRegion = "us-east-1"

// Config wires the edge. Services and Accounts are required.
type Config struct {
	// Services are the APIs served, matched in order.
	Services []*awsproto.Spec
	// Accounts maps access keys to accounts.
	Accounts *auth.Accounts
	// Verifier checks SigV4 signatures; nil accepts any credentials (the
	// default on loopback addresses).
	Verifier *auth.Verifier
	// Internal serves paths under /_nimbus/ (health, admin); may be nil.
	Internal http.Handler
	// IDs makes request ids; default ids.Random{}.
	IDs ids.Generator
	// Logger logs internal errors; default slog.Default().
	Logger *slog.Logger
	// MaxBody bounds request bodies; default DefaultMaxBody.
	MaxBody int64
}

// Edge is the front door http.Handler. It is safe for concurrent use.
type Edge struct {
	cfg       Config
	bySigning map[string][]*awsproto.Spec
	byTarget  map[string]*awsproto.Spec
	rest      []*awsproto.Spec
	query     []*awsproto.Spec // services that answer query-protocol requests
	// inFlight counts API requests being served (not /_nimbus/ ones).
	inFlight atomic.Int64
}

// InFlight returns how many API requests are being served right now,
// long polls included.
func (e *Edge) InFlight() int { return int(e.inFlight.Load()) }

// New returns an Edge serving cfg.Services.
func New(cfg Config) *Edge {
	if cfg.IDs == nil {
		cfg.IDs = ids.Random{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	e := &Edge{cfg: cfg, bySigning: map[string][]*awsproto.Spec{}, byTarget: map[string]*awsproto.Spec{}}
	for _, s := range cfg.Services {
		e.bySigning[s.SigningName] = append(e.bySigning[s.SigningName], s)
		if s.TargetPrefix != "" {
			e.byTarget[s.TargetPrefix] = s
		}
		if s.Protocol == awsproto.RestJSON || s.Protocol == awsproto.RestXML {
			e.rest = append(e.rest, s)
		}
		if s.SpeaksQuery() {
			e.query = append(e.query, s)
		}
	}
	return e
}

// ServeHTTP implements http.Handler.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_nimbus/") && e.cfg.Internal != nil {
		e.cfg.Internal.ServeHTTP(w, r)
		return
	}
	e.inFlight.Add(1)
	defer e.inFlight.Add(-1)
	requestID := e.cfg.IDs.RequestID()
	w.Header().Set("X-Amzn-Requestid", requestID)
	var codec awsproto.Codec
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			e.cfg.Logger.Error("panic serving request", "request_id", requestID, "panic", p, "stack", string(debug.Stack()))
			if codec != nil {
				codec.WriteError(w, awserr.Internal())
				return
			}
			awsproto.WriteJSONError(w, awsproto.RestJSON, false, awserr.Internal())
		}
	}()
	spec, serviceName := e.identify(r)
	var body []byte
	if spec == nil && serviceName == "" && awsproto.IsQueryRequest(r) {
		// An unsigned query request names only its Action; its body is
		// read now to find it, and not again.
		var err error
		if body, err = readBody(w, r, e.cfg.MaxBody); err != nil {
			writeBodyError(w, func(w http.ResponseWriter, e *awserr.Error) { awsproto.WriteQueryError(w, e, requestID) }, err, e.cfg.MaxBody)
			return
		}
		spec = e.identifyAction(awsproto.QueryAction(r, body))
	}
	if spec == nil {
		if serviceName == "" {
			serviceName = "unknown"
		}
		writeUnknownServiceError(w, r, serviceName, requestID)
		return
	}
	codec = spec.CodecFor(r, requestID)
	e.serve(w, r, exchange{spec: spec, codec: codec, requestID: requestID, body: body})
}

// identify finds the service a request is for: by the SigV4 credential
// scope, then X-Amz-Target, then the REST path. It returns the scope's
// service name when no Spec serves it. Unsigned query requests are left to
// identifyAction, which needs their body.
func (e *Edge) identify(r *http.Request) (*awsproto.Spec, string) {
	target := r.Header.Get("X-Amz-Target")
	targetPrefix, _, _ := strings.Cut(target, ".")
	if _, service, _, ok := auth.ScopeOf(r); ok {
		specs := e.bySigning[service]
		switch len(specs) {
		case 0:
			return nil, service
		case 1:
			return specs[0], service
		}
		for _, s := range specs {
			if s.TargetPrefix != "" && s.TargetPrefix == targetPrefix {
				return s, service
			}
		}
		for _, s := range specs {
			if s.TargetPrefix == "" && s.PathMatches(r) {
				return s, service
			}
		}
		return specs[0], service
	}
	if target != "" {
		if s := e.byTarget[targetPrefix]; s != nil {
			return s, ""
		}
		return nil, targetPrefix
	}
	for _, s := range e.rest {
		if s.PathMatches(r) {
			return s, ""
		}
	}
	return nil, ""
}

// identifyAction finds the service of an unsigned query request by its
// Action, among the services that speak the query protocol.
func (e *Edge) identifyAction(action string) *awsproto.Spec {
	if action == "" {
		return nil
	}
	for _, s := range e.query {
		if s.Operation(action) != nil {
			return s
		}
	}
	return nil
}

// exchange is what the edge knows of a request before serving it.
type exchange struct {
	spec      *awsproto.Spec
	codec     awsproto.Codec // the protocol the request speaks
	requestID string
	body      []byte // the body when it was read already (non-nil), nil otherwise
}

// serve answers a request for x.spec in the protocol of x.codec.
func (e *Edge) serve(w http.ResponseWriter, r *http.Request, x exchange) {
	spec, codec, body := x.spec, x.codec, x.body
	if body == nil {
		var err error
		if body, err = readBody(w, r, e.cfg.MaxBody); err != nil {
			writeBodyError(w, codec.WriteError, err, e.cfg.MaxBody)
			return
		}
	}
	info := &awsproto.RequestInfo{ID: x.requestID, Region: DefaultRegion, Host: r.Host, Scheme: "http",
		TraceHeader: r.Header.Get("X-Amzn-Trace-Id")}
	if r.TLS != nil {
		info.Scheme = "https"
	}
	if aerr := e.authenticate(r, body, info); aerr != nil {
		codec.WriteError(w, aerr)
		return
	}
	ctx := awsproto.WithInfo(r.Context(), info)
	op, out, err := codec.Dispatch(ctx, r, body)
	if err != nil {
		if r.Context().Err() != nil {
			// The client went away; nobody reads the answer.
			return
		}
		e.writeError(ctx, w, spec, codec, err)
		return
	}
	codec.WriteOutput(w, op, out)
}

// writeBodyError answers a body that could not be read.
func writeBodyError(w http.ResponseWriter, write func(http.ResponseWriter, *awserr.Error), err error, limit int64) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		write(w, awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException",
			"Request must be smaller than %d bytes", limit))
		return
	}
	write(w, awserr.New(http.StatusBadRequest, "SerializationException", "Could not read the request body"))
}

// authenticate fills in the caller's account and region, and verifies the
// signature when the edge is configured to.
func (e *Edge) authenticate(r *http.Request, body []byte, info *awsproto.RequestInfo) *awserr.Error {
	sig, err := auth.ParseRequest(r)
	if err != nil {
		if aerr, ok := awserr.As(err); ok {
			return aerr
		}
		return awserr.New(http.StatusBadRequest, "IncompleteSignatureException", "%v", err)
	}
	if sig == nil {
		if e.cfg.Verifier != nil {
			e := awserr.New(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
			e.QueryCode = "MissingAuthenticationToken"
			return e
		}
		info.Account = e.cfg.Accounts.AccountFor("")
		return nil
	}
	if sig.Region != "" {
		info.Region = sig.Region
	}
	info.AccessKeyID = sig.AccessKeyID
	info.Account = e.cfg.Accounts.AccountFor(sig.AccessKeyID)
	if e.cfg.Verifier != nil {
		sum := sha256.Sum256(body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := e.cfg.Verifier.Verify(r, sig, hex.EncodeToString(sum[:])); err != nil {
			if aerr, ok := awserr.As(err); ok {
				return aerr
			}
			return awserr.New(http.StatusForbidden, "InvalidSignatureException", "%v", err)
		}
	}
	return nil
}

func (e *Edge) writeError(ctx context.Context, w http.ResponseWriter, spec *awsproto.Spec, codec awsproto.Codec, err error) {
	if aerr, ok := awserr.As(err); ok {
		codec.WriteError(w, aerr)
		return
	}
	e.cfg.Logger.Error("internal error", "service", spec.Name, "request_id", awsproto.Info(ctx).ID, "error", err)
	codec.WriteError(w, awserr.Internal())
}

// writeUnknownServiceError answers a service Nimbus does not serve, in the
// protocol its client will parse: the query protocol's XML for form posts,
// S3's XML for S3, awsJson for X-Amz-Target calls, restJson otherwise.
func writeUnknownServiceError(w http.ResponseWriter, r *http.Request, service, requestID string) {
	e := awserr.NotImplemented(service, "")
	switch {
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		awsproto.WriteQueryError(w, e, requestID)
	case service == "s3":
		awsproto.WriteRestXMLError(w, e, requestID)
	case r.Header.Get("X-Amz-Target") != "":
		awsproto.WriteJSONError(w, awsproto.JSON10, false, e)
	default:
		awsproto.WriteJSONError(w, awsproto.RestJSON, false, e)
	}
}

// readBody reads the request body up to limit bytes, in one allocation
// when the client declared its length (a function zip is megabytes).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength <= 0 || r.ContentLength > limit {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
