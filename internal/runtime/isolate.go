package runtime

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/nimbus-dev/nimbus/internal/sandbox"
)

// view is where an instance finds its files: the host's own paths, or,
// in a sandbox, Lambda's (/var/task, /var/runtime, /var/lang, /tmp).
type view struct {
	taskRoot string
	tmp      string
	// langLib is /var/lang/lib when the interpreter is bound there: its
	// libraries' run path names the host directory, which the instance's
	// user cannot reach.
	langLib string
	binds   []sandbox.Bind
}

// hostView is the view of an instance that runs as a plain process.
func (i *instance) hostView() view {
	return view{taskRoot: i.fn.CodeDir, tmp: i.tmpDir}
}

// sandboxView binds what argv needs into Lambda's paths: the code at
// /var/task, the bootstrap's directory at /var/runtime, an interpreter that
// other users cannot reach at /var/lang, the SDK directories beside it. It
// returns the view and argv rewritten to it.
func (i *instance) sandboxView(argv []string, sdkDirs map[string]string) (view, []string) {
	v := view{taskRoot: "/var/task", tmp: "/tmp"}
	v.binds = append(v.binds, sandbox.Bind{Host: i.fn.CodeDir, View: "/var/task"})
	runtimes := filepath.Join(i.m.cfg.WorkDir, "runtimes") + string(filepath.Separator)
	for _, a := range argv[1:] {
		if strings.HasPrefix(a, runtimes) {
			v.binds = append(v.binds, sandbox.Bind{Host: filepath.Dir(a), View: "/var/runtime"})
			break
		}
	}
	if interp := argv[0]; !strings.HasPrefix(interp, i.fn.CodeDir+string(filepath.Separator)) && !reachable(interp) {
		// <prefix>/bin/python3.12 → /var/lang/bin/python3.12, as on Lambda.
		if bin := filepath.Dir(interp); filepath.Base(bin) == "bin" {
			v.binds = append(v.binds, sandbox.Bind{Host: filepath.Dir(bin), View: "/var/lang"})
			v.langLib = "/var/lang/lib"
		}
	}
	for host, at := range sdkDirs {
		if host != "" && !v.covers(host) && !reachable(host) {
			v.binds = append(v.binds, sandbox.Bind{Host: host, View: at})
		}
	}
	out := make([]string, len(argv))
	for n, a := range argv {
		out[n] = v.translate(a)
	}
	return v, out
}

// covers reports whether a bind already shows host.
func (v *view) covers(host string) bool {
	for _, b := range v.binds {
		if host == b.Host || strings.HasPrefix(host, b.Host+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// translate maps a host path to where the view shows it; other strings
// are returned unchanged.
func (v *view) translate(p string) string {
	binds := append([]sandbox.Bind(nil), v.binds...)
	sort.Slice(binds, func(a, b int) bool { return len(binds[a].Host) > len(binds[b].Host) })
	for _, b := range binds {
		if p == b.Host {
			return b.View
		}
		if rest, ok := strings.CutPrefix(p, b.Host+string(filepath.Separator)); ok {
			return b.View + "/" + rest
		}
	}
	return p
}

// reachable reports whether any user may run path: every directory on the
// way may be searched by others, and the file executed by them.
func reachable(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o001 == 0 {
		return false
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if dir == "/" || dir == "." {
			return true
		}
	}
}

// tmpUsage is the disk space the files under dir take, in bytes.
func tmpUsage(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				total += st.Blocks * 512
			} else {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

// watchInterval is how often watch looks at a running instance's /tmp and,
// without a memory cgroup, its resident memory.
const watchInterval = 250 * time.Millisecond

// idleWatchInterval is how often watch polls the resident memory of an idle
// instance without a memory cgroup. An idle runtime waits in /next, so only
// a background thread of the function can still grow; one read of a held
// /proc descriptor a second bounds that at a negligible cost.
const idleWatchInterval = time.Second

// watch enforces the limits the kernel does not for this instance: /tmp
// past EphemeralStorage (a directory on the host's disk, not a filesystem
// of that size), and MemorySize where no cgroup holds the process. It runs
// until the process has exited.
//
// /tmp is sized by walking it, so only while the instance runs code (its
// init and its invocations) and once after each invocation: an idle
// instance is not walked. With a memory cgroup, an idle instance's watch
// sleeps until its next invocation.
func (i *instance) watch() {
	pollMemory := i.box == nil || i.m.cfg.Sandbox.Isolation().Memory == "rss-poll"
	tmpLimit := int64(i.fn.ephemeralMB()) << 20
	memLimit := int64(i.fn.memoryMB()) << 20
	var w watchState
	period := watchInterval // of t; 0 while stopped
	t := time.NewTicker(period)
	defer t.Stop()
	setPeriod := func(d time.Duration) {
		switch {
		case d == period:
		case d == 0:
			t.Stop()
		default:
			t.Reset(d)
		}
		period = d
	}
	for {
		select {
		case <-i.exited:
			return
		case <-i.watchWake:
			w.wake()
			setPeriod(watchInterval)
			continue
		case <-t.C:
		}
		sizeTmp, next := w.tick(i.runsCode(), pollMemory)
		if sizeTmp && tmpUsage(i.tmpDir) > tmpLimit {
			i.killFor("tmp", fmt.Sprintf("Nimbus: /tmp holds more than the function's ephemeral storage (%d MB); the instance is stopped\n", i.fn.ephemeralMB()))
			return
		}
		if pollMemory && i.peak != nil && i.peak.readRSS() > memLimit {
			i.killFor("memory", "")
			return
		}
		setPeriod(next)
	}
}

// watchState is watch's schedule: when /tmp is sized, and how often the
// watch wakes. The zero value is the watch of a starting instance.
type watchState struct {
	// quiet: the instance has run no code since /tmp was last sized.
	quiet bool
}

// wake records that an invocation has begun.
func (w *watchState) wake() { w.quiet = false }

// tick decides what one tick does, given whether the instance runs code
// now: whether to size /tmp (while it runs code, and once after), and
// the interval to the next tick (0: none until wake).
func (w *watchState) tick(running, pollMemory bool) (sizeTmp bool, next time.Duration) {
	sizeTmp = running || !w.quiet
	w.quiet = !running
	switch {
	case running:
		return sizeTmp, watchInterval
	case pollMemory:
		return sizeTmp, idleWatchInterval
	default:
		return sizeTmp, 0
	}
}

// runsCode reports whether the instance runs its init or an invocation.
func (i *instance) runsCode() bool { return i.running.Load() }

// killFor kills the process past a limit, saying why in the function's log.
func (i *instance) killFor(reason, logLine string) {
	i.m.mu.Lock()
	if i.killedFor == "" {
		i.killedFor = reason
	}
	i.m.mu.Unlock()
	if logLine != "" {
		i.log.emit(logLine)
	}
	i.kill()
}

// outOfMemory reports whether the process was killed for exceeding its
// memory: by its cgroup, or by watch. m.mu must not be held.
func (i *instance) outOfMemory() bool {
	i.m.mu.Lock()
	polled := i.killedFor == "memory"
	i.m.mu.Unlock()
	return polled || (i.box != nil && i.box.OOMKilled())
}
