// Package server wires Nimbus together: configuration, storage, the
// services, the function runtime and the edge. The CLI's `nimbus up`, the
// tests' in-process harness and embedders all build the same graph here.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/auth"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/edge"
	"github.com/nimbus-dev/nimbus/internal/nodesdk"
	"github.com/nimbus-dev/nimbus/internal/outbox"
	"github.com/nimbus-dev/nimbus/internal/runtime"
	"github.com/nimbus-dev/nimbus/internal/sandbox"
	"github.com/nimbus-dev/nimbus/internal/services/dynamodb"
	"github.com/nimbus-dev/nimbus/internal/services/dynamodbstreams"
	"github.com/nimbus-dev/nimbus/internal/services/lambda"
	"github.com/nimbus-dev/nimbus/internal/services/logs"
	"github.com/nimbus-dev/nimbus/internal/services/sqs"
	"github.com/nimbus-dev/nimbus/internal/storage"
	"github.com/nimbus-dev/nimbus/internal/version"
)

// Config configures a Server. The zero value serves on 127.0.0.1:4566 with
// state in ./.nimbus.
type Config struct {
	// Addr is the listen address; default "127.0.0.1:4566". Port 0 picks one.
	Addr string
	// DataDir holds the store and function code; default ".nimbus".
	DataDir string
	// Ephemeral keeps all state in memory and a temporary directory that is
	// removed on shutdown.
	Ephemeral bool
	// AccountMap maps access keys to 12-digit accounts (AKID=ACCOUNT);
	// unmapped keys belong to 000000000000.
	AccountMap []string
	// Credentials are the keys accepted when VerifyAuth is set.
	Credentials []auth.Credentials
	// VerifyAuth checks SigV4 signatures against Credentials. Required for
	// a non-loopback Addr unless InsecurePublic is set.
	VerifyAuth     bool
	InsecurePublic bool
	// AccountConcurrency bounds concurrent executions per account; default 1000.
	AccountConcurrency int
	// ShardRollover is how long a DynamoDB stream shard takes records before
	// a child shard takes over; default 4 hours, as on DynamoDB.
	ShardRollover time.Duration
	// IdleTimeout is how long an idle function instance stays warm; default 10 minutes.
	IdleTimeout time.Duration
	// LogRetentionDays is the retention of log groups Nimbus creates itself
	// (function logs); default 30; a negative value means never expire.
	LogRetentionDays int
	// Interpreters maps managed runtimes to interpreter binaries
	// ("python3.12" → "/usr/bin/python3.12"), overriding the PATH search.
	Interpreters map[string]string
	// Isolation is "auto" (the default: cgroups, namespaces and a user per
	// instance as far as the host allows) or "off".
	Isolation string
	// RequireIsolation refuses to start unless every part of isolation is
	// in force; NIMBUS_REQUIRE_ISOLATION=1 sets it too.
	RequireIsolation bool
	// Logger receives Nimbus's own logs; default slog.Default().
	Logger *slog.Logger
	// Clock defaults to the wall clock.
	Clock clock.Clock
}

// Server is a running Nimbus.
type Server struct {
	cfg      Config
	sandbox  *sandbox.Sandbox
	dataDir  string
	db       *storage.DB
	accounts *auth.Accounts
	runtime  *runtime.Manager
	outbox   *outbox.Outbox
	lambda   *lambda.Service
	logs     *logs.Service
	sqs      *sqs.Service
	dynamodb *dynamodb.Service
	streams  *dynamodbstreams.Service
	edge     *edge.Edge
	// services are the APIs the edge serves, in the order the banner and
	// health list them; set by startServices.
	services []*service
	http     *http.Server
	listener net.Listener
	started  time.Time

	closeOnce sync.Once
	closeErr  error
}

// New builds a server: opens the store and the services. It does not
// listen yet; call Start.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:4566"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = ".nimbus"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.LogRetentionDays == 0 {
		cfg.LogRetentionDays = 30
	}
	if cfg.LogRetentionDays < 0 {
		cfg.LogRetentionDays = 0
	}
	if err := checkExposure(cfg); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, started: cfg.Clock.Now()}
	if err := s.open(); err != nil {
		s.closeAll(context.Background())
		return nil, err
	}
	return s, nil
}

