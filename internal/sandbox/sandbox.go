package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Isolation says what isolates instances on this host; /_nimbus/health
// reports it.
type Isolation struct {
	// Memory is "cgroup-v1", "cgroup-v2" or "rss-poll" (the runtime samples
	// the process's resident memory and kills it past the limit).
	Memory string `json:"memory"`
	// Filesystem is "mount-namespace" or "none".
	Filesystem string `json:"filesystem"`
	// User is "per-instance" or "shared" (Nimbus's own).
	User string `json:"user"`
}

// Complete reports whether every part is in force.
func (i Isolation) Complete() bool {
	return strings.HasPrefix(i.Memory, "cgroup") && i.Filesystem == "mount-namespace" && i.User == "per-instance"
}

// Options configures New.
type Options struct {
	// Disabled turns isolation off: instances run as plain processes.
	Disabled bool
	// UIDBase is the first of the user ids given to instances, one each.
	// The default is 990000.
	UIDBase int
}

// MaxPids is the pids.max of every instance.
const MaxPids = 1024

// OpenFiles is every instance's RLIMIT_NOFILE.
const OpenFiles = 1024

// Sandbox isolates instances with what the host offers, found by New.
// Safe for concurrent use.
type Sandbox struct {
	iso     Isolation
	missing []string // why parts are missing, for the log
	cg      *cgroups
	host    []hostEntry // mirrored into every view (filesystem isolation)
	uidBase int

	// prlimit: Nimbus may lower the rlimits of a process of another user
	// (it has CAP_SYS_RESOURCE); otherwise a shell lowers them in the child.
	prlimit bool

	// uidDir holds the lock files of the user ids in use, shared by every
	// Nimbus on the host.
	uidDir  string
	mu      sync.Mutex
	nextUID int
}

// New probes the host and returns a Sandbox using what works.
func New(opts Options) *Sandbox {
	s := &Sandbox{
		iso:     Isolation{Memory: "rss-poll", Filesystem: "none", User: "shared"},
		uidBase: opts.UIDBase,
	}
	if s.uidBase <= 0 {
		s.uidBase = 990000
	}
	s.uidDir = filepath.Join(os.TempDir(), "nimbus-instance-users")
	if fi, err := os.Stat("/run"); err == nil && fi.IsDir() && os.Geteuid() == 0 {
		s.uidDir = "/run/nimbus-instance-users"
	}
	s.prlimit = hasCapability(unix.CAP_SYS_RESOURCE)
	if opts.Disabled {
		s.missing = append(s.missing, "isolation is turned off")
		return s
	}
	// One level per Sandbox: several servers may share a process (tests).
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := "nimbus-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(suffix[:])
	if cg, err := probeCgroups(name); err == nil {
		s.cg = cg
		cg.removeStale(name)
		s.iso.Memory = "cgroup-v1"
		if cg.memory.v2 {
			s.iso.Memory = "cgroup-v2"
		}
	} else {
		s.missing = append(s.missing, "memory cgroup: "+err.Error())
	}
	if err := s.probeFilesystem(); err == nil {
		s.iso.Filesystem = "mount-namespace"
	} else {
		s.missing = append(s.missing, "mount namespace: "+err.Error())
	}
	// A user per instance needs the right to switch users, and the
	// namespace to keep the instance from other users' files in /tmp.
	switch {
	case os.Geteuid() != 0:
		s.missing = append(s.missing, "per-instance user: Nimbus does not run as root")
	case s.iso.Filesystem != "mount-namespace":
		s.missing = append(s.missing, "per-instance user: needs the mount namespace")
	default:
		s.iso.User = "per-instance"
	}
	return s
}

// onOwnThread runs f on an OS thread of its own that is never reused: f
// may change the thread's namespaces and cgroups. The thread lives until
// done is closed (nil: until f returns): the kernel sends a child's
// Pdeathsig when the thread that forked it ends, not the process. The main
// thread is never used: Go cannot end it, and /proc/self shows its state.
func onOwnThread(f func() error, done <-chan struct{}) error {
	errc := make(chan error, 1)
	var run func()
	run = func() {
		// Locked and never unlocked: the Go runtime ends the thread when
		// this goroutine returns, and creates no other thread from it.
		goruntime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// Still untouched. Holding it, start over elsewhere: the new
			// goroutine cannot be scheduled on this thread.
			moved := make(chan struct{})
			go func() { close(moved); run() }()
			<-moved
			goruntime.UnlockOSThread()
			return
		}
		err := f()
		errc <- err
		if err == nil && done != nil {
			<-done
		}
	}
	go run()
	return <-errc
}

