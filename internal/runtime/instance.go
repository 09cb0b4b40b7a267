package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/sandbox"
)

// state is an instance's lifecycle state.
type state int

const (
	// stateStarting: the process runs its init phase, before its first /next.
	stateStarting state = iota
	// stateIdle: warm, parked (or about to park) in /next, reusable.
	stateIdle
	// stateBusy: an invocation is assigned to it.
	stateBusy
	// stateDead: stopping or stopped; never leaves this state.
	stateDead
)

func (s state) String() string {
	return [...]string{"starting", "idle", "busy", "dead"}[s]
}

// transitions lists the allowed state changes; every other is refused.
var transitions = map[state][]state{
	stateStarting: {stateBusy, stateDead},
	stateIdle:     {stateBusy, stateDead},
	stateBusy:     {stateIdle, stateDead},
}

// instance is one function process with its Runtime API listener.
type instance struct {
	m        *Manager
	key      poolKey
	id       string
	revision string
	fn       Function // copy taken at start
	log      *streamLog
	dir      string // per-instance dir under WorkDir, removed at the end
	tmpDir   string
	ln       net.Listener
	srv      *http.Server

	// Set by start before the process goroutines run.
	cmd            *exec.Cmd
	pid            int
	peak           *peakMemory
	box            *sandbox.Box // nil without a sandbox
	stdout, stderr *pipeReader
	startedAt      time.Time
	exited         chan struct{} // closed when the process has been reaped
	ready          chan struct{} // closed when start has returned
	exitErr        error         // valid once exited is closed
	watchWake      chan struct{} // tells watch that an invocation has begun

	shutdownOnce sync.Once

	// running mirrors state ∈ {starting, busy} for the watch, which reads it
	// on every tick without taking m.mu; written by setState.
	running atomic.Bool

	// Guarded by m.mu.
	state        state
	inv          *invocation // assigned invocation, until it is finished
	polling      bool        // a /next request is waiting
	wake         chan struct{}
	dead         chan struct{} // closed on entering stateDead
	hasExited    bool
	initDone     bool
	initDuration time.Duration
	initTimer    clock.Timer
	idleTimer    clock.Timer
	idleSeq      uint64
	retired      bool
	maxMemMB     int
	// killedFor says why Nimbus killed the process past a limit:
	// "memory" (rss-poll) or "tmp"; "" otherwise.
	killedFor string
}

// newInstance prepares an instance of fn: its directories, log stream and
// Runtime API server. The process is started by start.
func (m *Manager) newInstance(fn *Function) (*instance, error) {
	id := m.cfg.InstanceID()
	stream := m.clock.Now().UTC().Format("2006/01/02") + "/[" + fn.version() + "]" + id
	dir := filepath.Join(m.cfg.WorkDir, id)
	tmpDir := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return nil, fmt.Errorf("runtime: creating instance dir: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("runtime: listening for the Runtime API: %w", err)
	}
	i := &instance{
		m:        m,
		key:      poolKey{fn.Account, fn.Region, fn.Name},
		id:       id,
		revision: fn.Revision,
		fn:       *fn,
		log: &streamLog{
			sink: m.cfg.Logs, clock: m.clock,
			account: fn.Account, region: fn.Region, group: fn.logGroup(), stream: stream,
		},
		dir:       dir,
		tmpDir:    tmpDir,
		ln:        ln,
		exited:    make(chan struct{}),
		ready:     make(chan struct{}),
		startedAt: m.clock.Now(),
		state:     stateStarting,
		wake:      make(chan struct{}, 1),
		watchWake: make(chan struct{}, 1),
		dead:      make(chan struct{}),
	}
	i.running.Store(true) // starting: its init runs code
	i.srv = &http.Server{
		Handler:           i.guardPeers(i.routes()), // peer.go: only the instance's own processes
		ConnContext:       withConn,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		_ = i.srv.Serve(ln)
	}()
	return i, nil
}

