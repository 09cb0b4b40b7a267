package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/sandbox"
)

// Config holds a Manager's dependencies and limits.
type Config struct {
	// Clock drives deadlines, idle expiry and log timestamps. The default is
	// clock.Real{}.
	Clock clock.Clock
	// Logger receives the Manager's own logs. The default discards them.
	Logger *slog.Logger
	// WorkDir holds one directory per instance (with its tmp dir), removed
	// when the instance ends. The default is a new temporary directory,
	// removed by Close.
	WorkDir string
	// IdleTimeout is how long an idle instance is kept. The default is
	// 10 minutes.
	IdleTimeout time.Duration
	// InitTimeout bounds an instance's init phase (until its first /next).
	// The default is 10 seconds, Lambda's limit.
	InitTimeout time.Duration
	// ShutdownGrace is how long a runtime has, when Nimbus stops its
	// instance (idle expiry, Retire, Close), between the SIGTERM to its
	// process group and the SIGKILL. The default is 500 ms, the most
	// Lambda's Shutdown phase gives a runtime process (300 ms, or 500 ms
	// for a runtime with an internal extension, such as aws-lambda-go's
	// lambda.WithEnableSIGTERM).
	ShutdownGrace time.Duration
	// AccountConcurrency is the concurrent executions allowed per account.
	// The default is 1000.
	AccountConcurrency int
	// Logs receives the functions' log events. Required.
	Logs LogSink
	// Endpoint becomes AWS_ENDPOINT_URL in instances, when set.
	Endpoint string
	// Credentials returns the credentials instances of the account's
	// functions get. The default gives "test"/"test" and no session token.
	Credentials func(account string) (accessKeyID, secret, sessionToken string)
	// InstanceID returns a new instance id, 32 lowercase hex digits (the
	// suffix of the log stream name). The default is random.
	InstanceID func() string
	// Interpreters maps a managed runtime to the interpreter binary that
	// runs it ("python3.12" → "/usr/bin/python3.12"), overriding the search
	// of the host's PATH. The default is empty.
	Interpreters map[string]string
	// Sandbox isolates instances (cgroups, namespaces, a user each) as far
	// as the host allows. Nil runs them as plain processes, limited only by
	// the memory poll and the /tmp watch.
	Sandbox *sandbox.Sandbox
	// NodeModules is the node_modules directory of the AWS SDK v3 that
	// Node.js functions import without bundling it; "" when not installed.
	// Sandboxed instances see it at /node_modules, on the walk-up path of
	// /var/task that ES modules resolve by (they ignore NODE_PATH).
	NodeModules string
}

// Manager runs function instances. It is safe for concurrent use.
type Manager struct {
	cfg     Config
	clock   clock.Clock
	log     *slog.Logger
	ownsDir bool

	// mu guards the scheduling state: pools, counts, instance states and
	// invocation phases.
	mu      sync.Mutex
	closed  bool
	killing bool // Close ran out of time: new assignments are killed
	pools   map[poolKey]*pool
	active  map[scope]int // busy or starting instances, per account and region
	// unreserved counts the active instances of functions without reserved
	// concurrency; they share what the reservations leave of the quota.
	unreserved map[scope]int
	freed      chan struct{} // closed and replaced whenever a slot frees
	instances  map[*instance]struct{}

	interpreters interpreters
	bootMu       sync.Mutex
	bootWritten  map[string]bool // embedded bootstraps written to WorkDir

	inflight sync.WaitGroup // Invoke calls past admission
	wg       sync.WaitGroup // instance goroutines

	// finishWait is finishWait; a test may lengthen it before the first
	// Invoke.
	finishWait time.Duration
}

type poolKey struct{ account, region, name string }

// scope is where a concurrency quota applies: an account in a region.
type scope struct{ account, region string }

func (k poolKey) scope() scope { return scope{k.account, k.region} }

// pool is one function's instances.
type pool struct {
	revision string      // the revision last invoked
	idle     []*instance // most recently used last
	active   int         // busy or starting
	// finishing counts invocations that have answered their caller but
	// whose runtime has not asked for its next event yet: instances about
	// to be idle.
	finishing int
}

// DefaultShutdownGrace is Config.ShutdownGrace's default.
const DefaultShutdownGrace = 500 * time.Millisecond

// finishWait bounds how long an invoke waits for a finishing instance of
// its function before it starts another one or is throttled. Runtimes ask
// for their next event microseconds after posting a result; a sequential
// caller must find the instance it just used, not start a second.
const finishWait = 20 * time.Millisecond

