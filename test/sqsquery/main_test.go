package sqsquery

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// nimbusURL is the Nimbus the tests share: the working tree's cmd/nimbus,
// built in the main module (../..) with its own dependencies and run as
// `nimbus up --ephemeral`. Each test names its own queues.
//
// This module does not require github.com/nimbus-dev/nimbus: Nimbus's
// go.mod requires a current aws-sdk-go-v2/service/sqs (for its own tests),
// and minimal version selection would lift this module's client to that
// version, which speaks awsJson1.0, not the query protocol under test.
var nimbusURL *url.URL

func TestMain(m *testing.M) {
	stop, err := startNimbus()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqsquery:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "sqsquery:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// startNimbus builds and starts Nimbus on a free loopback port and waits
// until it is healthy. stop ends it with SIGTERM, as a user's ^C does.
func startNimbus() (stop func() error, err error) {
	dir, err := os.MkdirTemp("", "sqsquery-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "nimbus")
	build := exec.Command("go", "build", "-o", bin, "./cmd/nimbus")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("building nimbus: %v\n%s", err, out)
	}
	var lastErr error
	for range 3 { // a free port may be taken before Nimbus binds it
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		var logs bytes.Buffer
		cmd := exec.Command(bin, "up", "--ephemeral", "--addr", addr, "--isolation", "off", "--log-level", "warn")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitHealthy("http://"+addr, exited); err != nil {
			cmd.Process.Kill()
			<-exited
			lastErr = fmt.Errorf("%v\n%s", err, logs.String())
			continue
		}
		nimbusURL = &url.URL{Scheme: "http", Host: addr}
		return func() error {
			defer os.RemoveAll(dir)
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				if err != nil {
					return fmt.Errorf("nimbus exited with %v\n%s", err, logs.String())
				}
				return nil
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-exited
				return fmt.Errorf("nimbus did not stop within 30s of SIGTERM\n%s", logs.String())
			}
		}, nil
	}
	os.RemoveAll(dir)
	return nil, fmt.Errorf("starting nimbus: %v", lastErr)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitHealthy polls the health endpoint until it answers 200.
func waitHealthy(base string, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("nimbus exited early: %v", err)
		default:
		}
		resp, err := http.Get(base + "/_nimbus/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nimbus at %s was not healthy within 60s", base)
}

// exchange is one request a client sent through the recorder.
type exchange struct {
	method, path, contentType, target, action string
	status                                    int
}

// recorder is a reverse proxy in front of Nimbus that remembers how each
// request was sent, so a test can prove its client spoke the query
// protocol. The Host header is kept, so queue URLs point at the proxy.
type recorder struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	seen  []exchange
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	x := exchange{method: r.Method, path: r.URL.Path, contentType: r.Header.Get("Content-Type"), target: r.Header.Get("X-Amz-Target")}
	if vals, err := url.ParseQuery(string(body)); err == nil {
		x.action = vals.Get("Action")
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	rec.proxy.ServeHTTP(sw, r)
	x.status = sw.status
	rec.mu.Lock()
	rec.seen = append(rec.seen, x)
	rec.mu.Unlock()
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// exchanges returns what went through the recorder so far.
func (rec *recorder) exchanges() []exchange {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]exchange(nil), rec.seen...)
}

// checkQuery fails t unless every request was a query-protocol form post.
func (rec *recorder) checkQuery(t *testing.T) {
	t.Helper()
	seen := rec.exchanges()
	if len(seen) == 0 {
		t.Error("no request went through the recorder")
	}
	for _, x := range seen {
		mt, _, _ := mime.ParseMediaType(x.contentType)
		if x.method != http.MethodPost || mt != "application/x-www-form-urlencoded" || x.target != "" || x.action == "" {
			t.Errorf("a request was not a query form post: %+v", x)
		}
	}
}

// actions returns the Actions sent, in order.
func (rec *recorder) actions() []string {
	var out []string
	for _, x := range rec.exchanges() {
		out = append(out, x.action)
	}
	return out
}

// newRecorder starts a recording proxy for one test; its cleanup checks
// that every request was a query form post.
func newRecorder(t *testing.T) (*recorder, string) {
	t.Helper()
	rec := &recorder{proxy: httputil.NewSingleHostReverseProxy(nimbusURL)}
	srv := httptest.NewServer(rec)
	t.Cleanup(func() {
		srv.Close()
		rec.checkQuery(t)
	})
	return rec, srv.URL
}

// newClient returns a query-era SQS client of Nimbus, through a recorder.
func newClient(t *testing.T) (*sqs.Client, *recorder) {
	t.Helper()
	rec, endpoint := newRecorder(t)
	client := sqs.New(sqs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "sqsquery"}, nil
		}),
	})
	return client, rec
}

// queueName is a queue name unique to the test.
func queueName(t *testing.T, suffix string) string {
	return strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()) + "-" + suffix
}