// checkExposure refuses to serve a non-loopback address without
// signature verification, unless explicitly told to.
func checkExposure(cfg Config) error {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: %w", cfg.Addr, err)
	}
	if isLoopback(host) || cfg.VerifyAuth || cfg.InsecurePublic {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without --auth verify: anyone who can reach it could run code on this machine (pass --insecure-public to do it anyway)", cfg.Addr)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) open() error {
	cfg := s.cfg
	if cfg.Ephemeral {
		dir, err := os.MkdirTemp("", "nimbus-")
		if err != nil {
			return err
		}
		s.dataDir = dir
	} else {
		s.dataDir = cfg.DataDir
		if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
			return fmt.Errorf("creating the data directory: %w", err)
		}
	}
	db, err := storage.Open(filepath.Join(s.dataDir, "db"), storage.Options{InMemory: cfg.Ephemeral, Logger: cfg.Logger})
	if err != nil {
		return fmt.Errorf("opening the store in %s: %w", s.dataDir, err)
	}
	s.db = db

	if s.accounts, err = auth.NewAccounts(); err != nil {
		return err
	}
	for _, m := range cfg.AccountMap {
		akid, account, err := auth.ParseAccountFlag(m)
		if err != nil {
			return err
		}
		if err := s.accounts.MapAccount(akid, account); err != nil {
			return err
		}
	}
	if err := s.accounts.AddCredentials(cfg.Credentials...); err != nil {
		return err
	}

	if s.logs, err = logs.New(logs.Config{DB: db, Clock: cfg.Clock, Logger: cfg.Logger, DefaultRetentionDays: cfg.LogRetentionDays}); err != nil {
		return err
	}
	if s.outbox, err = outbox.New(outbox.Config{DB: db, Clock: cfg.Clock, Logger: cfg.Logger}); err != nil {
		return err
	}
	if s.sqs, err = sqs.New(sqs.Config{DB: db, Clock: cfg.Clock, Logger: cfg.Logger}); err != nil {
		return err
	}
	if s.dynamodb, err = dynamodb.New(dynamodb.Config{DB: db, Clock: cfg.Clock, Logger: cfg.Logger, ShardRollover: cfg.ShardRollover}); err != nil {
		return err
	}
	if s.streams, err = dynamodbstreams.New(dynamodbstreams.Config{DynamoDB: s.dynamodb, Clock: cfg.Clock}); err != nil {
		return err
	}
	return nil
}

// Start listens on the configured address and serves until Shutdown.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.cfg.Addr, err)
	}
	s.listener = ln
	if err := s.startServices(); err != nil {
		ln.Close()
		return err
	}
	s.http = &http.Server{Handler: s.edge, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn)}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("serving", "error", err)
		}
	}()
	return nil
}

// startServices builds what needs the listening address: instances reach
// Nimbus back through it.
func (s *Server) startServices() error {
	cfg := s.cfg
	// Instance scratch directories left by a crash hold nothing durable.
	workDir := filepath.Join(s.dataDir, "instances")
	if err := os.RemoveAll(workDir); err != nil {
		return fmt.Errorf("clearing old instance directories: %w", err)
	}
	switch cfg.Isolation {
	case "", "auto", "off":
	default:
		return fmt.Errorf("invalid isolation %q: want auto or off", cfg.Isolation)
	}
	s.sandbox = sandbox.New(sandbox.Options{Disabled: cfg.Isolation == "off"})
	iso := s.sandbox.Isolation()
	if !iso.Complete() {
		// The variable guards against isolation lost silently; an explicit
		// "off" is a choice.
		envRequires := cfg.Isolation != "off" && os.Getenv("NIMBUS_REQUIRE_ISOLATION") == "1"
		if cfg.RequireIsolation || envRequires {
			s.sandbox.Close()
			return fmt.Errorf("isolation required but not in force: %s", strings.Join(s.sandbox.Missing(), "; "))
		}
		if cfg.Isolation != "off" {
			cfg.Logger.Warn("function instances are not fully isolated", "memory", iso.Memory,
				"filesystem", iso.Filesystem, "user", iso.User, "why", strings.Join(s.sandbox.Missing(), "; "))
		}
	}
	// Instances see their own code through their view; the code of the
	// others stays out of their users' reach.
	codeDir := filepath.Join(s.dataDir, "code")
	if err := os.MkdirAll(codeDir, 0o700); err != nil {
		return fmt.Errorf("creating the code directory: %w", err)
	}
	if err := os.Chmod(codeDir, 0o700); err != nil {
		return fmt.Errorf("creating the code directory: %w", err)
	}
	// Node.js functions import the SDK from the shared cache. Unsandboxed
	// instances run their code from <data>/code/<sha>, so a link in the data
	// directory puts it on their modules' walk-up path.
	nodeModules := nodesdk.NodeModules()
	link := filepath.Join(s.dataDir, "node_modules")
	_ = os.Remove(link)
	if nodeModules != "" {
		if err := os.Symlink(nodeModules, link); err != nil {
			return fmt.Errorf("linking the Node.js SDK: %w", err)
		}
	}
	var err error
	s.runtime, err = runtime.NewManager(runtime.Config{
		Sandbox:            s.sandbox,
		NodeModules:        nodeModules,
		Clock:              cfg.Clock,
		Logger:             cfg.Logger,
		WorkDir:            workDir,
		IdleTimeout:        cfg.IdleTimeout,
		AccountConcurrency: cfg.AccountConcurrency,
		Interpreters:       cfg.Interpreters,
		Logs:               s.logs,
		Endpoint:           s.URL(),
		Credentials:        s.roleCredentials(),
	})
	if err != nil {
		return err
	}
	s.lambda, err = lambda.New(lambda.Config{
		DB: s.db, Runner: s.runtime, Outbox: s.outbox, Logs: s.logs, Queues: s.sqs, Streams: streamSource{s.dynamodb},
		CodeDir: codeDir, AccountConcurrency: cfg.AccountConcurrency,
		Clock: cfg.Clock, Logger: cfg.Logger,
	})
	if err != nil {
		return err
	}
	var verifier *auth.Verifier
	if cfg.VerifyAuth {
		verifier = auth.NewVerifier(s.accounts, cfg.Clock)
	}
	s.services = []*service{
		newService("lambda", s.lambda.Spec()),
		newService("logs", s.logs.Spec()),
		newService("sqs", s.sqs.Spec()),
		newService("dynamodb", s.dynamodb.Spec()),
		newService("dynamodbstreams", s.streams.Spec()),
	}
	specs := make([]*awsproto.Spec, len(s.services))
	for n, svc := range s.services {
		specs[n] = svc.spec
	}
	s.edge = edge.New(edge.Config{
		Services: specs,
		Accounts: s.accounts,
		Verifier: verifier,
		Internal: s.internalHandler(),
		Logger:   cfg.Logger,
	})
	s.outbox.Start()
	s.setStates(stateRunning)
	return nil
}