// probeFilesystem builds a view with nothing bound, in a thread of its own
// that is thrown away, to prove that every step works here.
func (s *Sandbox) probeFilesystem() error {
	host, err := listHost()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "nimbus-sandbox-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	err = onOwnThread(func() error {
		if err := enterPrivateNamespace(); err != nil {
			return err
		}
		return buildRoot(filepath.Join(dir, "root"), host, nil, dir)
	}, nil)
	if err != nil {
		return err
	}
	s.host = host
	return nil
}

// Isolation reports what is in force; a nil Sandbox isolates nothing.
func (s *Sandbox) Isolation() Isolation {
	if s == nil {
		return Isolation{Memory: "rss-poll", Filesystem: "none", User: "shared"}
	}
	return s.iso
}

// Missing says why the parts not in force are missing, one line each.
func (s *Sandbox) Missing() []string { return s.missing }

// Close removes Nimbus's cgroup level; call it once every Box is released.
func (s *Sandbox) Close() {
	if s.cg != nil {
		s.cg.close()
	}
}

// Spec describes one instance's sandbox.
type Spec struct {
	// ID names the instance's cgroups.
	ID string
	// Root is an empty host directory the view is built on (only inside the
	// instance's namespace).
	Root string
	// Tmp is the host directory that becomes /tmp; Prepare gives it to the
	// instance's user.
	Tmp string
	// Binds are the read-only directories of the view.
	Binds []Bind
	// MemoryBytes limits the instance's memory.
	MemoryBytes int64
	// FileSizeBytes limits the size of any file the instance writes
	// (RLIMIT_FSIZE); 0 for none.
	FileSizeBytes int64
}

// Box is one instance's sandbox, from Prepare to Release.
type Box struct {
	s    *Sandbox
	spec Spec
	cg   *instanceGroup // nil without memory cgroups
	uid  int            // -1: Nimbus's own user
	// uidLock holds uid for this instance, host-wide, until Release.
	uidLock *os.File
	// released ends the thread that started the process: its parent as far
	// as the kernel knows, whose end would fire the process's Pdeathsig.
	released    chan struct{}
	releaseOnce sync.Once
}

// Prepare creates the instance's cgroups and user and hands it its /tmp.
func (s *Sandbox) Prepare(spec Spec) (*Box, error) {
	for _, b := range spec.Binds {
		if err := viewPath(b.View); err != nil {
			return nil, err
		}
	}
	b := &Box{s: s, spec: spec, uid: -1, released: make(chan struct{})}
	if s.cg != nil {
		cg, err := s.cg.create(spec.ID, spec.MemoryBytes, MaxPids)
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		b.cg = cg
	}
	if s.iso.User == "per-instance" {
		uid, lock, err := s.takeUID()
		if err != nil {
			b.Release()
			return nil, fmt.Errorf("sandbox: choosing the instance's user: %w", err)
		}
		b.uid, b.uidLock = uid, lock
		if err := os.Chown(spec.Tmp, b.uid, b.uid); err != nil {
			b.Release()
			return nil, fmt.Errorf("sandbox: giving /tmp to the instance's user: %w", err)
		}
	}
	return b, nil
}

// takeUID finds a user id no other instance on this host has, this
// server's or another's: each is held by a lock on a file named after it,
// released by the Box.
func (s *Sandbox) takeUID() (int, *os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.uidDir, 0o700); err != nil {
		return 0, nil, err
	}
	for n := 0; n < maxUIDs; n++ {
		uid := s.uidBase + (s.nextUID+n)%maxUIDs
		f, err := os.OpenFile(filepath.Join(s.uidDir, strconv.Itoa(uid)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return 0, nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		s.nextUID = (s.nextUID + n + 1) % maxUIDs
		return uid, f, nil
	}
	return 0, nil, fmt.Errorf("all %d instance user ids are in use", maxUIDs)
}

// maxUIDs bounds the instances isolated at once on a host.
const maxUIDs = 65536

// Isolated reports whether the instance sees the view rather than the
// host's filesystem.
func (b *Box) Isolated() bool { return b.s.iso.Filesystem == "mount-namespace" }

// Start starts cmd in the sandbox. cmd's paths (Path, Dir) are those of
// the view when Isolated. cmd.SysProcAttr, if set, is extended.
func (b *Box) Start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	attr := cmd.SysProcAttr
	if b.uid >= 0 {
		attr.Credential = &syscall.Credential{Uid: uint32(b.uid), Gid: uint32(b.uid), Groups: []uint32{}}
		if !b.s.prlimit {
			b.lowerLimitsInChild(cmd)
		}
	}
	if b.cg == nil && !b.Isolated() {
		if err := cmd.Start(); err != nil {
			return err
		}
		return b.limit(cmd.Process.Pid)
	}
	if b.cg != nil && b.cg.v2 {
		fd, err := unix.Open(b.cg.memory, unix.O_DIRECTORY|unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("sandbox: opening the instance's cgroup: %w", err)
		}
		defer unix.Close(fd)
		attr.UseCgroupFD, attr.CgroupFD = true, fd
	}
	if err := onOwnThread(func() error { return b.startLocked(cmd) }, b.released); err != nil {
		return err
	}
	if b.uid >= 0 && !b.s.prlimit {
		return nil // the shell lowered them
	}
	return b.limit(cmd.Process.Pid)
}

