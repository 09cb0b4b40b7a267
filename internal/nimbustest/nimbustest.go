// Package nimbustest starts a whole Nimbus in-process for tests and hands
// out SDK configurations that talk to it, as users' code would.
package nimbustest

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/nimbus-dev/nimbus/internal/server"
)

// Nimbus is a running in-process server.
type Nimbus struct {
	*server.Server
	t testing.TB
}

// Options adjust the server; the zero value is an ephemeral server on a
// random loopback port.
type Options struct {
	// Config is used as given, with Addr defaulting to 127.0.0.1:0 and
	// Ephemeral set when DataDir is empty.
	Config server.Config
}

// Start starts a server and stops it when the test ends.
func Start(t testing.TB) *Nimbus { return StartWith(t, Options{}) }

// StartWith starts a server configured by opts.
func StartWith(t testing.TB, opts Options) *Nimbus {
	t.Helper()
	cfg := opts.Config
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.Ephemeral = true
	}
	if cfg.Logger == nil {
		level := slog.LevelWarn
		if os.Getenv("NIMBUS_TEST_DEBUG") != "" {
			level = slog.LevelDebug
		}
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("nimbustest: %v", err)
	}
	if err := srv.Start(); err != nil {
		srv.Shutdown(context.Background())
		t.Fatalf("nimbustest: %v", err)
	}
	n := &Nimbus{Server: srv, t: t}
	t.Cleanup(func() { n.Stop() })
	n.waitHealthy()
	return n
}

// Stop shuts the server down (idempotent).
func (n *Nimbus) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		n.t.Errorf("nimbustest: shutdown: %v", err)
	}
}

func (n *Nimbus) waitHealthy() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(n.URL() + "/_nimbus/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	n.t.Fatalf("nimbustest: server at %s never became healthy", n.URL())
}

// Config returns an SDK configuration for the default account in
// us-east-1, with the SDK's default settings otherwise.
func (n *Nimbus) Config() aws.Config { return n.ConfigFor("AKIDTEST", "secret", "us-east-1") }

// ConfigFor returns an SDK configuration with the given static credentials
// and region.
func (n *Nimbus) ConfigFor(accessKeyID, secret, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secret, ""),
		BaseEndpoint: aws.String(n.URL()),
	}
}
