package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Bind puts a host directory into an instance's view, read-only.
type Bind struct {
	Host string
	// View is the absolute path it appears at: /var/task, /var/runtime …
	View string
}

// hostEntry is a top-level entry of the host's / or /var, mirrored
// read-only into every instance's view.
type hostEntry struct {
	path string // absolute, on the host and in the view
	kind entryKind
	link string // symlink target
}

type entryKind int

const (
	entryDir entryKind = iota
	entryFile
	entryLink
)

// ownedPaths are the parts of the view the sandbox makes itself rather
// than taking from the host.
var ownedPaths = map[string]bool{"/proc": true, "/tmp": true, "/var": true, "/opt": true}

// listHost reads the entries of / and /var to mirror, skipping the paths
// the view owns.
func listHost() ([]hostEntry, error) {
	var out []hostEntry
	for _, dir := range []string{"/", "/var"} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if ownedPaths[p] {
				continue
			}
			he := hostEntry{path: p}
			switch t := e.Type(); {
			case t&os.ModeSymlink != 0:
				he.kind = entryLink
				if he.link, err = os.Readlink(p); err != nil {
					continue
				}
			case t.IsDir():
				he.kind = entryDir
			case t.IsRegular():
				he.kind = entryFile
			default:
				continue // sockets, fifos at the top level: not mirrored
			}
			out = append(out, he)
		}
	}
	return out, nil
}

// buildRoot makes root the instance's view, in the calling thread's mount
// namespace, which must be new and private: a small tmpfs holding the
// mirrored host entries (read-only, nosuid), the binds (read-only), tmp at
// /tmp (writable) and a /proc that shows other users' processes to no one.
//
// The host trees are cloned before the tmpfs is mounted, so a clone of an
// ancestor of root (the data directory's disk) does not contain the view
// being built.
func buildRoot(root string, host []hostEntry, binds []Bind, tmp string) error {
	type clone struct {
		fd   int
		view string
		kind entryKind
	}
	var clones []clone
	defer func() {
		for _, c := range clones {
			if c.fd >= 0 {
				unix.Close(c.fd)
			}
		}
	}()
	cloneTree := func(src, view string, kind entryKind, recursive bool) error {
		flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
		if recursive {
			flags |= unix.AT_RECURSIVE
		}
		fd, err := unix.OpenTree(unix.AT_FDCWD, src, flags)
		if err != nil {
			return fmt.Errorf("cloning %s: %w", src, err)
		}
		clones = append(clones, clone{fd, view, kind})
		return nil
	}
	bound := map[string]bool{}
	for _, b := range binds {
		bound[b.View] = true
	}
	var mirrored []hostEntry
	for _, h := range host {
		if !bound[h.path] {
			mirrored = append(mirrored, h)
		}
	}
	host = mirrored
	for _, h := range host {
		if h.kind != entryLink {
			if err := cloneTree(h.path, h.path, h.kind, true); err != nil {
				return err
			}
		}
	}
	for _, b := range binds {
		if err := cloneTree(b.Host, b.View, entryDir, true); err != nil {
			return err
		}
	}
	readOnly := len(clones)
	if tmp != "" {
		if err := cloneTree(tmp, "/tmp", entryDir, false); err != nil {
			return err
		}
	}

	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=256k,nr_inodes=4096,mode=0755"); err != nil {
		return fmt.Errorf("mounting the view's tmpfs: %w", err)
	}
	for _, dir := range []string{"/proc", "/tmp", "/var", "/opt"} {
		if err := os.Mkdir(root+dir, 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(root+"/tmp", 0o1777); err != nil {
		return err
	}
	for _, h := range host {
		if h.kind == entryLink {
			if err := os.Symlink(h.link, root+h.path); err != nil {
				return err
			}
		}
	}
	attach := func(c clone) error {
		target := root + c.view
		switch c.kind {
		case entryFile:
			// mknod, not open: a file open for writing here, inherited by a
			// process another thread forks meanwhile, would make the
			// read-only switch below fail with EBUSY.
			if err := unix.Mknod(target, unix.S_IFREG|0o644, 0); err != nil {
				return err
			}
		default:
			if err := os.MkdirAll(target, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return err
			}
		}
		if err := unix.MoveMount(c.fd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("mounting %s: %w", c.view, err)
		}
		return nil
	}
	for _, c := range clones[:readOnly] {
		if err := attach(c); err != nil {
			return err
		}
	}
	ro := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID}
	if err := setAttrRetrying(root, unix.AT_RECURSIVE, ro); err != nil {
		return fmt.Errorf("making the view read-only: %w", err)
	}
	if tmp != "" {
		if err := attach(clones[readOnly]); err != nil {
			return err
		}
		rw := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV, Attr_clr: unix.MOUNT_ATTR_RDONLY}
		if err := unix.MountSetattr(unix.AT_FDCWD, root+"/tmp", 0, rw); err != nil {
			return fmt.Errorf("setting /tmp's flags: %w", err)
		}
	}
	// hidepid=invisible: processes of other users do not exist in this
	// /proc (each instance is a user of its own).
	if err := unix.Mount("proc", root+"/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "hidepid=invisible"); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	return nil
}

// setAttrRetrying is mount_setattr, tried again a few times on EBUSY: a
// mount cannot turn read-only while a file is open for writing through
// it, which a just-forked child of another thread may briefly hold.
func setAttrRetrying(path string, flags uint, attr *unix.MountAttr) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = unix.MountSetattr(unix.AT_FDCWD, path, flags, attr); !errors.Is(err, unix.EBUSY) {
			return err
		}
		time.Sleep(time.Millisecond)
	}
	return err
}

// enterPrivateNamespace moves the calling thread, which must be locked to
// its goroutine and never unlocked, into a new mount namespace in which no
// mount event propagates back to the host.
func enterPrivateNamespace() error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unsharing the mount namespace: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	return nil
}

// viewPath checks a bind's view path: absolute, clean, not the root and
// not one of the paths the sandbox owns.
func viewPath(p string) error {
	if !filepath.IsAbs(p) || filepath.Clean(p) != p || p == "/" {
		return fmt.Errorf("sandbox: bad view path %q", p)
	}
	for owned := range ownedPaths {
		if p == owned || (owned != "/var" && owned != "/opt" && strings.HasPrefix(p, owned+"/")) {
			return fmt.Errorf("sandbox: view path %q is the sandbox's own", p)
		}
	}
	return nil
}