// start starts the process, in a sandbox when the Manager has one. An
// error is an *entrypointError.
func (i *instance) start(spec runtimeSpec) error {
	defer close(i.ready)
	m := i.m
	argv, err := spec.command(i.m, &i.fn)
	if err == nil {
		if warn := i.m.interpreters.of(i.fn.Runtime).fallback; warn != "" {
			i.log.emit(warn + "\n")
		}
	}
	if err != nil {
		return err
	}
	v := i.hostView()
	if sb := m.cfg.Sandbox; sb != nil {
		var sdk map[string]string
		if it := m.interpreters.of(i.fn.Runtime); it.sdkPath != "" {
			sdk = map[string]string{it.sdkPath: "/var/sdk"}
		}
		if sb.Isolation().Filesystem == "mount-namespace" {
			v, argv = i.sandboxView(argv, sdk)
			if nm := m.cfg.NodeModules; nm != "" && strings.HasPrefix(i.fn.Runtime, "nodejs") {
				v.binds = append(v.binds, sandbox.Bind{Host: nm, View: "/node_modules"})
			}
		}
		box, err := sb.Prepare(sandbox.Spec{
			ID: i.id, Root: filepath.Join(i.dir, "root"), Tmp: i.tmpDir, Binds: v.binds,
			MemoryBytes:   int64(i.fn.memoryMB()) << 20,
			FileSizeBytes: int64(i.fn.ephemeralMB()) << 20,
		})
		if err != nil {
			return &entrypointError{err.Error()}
		}
		i.box = box
	}
	key, secret, token := m.cfg.Credentials(i.fn.Account)
	env := envSpec{
		fn: &i.fn, runtimeDir: spec.runtimeDir, stream: i.log.stream, view: v,
		runtimeAPI: i.ln.Addr().String(), endpoint: m.cfg.Endpoint,
		accessKey: key, secret: secret, tok: token,
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Path = argv[0] // a view path is not looked up on the host
	cmd.Dir = v.taskRoot
	cmd.Env = env.environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("runtime: creating pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return fmt.Errorf("runtime: creating pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	i.startedAt = m.clock.Now()
	if i.box != nil {
		err = i.box.Start(cmd)
	} else {
		err = cmd.Start()
	}
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		if cmd.Process != nil { // started, but the sandbox could not limit it
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		return &entrypointError{err.Error()}
	}
	i.cmd, i.pid = cmd, cmd.Process.Pid
	i.peak = openPeakMemory(i.pid)
	i.stdout = newPipeReader(outR, &lineSplitter{log: i.log})
	i.stderr = newPipeReader(errR, &lineSplitter{log: i.log})
	m.wg.Add(4)
	go func() { defer m.wg.Done(); i.stdout.run() }()
	go func() { defer m.wg.Done(); i.stderr.run() }()
	go func() { defer m.wg.Done(); i.waitExit() }()
	go func() { defer m.wg.Done(); i.watch() }()
	m.mu.Lock()
	if !i.initDone && i.state == stateStarting {
		i.initTimer = m.clock.AfterFunc(m.cfg.InitTimeout, i.initTimedOut)
	}
	m.mu.Unlock()
	return nil
}

// waitExit reaps the process and reacts to its exit.
func (i *instance) waitExit() {
	m := i.m
	err := i.cmd.Wait()
	_ = syscall.Kill(-i.pid, syscall.SIGKILL) // leftovers of its process group
	i.peak.close()
	stop := false
	m.mu.Lock()
	i.exitErr, i.hasExited = err, true
	close(i.exited)
	if i.initTimer != nil {
		i.initTimer.Stop()
	}
	if v := i.inv; v != nil && v.outcome == outcomeNone {
		v.end(m, outcomeExited)
	} else if i.state == stateIdle {
		m.removeIdleLocked(i)
		i.setState(stateDead)
		stop = true
	}
	m.mu.Unlock()
	if stop {
		m.log.Info("runtime: idle instance exited", "instance", i.id, "function", i.fn.Name, "err", err)
		i.shutdown()
	}
}

func (i *instance) initTimedOut() {
	m := i.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if i.state == stateStarting && !i.initDone && i.inv != nil {
		i.inv.end(m, outcomeTimeout)
	}
}

// setState moves i to state to, if allowed. m.mu must be held.
func (i *instance) setState(to state) bool {
	for _, ok := range transitions[i.state] {
		if ok == to {
			i.state = to
			i.running.Store(to == stateStarting || to == stateBusy)
			if to == stateDead {
				close(i.dead)
			}
			return true
		}
	}
	i.m.log.Error("runtime: refused instance state transition",
		"instance", i.id, "from", i.state.String(), "to", to.String())
	return false
}

// assign gives i, busy, the invocation v and wakes its /next poller.
func (i *instance) assign(v *invocation) {
	m := i.m
	m.mu.Lock()
	defer m.mu.Unlock()
	i.inv = v
	if m.killing {
		v.end(m, outcomeKilled)
	}
	select {
	case i.wake <- struct{}{}:
	default:
	}
}

// stopIdleTimer cancels a pending idle expiry. m.mu must be held.
func (i *instance) stopIdleTimer() {
	i.idleSeq++
	if i.idleTimer != nil {
		i.idleTimer.Stop()
		i.idleTimer = nil
	}
}

// park returns i, after an invocation, to its pool's idle list, or reports
// that it must stop instead. m.mu must be held.
func (i *instance) parkLocked() bool {
	m := i.m
	p := m.pools[i.key]
	if m.closed || i.retired || i.hasExited || p == nil || p.revision != i.revision {
		return false
	}
	if !i.setState(stateIdle) {
		return false
	}
	p.idle = append(p.idle, i)
	i.idleSeq++
	seq := i.idleSeq
	i.idleTimer = m.clock.AfterFunc(m.cfg.IdleTimeout, func() { i.expire(seq) })
	return true
}

// expire stops i if it is still in the idle period seq.
func (i *instance) expire(seq uint64) {
	m := i.m
	m.mu.Lock()
	if i.state != stateIdle || i.idleSeq != seq {
		m.mu.Unlock()
		return
	}
	m.removeIdleLocked(i)
	i.setState(stateDead)
	// In the background, as every other stop: a timer's callback must not
	// wait out the shutdown grace, which the clock itself times.
	m.goShutdownLocked(i)
	m.mu.Unlock()
}

// kill kills the process group, unless the process has been reaped.
func (i *instance) kill() {
	i.signal(syscall.SIGKILL)
}

// signal sends sig to the process group, unless the process has been
// reaped (its id may belong to another process by then).
func (i *instance) signal(sig syscall.Signal) {
	if i.cmd == nil {
		return
	}
	select {
	case <-i.exited:
		return
	default:
	}
	_ = syscall.Kill(-i.pid, sig)
}

// terminate ends the process as Lambda ends an execution environment: its
// process group gets SIGTERM, and SIGKILL once Config.ShutdownGrace has
// passed. It returns once the process has been reaped. A process that
// cannot receive the SIGTERM (it ignores it, or it is the init of the
// sandbox's PID namespace and has no handler for it, which the kernel
// then drops) is killed at once rather than after a grace it cannot use.
func (i *instance) terminate() {
	select {
	case <-i.exited:
		return
	default:
	}
	if i.peak.dropsSignal(syscall.SIGTERM) {
		i.kill()
	} else {
		i.signal(syscall.SIGTERM)
		t := i.m.clock.AfterFunc(i.m.cfg.ShutdownGrace, i.kill)
		defer t.Stop()
	}
	<-i.exited
}

// shutdown stops the instance: the process (terminate), the server and
// the readers; it flushes the log and removes the instance's directory.
// Nothing is invoked on it once it has begun, and its parked /next is
// never answered (see hangUp). Safe to call more than once; every call
// returns once it is done.
func (i *instance) shutdown() {
	i.shutdownOnce.Do(func() {
		m := i.m
		m.mu.Lock()
		m.wg.Add(1) // the instance's goroutines keep the counter above zero here
		defer m.wg.Done()
		if i.state != stateDead {
			i.setState(stateDead)
		}
		i.stopIdleTimer()
		if i.initTimer != nil {
			i.initTimer.Stop()
		}
		m.mu.Unlock()

		if i.cmd != nil {
			i.terminate()
		}
		if i.box != nil {
			i.box.Release()
		}
		_ = i.srv.Close()
		if i.stdout != nil {
			i.stdout.wait(time.Second)
			i.stderr.wait(time.Second)
		}
		i.log.flush()
		if err := os.RemoveAll(i.dir); err != nil {
			m.log.Warn("runtime: removing instance dir", "instance", i.id, "err", err)
		}
		m.mu.Lock()
		delete(m.instances, i) // last: m.instances holds every instance not yet fully stopped
		m.mu.Unlock()
	})
}

// drainPipes logs what the process wrote so far, including unterminated
// lines.
func (i *instance) drainPipes() {
	if i.stdout == nil {
		return
	}
	var wg sync.WaitGroup
	for _, p := range []*pipeReader{i.stdout, i.stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.drain()
			p.lines.flushPartial()
		}()
	}
	wg.Wait()
}

// sampleMemory records the instance's peak memory in MB, rounded up: its
// cgroup's high-water mark, else the process's peak resident memory
// (VmHWM). m.mu must not be held.
func (i *instance) sampleMemory() int {
	mb := 0
	if i.box != nil {
		mb = int((i.box.PeakMemoryBytes() + 1<<20 - 1) >> 20)
	}
	if mb == 0 && i.peak != nil {
		mb = i.peak.readMB()
	}
	// A cgroup's peak can pass its limit by a few pages before the kernel
	// acts; Lambda never reports more than the memory size.
	mb = min(mb, i.fn.memoryMB())
	i.m.mu.Lock()
	defer i.m.mu.Unlock()
	if mb > i.maxMemMB {
		i.maxMemMB = mb
	}
	return i.maxMemMB
}

// peakMemory reads a process's VmHWM through a /proc/<pid>/status file it
// keeps open: re-reading an open proc file costs a fraction of opening it
// again, and this is read once per invocation. Safe for concurrent use.
type peakMemory struct {
	mu  sync.Mutex
	f   *os.File // nil once closed or if it could not be opened
	buf []byte
}

func openPeakMemory(pid int) *peakMemory {
	f, _ := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	return &peakMemory{f: f, buf: make([]byte, 8192)}
}

// readMB returns VmHWM in MB, rounded up, or 0 when it cannot be read.
func (p *peakMemory) readMB() int {
	return (p.field("VmHWM") + 1023) / 1024
}

// readRSS returns the memory the process itself holds resident, in bytes
// (0 when it cannot be read): its anonymous and shared-memory pages, not
// the file-backed pages of its binary and libraries, which every process
// running them shares and which a memory cgroup reclaims before it kills.
// (node's binary alone keeps tens of MB of those resident; counting them
// killed a Node.js function loading the AWS SDK well under 128 MB of its
// own.)
func (p *peakMemory) readRSS() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return 0
	}
	n, err := p.f.ReadAt(p.buf, 0)
	if n == 0 && err != nil {
		return 0
	}
	return int64(statusKB(p.buf[:n], "RssAnon")+statusKB(p.buf[:n], "RssShmem")) << 10
}