// lowerLimitsInChild makes cmd lower its own rlimits before it runs: a
// process of another user's cannot be prlimit'ed without CAP_SYS_RESOURCE,
// which Nimbus may not have. The shell execs the program, which keeps its
// pid (PID 1 of its namespace).
func (b *Box) lowerLimitsInChild(cmd *exec.Cmd) {
	script := "ulimit -n " + strconv.Itoa(OpenFiles) + " 2>/dev/null"
	if b.spec.FileSizeBytes > 0 {
		// dash counts in 512-byte blocks.
		script += "; ulimit -f " + strconv.FormatInt((b.spec.FileSizeBytes+511)/512, 10) + " 2>/dev/null"
	}
	script += `; exec "$0" "$@"`
	args := append([]string{"/bin/sh", "-c", script, cmd.Path}, cmd.Args[1:]...)
	cmd.Path, cmd.Args = "/bin/sh", args
}

func (b *Box) startLocked(cmd *exec.Cmd) error {
	if b.Isolated() {
		if err := enterPrivateNamespace(); err != nil {
			return err
		}
		if err := buildRoot(b.spec.Root, b.s.host, b.spec.Binds, b.spec.Tmp); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		cmd.SysProcAttr.Chroot = b.spec.Root
		cmd.SysProcAttr.Cloneflags |= unix.CLONE_NEWPID
	}
	if b.cg != nil && !b.cg.v2 {
		tid := unix.Gettid()
		if err := b.cg.enterThread(tid); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		defer func() { _ = b.cg.leaveThread(tid) }()
	}
	return cmd.Start()
}

// limit lowers the started process's rlimits. It has exec'd by now (Start
// waits for that), so nothing of Go's process start resets them.
func (b *Box) limit(pid int) error {
	limits := []struct {
		resource int
		value    uint64
	}{{unix.RLIMIT_NOFILE, OpenFiles}}
	if b.spec.FileSizeBytes > 0 {
		limits = append(limits, struct {
			resource int
			value    uint64
		}{unix.RLIMIT_FSIZE, uint64(b.spec.FileSizeBytes)})
	}
	for _, l := range limits {
		rl := unix.Rlimit{Cur: l.value, Max: l.value}
		if err := unix.Prlimit(pid, l.resource, &rl, nil); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("sandbox: setting rlimits: %w", err)
		}
	}
	return nil
}

// PeakMemoryBytes is the instance's memory high-water mark from its cgroup,
// or 0 without one.
func (b *Box) PeakMemoryBytes() int64 {
	if b.cg == nil {
		return 0
	}
	return b.cg.peakBytes()
}

// OOMKilled reports whether the cgroup's OOM killer killed a process of
// the instance.
func (b *Box) OOMKilled() bool {
	return b.cg != nil && b.cg.oomKills() > 0
}

// Release removes the instance's cgroups (killing what is left in them)
// and frees its user id. Call it once the process has been reaped.
func (b *Box) Release() {
	b.releaseOnce.Do(func() { close(b.released) })
	if b.cg != nil {
		b.cg.remove()
		b.cg = nil
	}
	if b.uidLock != nil {
		b.uidLock.Close() // releases the lock
		b.uidLock, b.uid = nil, -1
	}
}

// hasCapability reports whether the process's effective set has c.
func hasCapability(c int) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[c/32].Effective&(1<<(uint(c)%32)) != 0
}

func killPid(pid int) error { return unix.Kill(pid, unix.SIGKILL) }
