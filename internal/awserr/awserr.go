// Package awserr is the one error type for errors Nimbus answers to AWS
// clients. Each wire protocol renders an *Error in its own shape (see
// internal/awsproto); services only build them.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Fault says whose fault an error is, as the query protocol's <Type> does.
type Fault int

const (
	// Sender means the request was wrong (HTTP 4xx).
	Sender Fault = iota
	// Receiver means the service failed (HTTP 5xx).
	Receiver
)

// Error is an AWS-shaped error: a code the SDKs map to a typed error, a
// human message, and the HTTP status. Fields holds extra members of the
// error shape (Lambda's "Type" and "Reason", DynamoDB's "Item"…), encoded
// beside the message by protocols that carry them.
type Error struct {
	Code    string
	Message string
	Status  int
	Fault   Fault
	// Fields are extra members of the error shape, by member name.
	Fields map[string]any
	// Header holds extra response headers (for example Retry-After).
	Header http.Header
	// MessageMember is the error shape's name for the message member,
	// "message" when empty (Lambda's shapes say "Message").
	MessageMember string
	// QueryCode is the code the query protocol uses when it differs from
	// Code (SQS's "AWS.SimpleQueueService.NonExistentQueue"); JSON services
	// that are query-compatible send it in x-amzn-query-error.
	QueryCode string
}

// New returns an error with the given status, code and formatted message.
// A status of 500 or more makes it a Receiver fault.
func New(status int, code, format string, args ...any) *Error {
	e := &Error{Code: code, Status: status}
	if len(args) == 0 {
		e.Message = format
	} else {
		e.Message = fmt.Sprintf(format, args...)
	}
	if status >= 500 {
		e.Fault = Receiver
	}
	return e
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// With returns e with an extra member of the error shape set.
func (e *Error) With(member string, value any) *Error {
	if e.Fields == nil {
		e.Fields = map[string]any{}
	}
	e.Fields[member] = value
	return e
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// NotImplemented answers an operation or service Nimbus does not serve yet.
func NotImplemented(service, operation string) *Error {
	if operation == "" {
		return New(http.StatusNotImplemented, "NotImplemented",
			"The service %s is not implemented by Nimbus yet", service)
	}
	return New(http.StatusNotImplemented, "NotImplemented",
		"The operation %s of service %s is not implemented by Nimbus yet", operation, service)
}

// Internal is the error sent for a failure whose detail is logged, not sent.
func Internal() *Error {
	return New(http.StatusInternalServerError, "InternalFailure",
		"The request processing has failed because of an unknown error, exception or failure.")
}