// field re-reads the status file and returns one of its kB fields, or 0.
func (p *peakMemory) field(name string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return 0
	}
	n, err := p.f.ReadAt(p.buf, 0)
	if n == 0 && err != nil {
		return 0
	}
	return statusKB(p.buf[:n], name)
}

// dropsSignal reports whether the process would not act on sig: it
// ignores it, or it is the init of a PID namespace (NSpid ends in 1)
// without a handler for it, whose signals the kernel drops rather than
// apply their default action. False when the status cannot be read.
func (p *peakMemory) dropsSignal(sig syscall.Signal) bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		return false
	}
	n, err := p.f.ReadAt(p.buf, 0)
	if n == 0 && err != nil {
		return false
	}
	return statusDropsSignal(p.buf[:n], sig)
}

// statusDropsSignal is dropsSignal on the text of a /proc status file.
func statusDropsSignal(status []byte, sig syscall.Signal) bool {
	bit := uint64(1) << (uint(sig) - 1)
	ignored, ok1 := statusMask(status, "SigIgn")
	caught, ok2 := statusMask(status, "SigCgt")
	if !ok1 || !ok2 {
		return false
	}
	if ignored&bit != 0 {
		return true
	}
	nspid := strings.Fields(statusLine(status, "NSpid"))
	isInit := len(nspid) > 1 && nspid[len(nspid)-1] == "1"
	return isInit && caught&bit == 0
}