// roleCredentials returns the credentials function instances get: issued
// once per account for the server's lifetime, so that starting instances
// does not pile up keys.
func (s *Server) roleCredentials() func(account string) (string, string, string) {
	var mu sync.Mutex
	issued := map[string]auth.Credentials{}
	return func(account string) (string, string, string) {
		mu.Lock()
		defer mu.Unlock()
		c, ok := issued[account]
		if !ok {
			c = s.accounts.Issue(account)
			issued[account] = c
		}
		return c.AccessKeyID, c.SecretAccessKey, c.SessionToken
	}
}

// URL is the endpoint clients use, e.g. http://127.0.0.1:4566.
func (s *Server) URL() string {
	if s.listener == nil {
		return "http://" + s.cfg.Addr
	}
	return "http://" + s.listener.Addr().String()
}

// Handler is the edge, for serving Nimbus through another listener or
// driving it directly in tests. It is nil until Start.
func (s *Server) Handler() http.Handler { return s.edge }

// InFlightRequests is how many API requests are being served, long polls
// included; 0 before Start.
func (s *Server) InFlightRequests() int {
	if s.edge == nil {
		return 0
	}
	return s.edge.InFlight()
}

// DataDir is where state lives (a temporary directory when ephemeral).
func (s *Server) DataDir() string { return s.dataDir }

// internalHandler serves Nimbus's own endpoints under /_nimbus/.
func (s *Server) internalHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_nimbus/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		v := version.Get()
		json.NewEncoder(w).Encode(map[string]any{
			"status":    "running",
			"version":   v.Version,
			"commit":    v.Commit,
			"services":  s.ServiceStates(),
			"isolation": s.sandbox.Isolation(),
		})
	})
	mux.Handle("GET "+lambda.CodePath, s.lambda.CodeHandler())
	return mux
}

// Shutdown stops accepting requests, lets in-flight requests and
// invocations finish until ctx ends, then stops everything and closes the
// store.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.closeAll(ctx) })
	return s.closeErr
}

func (s *Server) closeAll(ctx context.Context) error {
	s.setStates(stateStopping)
	defer s.setStates(stateStopped)
	var errs []error
	// The outbox stops starting deliveries at once; those in flight end when
	// their invocation does, or with the runtime's ErrClosed if they were
	// still waiting for capacity (they stay stored for the next start).
	outboxDone := make(chan struct{})
	go func() {
		defer close(outboxDone)
		if s.outbox != nil {
			s.outbox.Close(ctx)
		}
	}()
	// The listener closes now; requests in flight finish while the
	// services below end what would hold them: long polls answer at once.
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		if s.http != nil {
			if err := s.http.Shutdown(ctx); err != nil {
				s.http.Close()
			}
		}
	}()
	if s.lambda != nil {
		s.lambda.Close() // event source pollers, before the runtime they invoke
	}
	if s.sqs != nil {
		// After the pollers, which would otherwise spin on a closed queue:
		// ends ReceiveMessage long polls and message move tasks.
		errs = append(errs, s.sqs.Close())
	}
	<-httpDone
	if s.runtime != nil {
		errs = append(errs, s.runtime.Close(ctx))
	}
	if s.sandbox != nil {
		s.sandbox.Close()
	}
	<-outboxDone
	if s.logs != nil {
		errs = append(errs, s.logs.Close())
	}
	if s.dynamodb != nil {
		errs = append(errs, s.dynamodb.Close()) // index backfills and sweeps, before the store
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.cfg.Ephemeral && s.dataDir != "" {
		os.RemoveAll(s.dataDir)
	}
	return errors.Join(errs...)
}
