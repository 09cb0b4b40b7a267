package logs_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/services/logs"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// The accounts tests sign as: the access key is the account id.
const (
	account1 = "111111111111"
	account2 = "222222222222"
	region   = "us-east-1"
)

// epoch is the fake clock's start.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// env is one Service behind an HTTP server, as the edge will serve it.
type env struct {
	svc   *logs.Service
	db    *storage.DB
	clock *clock.Fake
	srv   *httptest.Server
}

// start starts a Service on an in-memory DB with a fake clock at epoch and
// the sweeper off unless cfg says otherwise.
func start(t *testing.T, configure ...func(*logs.Config)) *env {
	t.Helper()
	db, err := storage.Open("", storage.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{db: db, clock: clock.NewFake(epoch)}
	cfg := logs.Config{DB: db, Clock: e.clock, SweepInterval: -1}
	for _, f := range configure {
		f(&cfg)
	}
	if e.svc, err = logs.New(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.svc.Close() })
	e.srv = httptest.NewServer(serve(t, e.svc.Spec()))
	t.Cleanup(e.srv.Close)
	return e
}

// credentialScope reads account (the access key) and region from a SigV4
// Authorization header.
var credentialScope = regexp.MustCompile(`Credential=([^/]+)/[^/]+/([^/]+)/`)

// serve mirrors the edge: resolve, decode, validate, call, encode.
func serve(t *testing.T, spec *awsproto.Spec) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &awsproto.RequestInfo{ID: "test-request", Account: "000000000000", Region: "us-east-1"}
		if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			info.Account, info.Region = m[1], m[2]
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			spec.WriteError(w, awserr.Internal())
			return
		}
		op, out, err := spec.Dispatch(awsproto.WithInfo(r.Context(), info), r, body)
		if err != nil {
			if e, ok := awserr.As(err); ok {
				spec.WriteError(w, e)
				return
			}
			t.Errorf("internal error: %v", err)
			spec.WriteError(w, awserr.Internal())
			return
		}
		spec.WriteOutput(w, op, out)
	})
}

// client returns an SDK client signing as account in region us-east-1.
func (e *env) client(account string) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       region,
		BaseEndpoint: aws.String(e.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(account, "secret", ""),
		HTTPClient:   e.srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
}

// apiError is an SDK typed error.
type apiError interface {
	error
	ErrorMessage() string
}

// wantError asserts that err is an E with message msg.
func wantError[E apiError](t *testing.T, err error, msg string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("error = %v, want %T", err, target)
	}
	if got := target.ErrorMessage(); got != msg {
		t.Errorf("message = %q, want %q", got, msg)
	}
}

// errorCheck is a table field: nil for success, else a check of the error.
type errorCheck func(t *testing.T, err error)

func errorIs[E apiError](msg string) errorCheck {
	return func(t *testing.T, err error) {
		t.Helper()
		wantError[E](t, err, msg)
	}
}

func checkError(t *testing.T, err error, check errorCheck) {
	t.Helper()
	switch {
	case check == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case check != nil:
		check(t, err)
	}
}

var (
	errGroupNotFound  = errorIs[*types.ResourceNotFoundException]("The specified log group does not exist.")
	errStreamNotFound = errorIs[*types.ResourceNotFoundException]("The specified log stream does not exist.")
	errBadToken       = errorIs[*types.InvalidParameterException]("The specified nextToken is invalid.")
)

// must fails the test on err.
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var ctx = context.Background()

// createGroup creates a group and streams in it.
func createGroup(t *testing.T, c *cloudwatchlogs.Client, group string, streams ...string) {
	t.Helper()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &group}); err != nil {
		t.Fatalf("CreateLogGroup %q: %v", group, err)
	}
	for _, s := range streams {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: &group, LogStreamName: aws.String(s)}); err != nil {
			t.Fatalf("CreateLogStream %q: %v", s, err)
		}
	}
}

// put appends messages to a stream, at ms milliseconds after the fake
// clock's now, and fails on any rejection.
func put(t *testing.T, e *env, c *cloudwatchlogs.Client, group, stream string, events ...event) {
	t.Helper()
	in := &cloudwatchlogs.PutLogEventsInput{LogGroupName: &group, LogStreamName: &stream}
	for _, ev := range events {
		in.LogEvents = append(in.LogEvents, types.InputLogEvent{
			Timestamp: aws.Int64(e.clock.Now().UnixMilli() + ev.ms),
			Message:   aws.String(ev.msg),
		})
	}
	out, err := c.PutLogEvents(ctx, in)
	if err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
	if out.RejectedLogEventsInfo != nil {
		t.Fatalf("PutLogEvents rejected events: %+v", *out.RejectedLogEventsInfo)
	}
}

// event is a message at an offset in milliseconds from the fake clock.
type event struct {
	ms  int64
	msg string
}

func ev(ms int64, msg string) event { return event{ms, msg} }

// ms is epoch plus offset, in epoch milliseconds.
func ms(offset int64) int64 { return epoch.UnixMilli() + offset }
