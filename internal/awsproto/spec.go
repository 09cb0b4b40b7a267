// Package awsproto speaks the AWS wire protocols from the server's side:
// it finds the operation a request is for, decodes the request into the
// operation's generated input struct, and encodes the output or the error
// in the protocol's exact shape.
//
// Services describe themselves with a Spec (generated from the AWS model by
// internal/awsgen); awsproto never knows a service by name.
package awsproto

import (
	"context"
	"sync"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// Protocol is an AWS wire protocol.
type Protocol string

// The wire protocols, named as in the models' metadata.
const (
	RestJSON Protocol = "rest-json"
	JSON10   Protocol = "json1.0"
	JSON11   Protocol = "json1.1"
	Query    Protocol = "query"
	RestXML  Protocol = "rest-xml"
)

// Spec describes one AWS service as Nimbus serves it: its names, its
// protocol and its operations. Specs are generated; see internal/awsgen.
type Spec struct {
	// Name is the model's serviceId ("Lambda", "CloudWatch Logs").
	Name string
	// SigningName is the SigV4 credential scope's service ("lambda", "logs").
	SigningName string
	Protocol    Protocol
	// TargetPrefix is the X-Amz-Target prefix of JSON protocols.
	TargetPrefix string
	APIVersion   string
	XMLNamespace string
	// QueryCompatible services send x-amzn-query-error with JSON errors.
	QueryCompatible bool
	// CRC32 services (DynamoDB) send x-amz-crc32 with their answers.
	CRC32 bool
	// QueryProtocol, when set, makes a service of another protocol answer
	// query-protocol requests too (form posts with an Action), spelling
	// members as it says; see CodecFor. Services whose Protocol is Query
	// may leave it nil to keep the JSON names.
	QueryProtocol *QueryProtocol
	// ValidationCode is the error code of model constraint violations;
	// default "ValidationException".
	ValidationCode string
	// PreValidate, when set, runs before the model's constraints are
	// checked, for the constraints AWS answers in words of its own rather
	// than the generic "1 validation error detected: …"; a non-nil error is
	// the answer.
	PreValidate func(in any) *awserr.Error
	Operations  []Operation

	once   sync.Once
	byName map[string]*Operation
	routes []route
	// queryFieldCache maps a struct type to its []queryField.
	queryFieldCache sync.Map
}

// Operation is one operation of a service.
type Operation struct {
	Name string
	// Method, Path and Status are the HTTP binding of REST protocols; Status
	// is the success status (0 means 200).
	Method string
	Path   string
	Status int
	// ResultWrapper names the query protocol's result element.
	ResultWrapper string
	// NewInput returns a new, empty input struct of the operation.
	NewInput func() any
	// Call runs the operation's handler with an input from NewInput.
	Call func(ctx context.Context, in any) (any, error)
}

// Empty is the input of operations whose model has none.
type Empty struct{}

func (s *Spec) init() {
	s.once.Do(func() {
		s.byName = make(map[string]*Operation, len(s.Operations))
		for i := range s.Operations {
			op := &s.Operations[i]
			s.byName[op.Name] = op
			if op.Path != "" {
				s.routes = append(s.routes, newRoute(op))
			}
		}
		sortRoutes(s.routes)
	})
}

// Operation returns the named operation, or nil.
func (s *Spec) Operation(name string) *Operation {
	s.init()
	return s.byName[name]
}

// Validatable is implemented by generated input structs.
type Validatable interface {
	Validate(v *Validator, path string)
}

// RequestInfo is what the edge learned about a request, for the handlers.
type RequestInfo struct {
	// ID is the request id sent back in x-amzn-RequestId.
	ID string
	// Account and Region own the resources the request touches.
	Account string
	Region  string
	// AccessKeyID is the caller's key ("" when unsigned).
	AccessKeyID string
	// Host is the Host header the client used, for URLs built from it.
	Host string
	// Scheme is "http" or "https".
	Scheme string
	// TraceHeader is the X-Amzn-Trace-Id the request carried, if any.
	TraceHeader string
}

type infoKey struct{}

// WithInfo returns ctx carrying info.
func WithInfo(ctx context.Context, info *RequestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, info)
}

// Info returns the request's RequestInfo. Outside a request it returns
// an info for account 000000000000 in us-east-1, so handlers never see nil.
func Info(ctx context.Context) *RequestInfo {
	if info, ok := ctx.Value(infoKey{}).(*RequestInfo); ok {
		return info
	}
	return &RequestInfo{Account: "000000000000", Region: "us-east-1", Scheme: "http"}
}