// statusLine returns the value of a "<field>:\t…" line of a /proc status
// file, or "".
func statusLine(status []byte, field string) string {
	_, rest, ok := bytes.Cut(status, []byte("\n"+field+":"))
	if !ok {
		return ""
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	return string(bytes.TrimSpace(line))
}

// statusMask parses a hexadecimal signal mask line ("SigCgt:\t0000000000004a02").
func statusMask(status []byte, field string) (uint64, bool) {
	v, err := strconv.ParseUint(statusLine(status, field), 16, 64)
	return v, err == nil
}

func (p *peakMemory) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// parseVmHWM finds "VmHWM:   1234 kB" in a /proc status file and returns
// it in MB, rounded up, or 0.
func parseVmHWM(status []byte) int {
	return (statusKB(status, "VmHWM") + 1023) / 1024
}

// statusKB reads the "<field>:   1234 kB" line of a /proc status file, or 0.
func statusKB(status []byte, field string) int {
	kb, err := strconv.Atoi(strings.TrimSuffix(statusLine(status, field), " kB"))
	if err != nil {
		return 0
	}
	return kb
}

// exitText is how Lambda words a runtime's exit.
func exitText(err error) string {
	var ee *exec.ExitError
	if err == nil || (errors.As(err, &ee) && ee.Success()) {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + err.Error()
}
