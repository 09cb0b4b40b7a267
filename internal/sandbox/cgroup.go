package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cgroupTree is one cgroup hierarchy Nimbus nests its instances in: dir is
// Nimbus's own group there plus a "nimbus-<pid>" level of its own.
type cgroupTree struct {
	v2  bool
	dir string
}

// mountedCgroups lists the cgroup hierarchies from mountinfo: for v1 by
// controller name ("memory", "pids"), for v2 under "" — each with its mount
// point and the root of the mount.
type cgroupMount struct{ point, root string }

func mountedCgroups(mountinfo []byte) map[string]cgroupMount {
	found := map[string]cgroupMount{}
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		// id parent major:minor root point options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		m := cgroupMount{point: unescapeMount(f[4]), root: unescapeMount(f[3])}
		switch g[0] {
		case "cgroup2":
			found[""] = m
		case "cgroup":
			for _, opt := range strings.Split(g[2], ",") {
				if opt == "memory" || opt == "pids" {
					found[opt] = m
				}
			}
		}
	}
	return found
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ownCgroups reads /proc/self/cgroup: the process's group per v1
// controller, and its v2 group under "".
func ownCgroups(procSelfCgroup []byte) map[string]string {
	own := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(procSelfCgroup))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			own[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own
}

// groupDir is where a process's group path appears under a mount.
func groupDir(m cgroupMount, path string) string {
	rel := path
	if m.root != "/" {
		rel = strings.TrimPrefix(path, m.root)
	}
	return filepath.Join(m.point, rel)
}

// cgroups holds the hierarchies used: a v2 one doing memory and pids, or
// v1 memory with v1 pids when that is mounted.
type cgroups struct {
	memory *cgroupTree
	pids   *cgroupTree // nil: no pids limit (v1 without the pids controller)
}

// probeCgroups finds a writable memory hierarchy and creates Nimbus's own
// level in it. v2 is used only where its memory controller is available.
func probeCgroups(name string) (*cgroups, error) {
	// thread-self, not self: /proc/self shows the main thread's namespace,
	// which is not this thread's if a sandbox ever ran there.
	mountinfo, err := os.ReadFile("/proc/thread-self/mountinfo")
	if err != nil {
		return nil, err
	}
	self, err := os.ReadFile("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	mounts, own := mountedCgroups(mountinfo), ownCgroups(self)
	var v2err error
	if m, ok := mounts[""]; ok {
		if path, ok := own[""]; ok {
			cg, err := probeV2(groupDir(m, path), name)
			if err == nil {
				return cg, nil
			}
			v2err = err
		}
	}
	m, ok := mounts["memory"]
	path, ok2 := own["memory"]
	if !ok || !ok2 {
		if v2err != nil {
			return nil, v2err
		}
		return nil, errors.New("no cgroup hierarchy with the memory controller is mounted")
	}
	mem := &cgroupTree{dir: filepath.Join(groupDir(m, path), name)}
	if err := os.Mkdir(mem.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("creating %s: %w", mem.dir, err)
	}
	cg := &cgroups{memory: mem}
	if m, ok := mounts["pids"]; ok {
		if path, ok := own["pids"]; ok {
			pids := &cgroupTree{dir: filepath.Join(groupDir(m, path), name)}
			if err := os.Mkdir(pids.dir, 0o755); err == nil || errors.Is(err, os.ErrExist) {
				cg.pids = pids
			}
		}
	}
	return cg, nil
}

// probeV2 checks that the v2 group own offers memory, and makes Nimbus's
// level below it with memory and pids delegated to the instances.
func probeV2(own, name string) (*cgroups, error) {
	controllers, err := os.ReadFile(filepath.Join(own, "cgroup.controllers"))
	if err != nil {
		return nil, err
	}
	if !hasWord(controllers, "memory") {
		return nil, errors.New("the cgroup2 hierarchy has no memory controller")
	}
	dir := filepath.Join(own, name)
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	enable := "+memory"
	if hasWord(controllers, "pids") {
		enable += " +pids"
	}
	// Both levels must pass the controllers down; the own group can only
	// when it holds no processes itself (the "no internal processes" rule).
	for _, d := range []string{own, dir} {
		if err := os.WriteFile(filepath.Join(d, "cgroup.subtree_control"), []byte(enable), 0); err != nil {
			_ = os.Remove(dir)
			return nil, fmt.Errorf("enabling %s in %s: %w", enable, d, err)
		}
	}
	t := &cgroupTree{v2: true, dir: dir}
	cg := &cgroups{memory: t}
	if hasWord(controllers, "pids") {
		cg.pids = t
	}
	return cg, nil
}

func hasWord(list []byte, word string) bool {
	for _, w := range strings.Fields(string(list)) {
		if w == word {
			return true
		}
	}
	return false
}

// close removes this Sandbox's level; it is empty once every instance is
// gone.
func (cg *cgroups) close() {
	for _, t := range []*cgroupTree{cg.memory, cg.pids} {
		if t != nil {
			_ = os.Remove(t.dir)
		}
	}
}

// removeStale removes the levels left by Nimbus servers that are gone
// (killed with their instances), found beside name.
func (cg *cgroups) removeStale(name string) {
	for _, t := range []*cgroupTree{cg.memory, cg.pids} {
		if t == nil {
			continue
		}
		parent := filepath.Dir(t.dir)
		matches, _ := filepath.Glob(filepath.Join(parent, "nimbus-*"))
		for _, dir := range matches {
			// nimbus-<pid>-<random>
			pidPart, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), "nimbus-"), "-")
			pid, err := strconv.Atoi(pidPart)
			if err != nil || filepath.Base(dir) == name || processExists(pid) {
				continue
			}
			subs, _ := filepath.Glob(filepath.Join(dir, "*", "cgroup.procs"))
			for _, s := range subs {
				_ = os.Remove(filepath.Dir(s))
			}
			_ = os.Remove(dir)
		}
	}
}