// NewManager returns a Manager with cfg's defaults filled in.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Logs == nil {
		return nil, errors.New("runtime: Config.Logs is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.AccountConcurrency <= 0 {
		cfg.AccountConcurrency = 1000
	}
	if cfg.Credentials == nil {
		cfg.Credentials = func(string) (string, string, string) { return "test", "test", "" }
	}
	if cfg.InstanceID == nil {
		cfg.InstanceID = randomID
	}
	m := &Manager{
		cfg:        cfg,
		clock:      cfg.Clock,
		log:        cfg.Logger,
		pools:      map[poolKey]*pool{},
		active:     map[scope]int{},
		unreserved: map[scope]int{},
		freed:      make(chan struct{}),
		instances:  map[*instance]struct{}{},
		finishWait: finishWait,
	}
	m.interpreters.overrides = cfg.Interpreters
	if cfg.WorkDir == "" {
		dir, err := os.MkdirTemp("", "nimbus-runtime-")
		if err != nil {
			return nil, fmt.Errorf("runtime: creating work dir: %w", err)
		}
		m.cfg.WorkDir, m.ownsDir = dir, true
	} else if err := os.MkdirAll(cfg.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("runtime: creating work dir: %w", err)
	}
	return m, nil
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Invoke runs req on an instance of fn: an idle one of fn's revision, or a
// new one. It returns a *ThrottleError when fn or its account is at its
// concurrency limit and !req.WaitForCapacity, ctx.Err() when ctx ends first
// (the instance is killed), and ErrClosed after Close. Function failures
// (errors, timeouts, crashes) are a Response with FunctionError set.
func (m *Manager) Invoke(ctx context.Context, fn *Function, req *Request) (*Response, error) {
	spec, err := lookupRuntime(fn.Runtime)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inst, unreserved, err := m.acquire(ctx, fn, req)
	if err != nil {
		return nil, err
	}
	// From here the invocation owns an m.inflight count, released by run
	// when the invocation is finished.
	inv := newInvocation(fn, req)
	inv.unreserved = unreserved
	if inst == nil {
		return m.coldStart(ctx, fn, spec, inv)
	}
	inst.assign(inv)
	return inst.run(ctx, inv)
}

// acquire takes a concurrency slot for fn and returns an idle instance to
// run on, or nil when a new one must be started.
//
// unreserved reports whether the slot came from the account's unreserved
// share; release gives it back there.
func (m *Manager) acquire(ctx context.Context, fn *Function, req *Request) (_ *instance, unreserved bool, _ error) {
	key := poolKey{fn.Account, fn.Region, fn.Name}
	var stale []*instance
	defer func() {
		for _, i := range stale {
			m.goShutdown(i)
		}
	}()
	m.mu.Lock()
	defer m.mu.Unlock()
	// A throttled or abandoned call leaves no empty pool behind.
	defer m.pruneLocked(key)
	var patience <-chan time.Time // set once we wait for a finishing instance
	for {
		if m.closed {
			return nil, false, ErrClosed
		}
		p := m.pools[key]
		if p == nil {
			p = &pool{}
			m.pools[key] = p
		}
		p.revision = fn.Revision
		stale = append(stale, p.dropStale()...)
		sc := key.scope()
		unreserved := fn.ReservedConcurrency == nil
		reason := ""
		switch {
		case !unreserved && p.active >= *fn.ReservedConcurrency:
			reason = ReasonReserved
		case unreserved && m.unreserved[sc] >= m.cfg.AccountConcurrency-fn.AccountReserved:
			reason = ReasonAccount
		case m.active[sc] >= m.cfg.AccountConcurrency:
			reason = ReasonAccount
		}
		waitForFinish := p.finishing > 0 && (reason != "" || len(p.idle) == 0) && !expired(patience)
		switch {
		case waitForFinish:
			if patience == nil {
				t := time.NewTimer(m.finishWait)
				defer t.Stop()
				patience = t.C
			}
		case reason == "":
			p.active++
			m.active[sc]++
			if unreserved {
				m.unreserved[sc]++
			}
			m.inflight.Add(1)
			return p.popIdle(), unreserved, nil
		case !req.WaitForCapacity:
			return nil, false, &ThrottleError{Reason: reason}
		}
		freed := m.freed
		m.mu.Unlock()
		select {
		case <-freed:
			m.mu.Lock()
		case <-patience:
			m.mu.Lock()
			patience = closedTime
		case <-ctx.Done():
			m.mu.Lock()
			return nil, false, ctx.Err()
		}
	}
}

// closedTime is a channel that is always ready: patience that has run out.
var closedTime = func() <-chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}()

// expired reports whether a patience channel has run out.
func expired(patience <-chan time.Time) bool {
	return patience == closedTime
}

// release gives back a slot taken by acquire. m.mu must be held.
func (m *Manager) releaseLocked(key poolKey, unreserved bool) {
	if p := m.pools[key]; p != nil {
		p.active--
		m.pruneLocked(key)
	}
	sc := key.scope()
	m.active[sc]--
	if m.active[sc] == 0 {
		delete(m.active, sc)
	}
	if unreserved {
		m.unreserved[sc]--
		if m.unreserved[sc] == 0 {
			delete(m.unreserved, sc)
		}
	}
	close(m.freed)
	m.freed = make(chan struct{})
}

