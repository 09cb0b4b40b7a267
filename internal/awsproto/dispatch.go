package awsproto

import (
	"context"
	"net/http"
)

// Dispatch runs one request through the service: it finds the operation,
// decodes and validates the input, and calls the handler with ctx. op is
// nil when no operation was found. A non-nil err is either an
// *awserr.Error for the client or an internal failure the caller logs.
func (s *Spec) Dispatch(ctx context.Context, r *http.Request, body []byte) (op *Operation, out any, err error) {
	op, labels, aerr := s.Resolve(r)
	if aerr != nil {
		return nil, nil, aerr
	}
	in, aerr := s.Decode(r, body, op, labels)
	if aerr != nil {
		return op, nil, aerr
	}
	if aerr := s.Validate(in); aerr != nil {
		return op, nil, aerr
	}
	out, err = op.Call(ctx, in)
	return op, out, err
}