func processExists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// instanceGroup is one instance's cgroups.
type instanceGroup struct {
	memory string // dir
	pids   string // dir, "" when there is no pids hierarchy or it is memory's (v2)
	v2     bool
}

// create makes the instance's groups with its limits.
func (cg *cgroups) create(id string, memoryBytes int64, maxPids int) (*instanceGroup, error) {
	g := &instanceGroup{memory: filepath.Join(cg.memory.dir, id), v2: cg.memory.v2}
	if err := os.Mkdir(g.memory, 0o755); err != nil {
		return nil, fmt.Errorf("creating memory cgroup: %w", err)
	}
	limit := strconv.FormatInt(memoryBytes, 10)
	var writes [][2]string
	if g.v2 {
		writes = [][2]string{{"memory.max", limit}, {"memory.swap.max", "0"}}
		if cg.pids != nil {
			writes = append(writes, [2]string{"pids.max", strconv.Itoa(maxPids)})
		}
	} else {
		// memsw (memory+swap) may not be below the memory limit: set it after.
		writes = [][2]string{{"memory.limit_in_bytes", limit}, {"memory.memsw.limit_in_bytes", limit}}
	}
	for _, w := range writes {
		err := os.WriteFile(filepath.Join(g.memory, w[0]), []byte(w[1]), 0)
		if err != nil && !(errors.Is(err, os.ErrNotExist) && w[0] != "memory.limit_in_bytes" && w[0] != "memory.max") {
			g.remove()
			return nil, fmt.Errorf("setting %s: %w", w[0], err)
		}
	}
	if cg.pids != nil && !g.v2 {
		g.pids = filepath.Join(cg.pids.dir, id)
		if err := os.Mkdir(g.pids, 0o755); err != nil {
			g.pids = ""
			g.remove()
			return nil, fmt.Errorf("creating pids cgroup: %w", err)
		}
		if err := os.WriteFile(filepath.Join(g.pids, "pids.max"), []byte(strconv.Itoa(maxPids)), 0); err != nil {
			g.remove()
			return nil, fmt.Errorf("setting pids.max: %w", err)
		}
	}
	return g, nil
}

// enterThread moves the calling OS thread (v1: tasks take thread ids) into
// the instance's groups, so that the process it forks starts there.
func (g *instanceGroup) enterThread(tid int) error {
	for _, dir := range []string{g.memory, g.pids} {
		if dir == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, "tasks"), []byte(strconv.Itoa(tid)), 0); err != nil {
			return fmt.Errorf("entering cgroup %s: %w", dir, err)
		}
	}
	return nil
}

// leaveThread moves the calling thread back to Nimbus's own groups once
// the process has started, so that the groups hold only the instance.
func (g *instanceGroup) leaveThread(tid int) error {
	for _, dir := range []string{g.memory, g.pids} {
		if dir == "" {
			continue
		}
		// Nimbus's own group is two levels up: <own>/nimbus-<pid>/<instance>.
		own := filepath.Dir(filepath.Dir(dir))
		if err := os.WriteFile(filepath.Join(own, "tasks"), []byte(strconv.Itoa(tid)), 0); err != nil {
			return fmt.Errorf("leaving cgroup %s: %w", dir, err)
		}
	}
	return nil
}

// peakBytes is the group's memory high-water mark, 0 when unknown.
func (g *instanceGroup) peakBytes() int64 {
	name := "memory.max_usage_in_bytes"
	if g.v2 {
		name = "memory.peak"
	}
	b, err := os.ReadFile(filepath.Join(g.memory, name))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// oomKills counts the processes the group's OOM killer has killed.
func (g *instanceGroup) oomKills() int {
	name := "memory.oom_control"
	if g.v2 {
		name = "memory.events"
	}
	b, err := os.ReadFile(filepath.Join(g.memory, name))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// remove kills what is left in the groups and removes them. A group is
// busy for a moment after its last process is reaped, hence the retries.
func (g *instanceGroup) remove() {
	for _, dir := range []string{g.memory, g.pids} {
		if dir == "" {
			continue
		}
		for attempt := 0; attempt < 50; attempt++ {
			err := os.Remove(dir)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			killAll(dir)
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// killAll sends SIGKILL to the processes in a group.
func killAll(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(b)) {
		// Never Nimbus itself: a thread of it may be on its way out.
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 && pid != os.Getpid() {
			_ = killPid(pid)
		}
	}
}
