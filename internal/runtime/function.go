package runtime

import (
	"errors"
	"time"
)

// Function is what the Manager needs to know about a function to run it.
// Invoke does not keep the pointer beyond the call, except that a new
// instance copies the fields it needs when it starts.
type Function struct {
	Account, Region string
	// Name is the function name; (Account, Region, Name) identifies its pool.
	Name string
	// Version is the version being run, "$LATEST" when empty.
	Version string
	// ARN is the unqualified function ARN.
	ARN string
	// Runtime is the Lambda runtime identifier; see the runtimes table.
	Runtime string
	// Handler is the function's handler setting (_HANDLER).
	Handler string
	// CodeDir is the unpacked code, the task root and working directory.
	CodeDir string
	// Revision identifies code and configuration. An idle instance of another
	// revision is never reused; it is stopped.
	Revision string
	// MemoryMB is the configured memory, 128 when zero.
	MemoryMB int
	// EphemeralMB is the size of /tmp (EphemeralStorage), 512 when zero.
	EphemeralMB int
	// Timeout is the invocation timeout, 3 s when zero.
	Timeout time.Duration
	// Environment holds the user's variables. They may not override the
	// reserved Lambda variables.
	Environment map[string]string
	// ReservedConcurrency limits the function's concurrent executions; nil
	// means unreserved and 0 means always throttled.
	ReservedConcurrency *int
	// AccountReserved is the sum of the reservations of the account's
	// functions in the region: unreserved functions share what is left of
	// Config.AccountConcurrency, as on Lambda.
	AccountReserved int
	// LogGroup is the log group, "/aws/lambda/<Name>" when empty.
	LogGroup string
}

func (fn *Function) version() string {
	if fn.Version == "" {
		return "$LATEST"
	}
	return fn.Version
}

func (fn *Function) memoryMB() int {
	if fn.MemoryMB <= 0 {
		return 128
	}
	return fn.MemoryMB
}

func (fn *Function) ephemeralMB() int {
	if fn.EphemeralMB <= 0 {
		return 512
	}
	return fn.EphemeralMB
}

func (fn *Function) timeout() time.Duration {
	if fn.Timeout <= 0 {
		return 3 * time.Second
	}
	return fn.Timeout
}

func (fn *Function) logGroup() string {
	if fn.LogGroup == "" {
		return "/aws/lambda/" + fn.Name
	}
	return fn.LogGroup
}

// Request is one invocation.
type Request struct {
	// ID is the request id (Lambda-Runtime-Aws-Request-Id).
	ID string
	// Payload is the event, handed to the runtime as is.
	Payload []byte
	// InvokedARN is the ARN as invoked (Lambda-Runtime-Invoked-Function-Arn);
	// the function's ARN when empty.
	InvokedARN string
	// TraceID is the X-Ray trace header (Lambda-Runtime-Trace-Id).
	TraceID string
	// ClientContext is the decoded client context JSON, may be empty.
	ClientContext string
	// CognitoIdentity is the Cognito identity JSON, may be empty.
	CognitoIdentity string
	// Tail asks for the last 4 KB of the invocation's log in Response.LogTail.
	Tail bool
	// WaitForCapacity makes Invoke wait for a concurrency slot until ctx ends
	// instead of returning a *ThrottleError (asynchronous invokes).
	WaitForCapacity bool
}

// Response is the outcome of an invocation that ran (or tried to).
type Response struct {
	// Payload is the function's response, or the error JSON.
	Payload []byte
	// FunctionError is "" or "Unhandled".
	FunctionError string
	// ErrorType is the error's type when FunctionError is set, for example
	// "Sandbox.Timedout", "Runtime.ExitError" or the function's own type.
	ErrorType string
	// LogTail is, when Request.Tail, the last 4096 bytes of the invocation's
	// log, START to REPORT.
	LogTail []byte
	// The REPORT figures below are set when Invoke returned after the
	// invocation ended: with Request.Tail, or when it failed. Otherwise
	// Invoke answers as soon as the runtime posts its result, the figures
	// are zero, and they reach only the REPORT log line.
	//
	// Duration is the invocation's run time; BilledDuration adds the init
	// duration and rounds up to the millisecond, as REPORT does.
	Duration, BilledDuration time.Duration
	// InitDuration is the instance's init time on a cold start, 0 when warm.
	InitDuration time.Duration
	// MaxMemoryUsedMB is the process's peak resident memory, rounded up.
	MaxMemoryUsedMB int
	// ColdStart reports whether a new instance was started for this invocation.
	ColdStart bool
}

// Throttle reasons, as in Lambda's TooManyRequestsException.
const (
	ReasonReserved = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonAccount  = "ConcurrentInvocationLimitExceeded"
)

// ThrottleError is returned by Invoke when a synchronous invoke exceeds the
// function's reserved concurrency or the account's concurrency.
type ThrottleError struct {
	// Reason is ReasonReserved or ReasonAccount.
	Reason string
}

// Error implements error.
func (e *ThrottleError) Error() string { return "runtime: throttled: " + e.Reason }

// ErrClosed is returned by Invoke once Close has been called, and for an
// invocation that Close had to kill.
var ErrClosed = errors.New("runtime: manager closed")

// ErrUnsupportedRuntime is returned by Invoke for a runtime the Manager
// cannot run.
var ErrUnsupportedRuntime = errors.New("runtime: unsupported runtime")
