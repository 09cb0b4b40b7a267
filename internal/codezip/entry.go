package codezip

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// maxLinkTarget bounds the length of a symlink target (Linux's PATH_MAX).
const maxLinkTarget = 4096

// extractor holds the state of one extraction. Paths are relative to root
// and use forward slashes.
type extractor struct {
	root  *os.Root
	max   int64
	stats Stats
	// dirs holds directories known to be real directories (not symlinks).
	dirs map[string]bool
	// links holds the symlinks created, checked once all entries exist.
	links []string
}

// entry unpacks one zip entry.
func (x *extractor) entry(f *zip.File) error {
	rel, isDir, err := cleanName(f.Name)
	if err != nil {
		return err
	}
	if rel == "" {
		return nil // "./" and the like.
	}
	mode, hasMode := unixMode(f)
	switch {
	case isDir || f.FileInfo().IsDir():
		perm := fs.FileMode(0o755)
		if hasMode {
			perm = mode.Perm() | 0o700
		}
		return x.mkdirs(f.Name, rel, perm)
	case hasMode && mode&fs.ModeSymlink != 0:
		return x.symlink(f, rel)
	default:
		perm := fs.FileMode(0o644)
		if hasMode {
			perm = mode.Perm() | 0o400
		}
		return x.file(f, rel, perm)
	}
}

// mkdirs makes sure rel is a real directory, making it and its missing
// parents (with 0755), and sets its mode to perm. Nothing is made through
// a symlink. name is the entry being unpacked, for errors.
func (x *extractor) mkdirs(name, rel string, perm fs.FileMode) error {
	if rel == "." {
		return nil
	}
	if !x.dirs[rel] {
		if err := x.parentDir(name, rel); err != nil {
			return err
		}
		fi, err := x.root.Lstat(rel)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := x.root.Mkdir(rel, 0o700); err != nil {
				return fmt.Errorf("codezip: creating directory %q: %w", rel, err)
			}
		case err != nil:
			return fmt.Errorf("codezip: creating directory %q: %w", rel, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return unsafeEntry(name, "zip entry %q is inside symlink %q; nothing may be written through a symlink", name, rel)
		case !fi.IsDir():
			return unsafeEntry(name, "zip entry %q needs directory %q, but an earlier entry is a file", name, rel)
		}
		x.dirs[rel] = true
	}
	// Chmod after creating, so the umask does not change the bits. rel is a
	// real directory, so Chmod follows no symlink.
	if err := x.root.Chmod(rel, perm); err != nil {
		return fmt.Errorf("codezip: setting mode of %q: %w", rel, err)
	}
	return nil
}

// parentDir makes the directory that will hold rel, leaving the mode of a
// directory made earlier alone.
func (x *extractor) parentDir(name, rel string) error {
	dir := path.Dir(rel)
	if dir == "." || x.dirs[dir] {
		return nil
	}
	return x.mkdirs(name, dir, 0o755)
}

// file writes a regular file.
func (x *extractor) file(f *zip.File, rel string, perm fs.FileMode) error {
	if err := x.parentDir(f.Name, rel); err != nil {
		return err
	}
	if perm&0o111 != 0 {
		// No process may be forked while an executable is open for
		// writing: the child would hold the descriptor until it execs, and
		// running the file meanwhile fails with ETXTBSY (golang/go#22315).
		syscall.ForkLock.RLock()
		defer syscall.ForkLock.RUnlock()
	}
	out, err := x.create(f.Name, rel)
	if err != nil {
		return err
	}
	defer out.Close() // Closed again below; this is for the error paths.
	rc, err := f.Open()
	if err != nil {
		return invalidEntry(f.Name, err)
	}
	defer rc.Close()

	src := &readErrs{r: io.LimitReader(rc, x.max-x.stats.Bytes+1)}
	n, err := io.Copy(out, src)
	x.stats.Bytes += n
	if x.stats.Bytes > x.max {
		return &Error{
			Kind:    TooLarge,
			Entry:   f.Name,
			Message: fmt.Sprintf("Unzipped size must be smaller than %d bytes", x.max),
		}
	}
	if err != nil {
		if src.err != nil {
			return invalidEntry(f.Name, src.err)
		}
		return fmt.Errorf("codezip: writing %q: %w", rel, err)
	}
	if err := out.Chmod(perm); err != nil {
		return fmt.Errorf("codezip: setting mode of %q: %w", rel, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("codezip: writing %q: %w", rel, err)
	}
	x.stats.Files++
	return nil
}

// create makes a new, empty file at rel. O_EXCL makes creation fail rather
// than follow a symlink at rel; a regular file from an earlier entry of the
// same name is replaced.
func (x *extractor) create(name, rel string) (*os.File, error) {
	const flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	out, err := x.root.OpenFile(rel, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		fi, lerr := x.root.Lstat(rel)
		if lerr != nil || !fi.Mode().IsRegular() {
			return nil, unsafeEntry(name, "zip entry %q conflicts with an earlier entry", name)
		}
		if err := x.root.Remove(rel); err != nil {
			return nil, fmt.Errorf("codezip: replacing %q: %w", rel, err)
		}
		out, err = x.root.OpenFile(rel, flags, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("codezip: creating %q: %w", rel, err)
	}
	return out, nil
}

// symlink creates a symlink whose target stays inside the root, as far as
// can be told before every entry exists; extractInto checks it again at the
// end.
func (x *extractor) symlink(f *zip.File, rel string) error {
	rc, err := f.Open()
	if err != nil {
		return invalidEntry(f.Name, err)
	}
	defer rc.Close()
	target, err := io.ReadAll(io.LimitReader(rc, maxLinkTarget+1))
	if err != nil {
		return invalidEntry(f.Name, err)
	}
	if len(target) == 0 || len(target) > maxLinkTarget {
		return unsafeEntry(f.Name, "zip entry %q is a symlink with a target of %d bytes", f.Name, len(target))
	}
	x.stats.Bytes += int64(len(target))
	if x.stats.Bytes > x.max {
		return &Error{Kind: TooLarge, Entry: f.Name, Message: fmt.Sprintf("Unzipped size must be smaller than %d bytes", x.max)}
	}
	t := string(target)
	if !targetInside(rel, t) {
		return linkEscapes(f.Name, t)
	}
	if err := x.parentDir(f.Name, rel); err != nil {
		return err
	}
	if err := x.root.Symlink(t, rel); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return unsafeEntry(f.Name, "zip entry %q conflicts with an earlier entry", f.Name)
		}
		return fmt.Errorf("codezip: creating symlink %q: %w", rel, err)
	}
	x.links = append(x.links, rel)
	x.stats.Files++
	return nil
}

// readErrs remembers the error of its reader, to tell a corrupt archive
// from a failing disk after io.Copy.
type readErrs struct {
	r   io.Reader
	err error
}

// Read reads from the underlying reader, recording errors other than EOF.
func (r *readErrs) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// invalidEntry reports an entry that cannot be read.
func invalidEntry(name string, err error) *Error {
	return &Error{Kind: InvalidZip, Entry: name, Message: invalidZipMessage, Err: fmt.Errorf("zip entry %q: %w", name, err)}
}

// unsafeEntry reports an entry refused for safety.
func unsafeEntry(name, format string, args ...any) *Error {
	return &Error{Kind: UnsafeEntry, Entry: name, Message: fmt.Sprintf(format, args...)}
}

// linkEscapes reports a symlink pointing outside the code directory.
func linkEscapes(name, target string) *Error {
	return unsafeEntry(name, "zip entry %q is a symlink to %q, which is outside the code directory", name, target)
}
