package sandbox

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCgroupDiscovery(t *testing.T) {
	mountinfo := []byte(`22 1 0:21 / /proc rw,nosuid - proc proc rw
30 25 0:26 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
31 25 0:27 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
32 25 0:28 /outer /sys/fs/cgroup/unified\040dir rw,relatime - cgroup2 cgroup2 rw
`)
	self := []byte(`9:name=systemd:/
8:pids:/
4:memory:/process_api/abc
0::/outer/inner
`)
	mounts := mountedCgroups(mountinfo)
	wantMounts := map[string]cgroupMount{
		"memory": {point: "/sys/fs/cgroup/memory", root: "/"},
		"pids":   {point: "/sys/fs/cgroup/pids", root: "/"},
		"":       {point: "/sys/fs/cgroup/unified dir", root: "/outer"},
	}
	if diff := cmp.Diff(wantMounts, mounts, cmp.AllowUnexported(cgroupMount{})); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	own := ownCgroups(self)
	for _, tt := range []struct{ controller, want string }{
		{"memory", "/sys/fs/cgroup/memory/process_api/abc"},
		{"pids", "/sys/fs/cgroup/pids"},
		{"", "/sys/fs/cgroup/unified dir/inner"},
	} {
		if got := groupDir(mounts[tt.controller], own[tt.controller]); got != tt.want {
			t.Errorf("groupDir(%q) = %q, want %q", tt.controller, got, tt.want)
		}
	}
}

func TestViewPath(t *testing.T) {
	for p, ok := range map[string]bool{
		"/var/task": true, "/var/lang": true, "/node_modules": true, "/opt/x": true,
		"/": false, "var/task": false, "/var/task/": false, "/tmp": false, "/tmp/x": false,
		"/proc/1": false, "/var": false, "/opt": false, "/var/../etc": false,
	} {
		if err := viewPath(p); (err == nil) != ok {
			t.Errorf("viewPath(%q) = %v, want ok %v", p, err, ok)
		}
	}
}
