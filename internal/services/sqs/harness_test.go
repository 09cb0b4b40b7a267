package sqs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"go.uber.org/goleak"

	"github.com/nimbus-dev/nimbus/internal/auth"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/edge"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// The tests of this file's package drive one Service through the real SDK
// client, served by the edge on an httptest server, so that they can
// restart the service on its store, lower its limits and wait on its
// background work. The sqs_test package's tests run whole servers.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// armClock is a fake clock that reports each timer armed on it, the
// deterministic signal that a long poll is waiting or a sweep has run.
type armClock struct {
	*clock.Fake
	armed chan time.Duration
}

func newArmClock() *armClock {
	return &armClock{Fake: clock.NewFake(epoch), armed: make(chan time.Duration, 64)}
}

// AfterFunc arms a timer and reports its duration, if a test listens.
func (c *armClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	t := c.Fake.AfterFunc(d, f)
	select {
	case c.armed <- d:
	default:
	}
	return t
}

// waitArmed waits until a timer of d is armed.
func (c *armClock) waitArmed(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case got := <-c.armed:
			if got == d {
				return
			}
		case <-deadline:
			t.Fatalf("no timer of %v was armed", d)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// env is a Service on a store, served to a real SDK client.
type env struct {
	t     *testing.T
	opts  envOptions
	db    *storage.DB
	svc   *Service
	edge  atomic.Pointer[edge.Edge]
	srv   *httptest.Server
	c     *sqs.Client
	clock *armClock
}

// envOptions configure an env; the zero value is an in-memory store.
type envOptions struct {
	// dir holds the store on disk ("" keeps it in memory, and restarts
	// keep it open).
	dir string
	// limit lowers the in-flight limit.
	limit int
}

func startEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	e := &env{t: t, opts: opts, clock: newArmClock()}
	e.open()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.edge.Load().ServeHTTP(w, r)
	}))
	e.c = sqs.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")},
		func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
	t.Cleanup(func() {
		e.srv.Close()
		e.close(true)
	})
	return e
}

// open opens the store (unless it is open) and starts a service on it.
func (e *env) open() {
	e.t.Helper()
	if e.db == nil {
		db, err := storage.Open(e.opts.dir, storage.Options{InMemory: e.opts.dir == "", Logger: quiet()})
		if err != nil {
			e.t.Fatal(err)
		}
		e.db = db
	}
	svc, err := New(Config{DB: e.db, Clock: e.clock, inFlightLimit: e.opts.limit, Logger: quiet()})
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc = svc
	accounts, err := auth.NewAccounts()
	if err != nil {
		e.t.Fatal(err)
	}
	e.edge.Store(edge.New(edge.Config{Services: []*awsproto.Spec{svc.Spec()}, Accounts: accounts}))
}

// close closes the service and, on disk or when the test ends, the
// store.
func (e *env) close(final bool) {
	e.t.Helper()
	if e.svc != nil {
		if err := e.svc.Close(); err != nil {
			e.t.Errorf("Close: %v", err)
		}
		e.svc = nil
	}
	if e.db != nil && (final || e.opts.dir != "") {
		if err := e.db.Close(); err != nil {
			e.t.Errorf("closing the store: %v", err)
		}
		e.db = nil
	}
}

// restart closes the service (and a store on disk) and starts it again.
func (e *env) restart() {
	e.t.Helper()
	e.close(false)
	e.open()
}

func (e *env) createQueue(name string, attrs map[string]string) string {
	e.t.Helper()
	out, err := e.c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		e.t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func (e *env) send(url, body string, extra ...func(*sqs.SendMessageInput)) *sqs.SendMessageOutput {
	e.t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}
	for _, f := range extra {
		f(in)
	}
	out, err := e.c.SendMessage(context.Background(), in)
	if err != nil {
		e.t.Fatalf("SendMessage: %v", err)
	}
	return out
}

func (e *env) receive(url string, n int32, extra ...func(*sqs.ReceiveMessageInput)) []types.Message {
	e.t.Helper()
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: n,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}}
	for _, f := range extra {
		f(in)
	}
	out, err := e.c.ReceiveMessage(context.Background(), in)
	if err != nil {
		e.t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func (e *env) delete(url string, handle *string) error {
	_, err := e.c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: handle})
	return err
}

// counts returns the queue's visible, in-flight and delayed counts.
func (e *env) counts(url string) [3]string {
	e.t.Helper()
	out, err := e.c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		e.t.Fatalf("GetQueueAttributes: %v", err)
	}
	a := out.Attributes
	return [3]string{a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"], a["ApproximateNumberOfMessagesDelayed"]}
}

func bodies(msgs []types.Message) []string {
	out := []string{}
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

// wantAPIError checks err's code and message as the SDK surfaces them.
func wantAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (message != "" && ae.ErrorMessage() != message) {
		t.Errorf("error = %s: %q, want %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
}