// dropStale removes the idle instances of another revision and returns them,
// marked dead. m.mu must be held.
func (p *pool) dropStale() []*instance {
	var stale []*instance
	kept := p.idle[:0]
	for _, i := range p.idle {
		if i.revision != p.revision {
			i.setState(stateDead)
			stale = append(stale, i)
		} else {
			kept = append(kept, i)
		}
	}
	p.idle = kept
	return stale
}

// popIdle takes the most recently used idle instance, marked busy, or
// returns nil. m.mu must be held.
func (p *pool) popIdle() *instance {
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	i := p.idle[n-1]
	p.idle = p.idle[:n-1]
	i.stopIdleTimer()
	i.setState(stateBusy)
	select {
	case i.watchWake <- struct{}{}:
	default: // a wake is pending already
	}
	return i
}

// removeIdle takes i out of its pool's idle list. m.mu must be held.
func (m *Manager) removeIdleLocked(i *instance) {
	p := m.pools[i.key]
	if p == nil {
		return
	}
	for n, other := range p.idle {
		if other == i {
			p.idle = append(p.idle[:n], p.idle[n+1:]...)
			break
		}
	}
	m.pruneLocked(i.key)
}

// pruneLocked removes the pool of key once it holds nothing: no idle
// instance, no slot taken (busy or starting instances, and invokes past
// admission), no invocation finishing. Nothing else lives in a pool, so a
// function that is deleted, or simply not called, leaves no entry behind;
// acquire makes a new one on the next call. m.mu must be held.
func (m *Manager) pruneLocked(key poolKey) {
	if p := m.pools[key]; p != nil && len(p.idle) == 0 && p.active == 0 && p.finishing == 0 {
		delete(m.pools, key)
	}
}

// Retire stops the function's instances, as Lambda does when a function
// is updated or deleted: idle ones at once (no invocation reaches them once
// Retire returns; their processes are stopped in the background, see
// Config.ShutdownGrace), busy ones after their invocation. Once the last of
// them is gone, the Manager keeps nothing of the function, so the Lambda
// service calls Retire for a deleted function too; a later Invoke of the
// name starts afresh.
func (m *Manager) Retire(account, region, name string) {
	key := poolKey{account, region, name}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.instances {
		if i.key != key {
			continue
		}
		i.retired = true
		if i.state == stateIdle {
			m.removeIdleLocked(i)
			i.setState(stateDead)
			m.goShutdownLocked(i)
		}
	}
}

// Close stops accepting invocations, lets in-flight ones finish and stops
// every instance (see Config.ShutdownGrace) until ctx ends; then it kills
// what is left: in-flight invocations, and instances still in their grace.
// It returns when all processes are gone and all goroutines have ended:
// ctx.Err() if it had to kill, nil otherwise.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	close(m.freed) // wake invokes waiting for capacity
	m.freed = make(chan struct{})
	for key, p := range m.pools {
		for _, i := range p.idle {
			i.setState(stateDead)
			m.goShutdownLocked(i) // in parallel: each may take the grace
		}
		p.idle = nil
		m.pruneLocked(key)
	}
	m.mu.Unlock()

	var err error
	// In-flight invocations first: until they are done, one may still add
	// an instance, and m.wg may not be waited for.
	for _, wg := range []*sync.WaitGroup{&m.inflight, &m.wg} {
		done := make(chan struct{})
		go func() {
			wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
			m.cutShort()
			<-done
		}
	}
	if m.ownsDir {
		if rerr := os.RemoveAll(m.cfg.WorkDir); rerr != nil && err == nil {
			err = fmt.Errorf("runtime: removing work dir: %w", rerr)
		}
	}
	return err
}

// cutShort is Close out of time: in-flight invocations are killed, and so
// are instances still in their shutdown grace.
func (m *Manager) cutShort() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.killing = true
	for i := range m.instances {
		if i.inv != nil {
			i.inv.end(m, outcomeKilled)
		}
		if i.state == stateDead {
			i.kill()
		}
	}
}

// Stats counts instances by state.
type Stats struct {
	// Running counts live instances: Starting + Idle + Busy.
	Running, Starting, Idle, Busy int
}

// Stats returns the current instance counts.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	var s Stats
	for i := range m.instances {
		switch i.state {
		case stateStarting:
			s.Starting++
		case stateIdle:
			s.Idle++
		case stateBusy:
			s.Busy++
		default:
			continue
		}
		s.Running++
	}
	return s
}

// goShutdown stops i in the background; Close waits for it.
func (m *Manager) goShutdown(i *instance) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.goShutdownLocked(i)
}

// goShutdownLocked is goShutdown with m.mu held. Under m.mu, i is still in
// m.instances, so its goroutines keep m.wg above zero while this adds to it.
func (m *Manager) goShutdownLocked(i *instance) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		i.shutdown()
	}()
}
