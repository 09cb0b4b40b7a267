package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ). It
// is 100 on every Linux architecture Go supports; reading it needs sysconf,
// which needs cgo.
const clockTick = 10 * time.Millisecond

// procCPU returns the user plus system CPU time pid has used so far, from
// /proc/PID/stat (utime + stime, in clock ticks of 10 ms). Children's time
// is not included.
func procCPU(pid int) (time.Duration, error) {
	fields, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	// fields[0] is field 3 (state), so utime (14) and stime (15) are 11 and 12.
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parsing utime/stime of pid %d: %q %q", pid, fields[11], fields[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// statFields returns the fields of /proc/PID/stat after the command name,
// starting with field 3 (state).
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("reading /proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return nil, fmt.Errorf("reading /proc/%d/stat: %d fields", pid, len(fields))
	}
	return fields, nil
}

// procRSS returns the resident set size of pid in bytes (VmRSS in
// /proc/PID/status).
func procRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parsing VmRSS of pid %d: %w", pid, err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// childrenCPU returns the CPU time (as procCPU) of each live child of pid,
// found by scanning /proc for processes whose parent is pid.
func childrenCPU(pid int) map[int]time.Duration {
	out := map[int]time.Duration{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		fields, err := statFields(child)
		if err != nil || fields[1] != strconv.Itoa(pid) { // fields[1] is field 4, ppid
			continue
		}
		if cpu, err := procCPU(child); err == nil {
			out[child] = cpu
		}
	}
	return out
}

// cpuDelta is the CPU the children in after used since before; a child
// that appeared in between counts fully. A child that exited in between is
// lost, so callers only use this across runs where children live on.
func cpuDelta(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, cpu := range after {
		d += cpu - before[pid]
	}
	return d
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitListening polls addr with TCP connects every pollInterval until one
// succeeds, and returns when that happened; it fails after timeout or when
// exited is closed first.
func waitListening(addr string, timeout time.Duration, exited <-chan struct{}) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			at := time.Now()
			c.Close()
			return at, nil
		}
		select {
		case <-exited:
			return time.Time{}, fmt.Errorf("process exited before listening on %s", addr)
		case <-time.After(pollInterval):
		}
	}
	return time.Time{}, fmt.Errorf("nothing listening on %s after %v", addr, timeout)
}

// pollInterval is how often readiness is polled; it bounds the resolution
// of the start-up figures.
const pollInterval = time.Millisecond

// process is a subprocess the bench started.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited and been reaped
	// kids are children seen by noteChildren (pid → command name), killed
	// by stop even when the process died and they were reparented.
	kids map[int]string
}

// startProcess execs argv in dir with env added to the bench's environment,
// stdout discarded and stderr appended to stderr (which may be nil), and
// returns the process and the time just before the exec.
func startProcess(argv []string, dir string, env []string, stderr *os.File) (*process, time.Time, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if stderr != nil {
		cmd.Stderr = stderr
	}
	// The bench is its parent; the kernel kills it if the bench dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, t0, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{}), kids: map[int]string{}}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, t0, nil
}

// pid is the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// hasExited reports whether the process has exited and been reaped.
func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// noteChildren remembers the process's current children for stop.
func (p *process) noteChildren() {
	for pid := range childrenCPU(p.pid()) {
		p.kids[pid] = procComm(pid)
	}
}

// stop sends SIGTERM and waits up to grace for the process to exit, then
// SIGKILLs it. Children it leaves behind (RIE does not stop its runtime,
// and a crashed server cannot) are SIGKILLed by the pids they had when
// last noted, if those still run the same program.
func (p *process) stop(grace time.Duration) {
	p.noteChildren()
	children := p.kids
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.exited
	}
	for pid, comm := range children {
		if comm != "" && procComm(pid) == comm { // still the same program, not a reused pid
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// procComm is the command name of pid, or "" when it is gone.
func procComm(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// machineBusy returns the CPU time all CPUs have spent busy (everything in
// the first line of /proc/stat but idle and iowait) since boot.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0, fmt.Errorf("reading /proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already counted in user
			break
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading /proc/stat: %w", err)
		}
		busy += v
	}
	return time.Duration(busy) * clockTick, nil
}

// busyShare measures, over d, the share of all CPUs that was busy.
func busyShare(d time.Duration) float64 {
	b0, err := machineBusy()
	if err != nil {
		return 0
	}
	t0 := time.Now()
	time.Sleep(d)
	b1, err := machineBusy()
	if err != nil {
		return 0
	}
	return float64(b1-b0) / (float64(time.Since(t0)) * float64(runtime.NumCPU()))
}
