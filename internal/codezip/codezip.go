// Package codezip unpacks Lambda deployment packages (.zip files) into a
// directory, refusing anything that could write or point outside it.
//
// Extract is the only entry point. It never trusts the archive: entry names
// are checked before anything is created, sizes are counted as bytes are
// written rather than read from headers, nothing is written through a
// symlink, and every symlink must resolve inside the code directory. The
// result appears at its destination atomically.
package codezip

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultMaxUnzipped is Lambda's limit on the unzipped size of a function's
// code and layers: 250 MB.
const DefaultMaxUnzipped int64 = 262144000

// invalidZipMessage is what Lambda answers for an archive it cannot read.
const invalidZipMessage = "Could not unzip uploaded file. Please check your file, then try to upload again."

// Kind classifies an Error.
type Kind int

const (
	// InvalidZip means the data is not a readable zip archive, or an entry
	// is corrupt or uses an unsupported compression method.
	InvalidZip Kind = iota + 1
	// TooLarge means the unzipped contents exceed the size limit.
	TooLarge
	// UnsafeEntry means an entry would be written, or would point, outside
	// the code directory, or conflicts with an earlier entry.
	UnsafeEntry
)

// Error is a problem with the archive itself, as opposed to a failure of the
// local filesystem. Its message is meant for the user who uploaded the
// archive (Lambda reports these as InvalidParameterValueException).
type Error struct {
	// Kind says what is wrong.
	Kind Kind
	// Entry is the name of the offending zip entry, or "" when the problem
	// is not with one entry.
	Entry string
	// Message is the user-facing text returned by Error.
	Message string
	// Err is the underlying cause, for logs; it may be nil.
	Err error
}

// Error returns e.Message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Stats describes what Extract wrote. An entry replaced by a later one of
// the same name is counted too.
type Stats struct {
	// Files counts regular files and symlinks (not directories).
	Files int
	// Bytes is the total size of file contents and symlink targets written.
	Bytes int64
}

// Extract unpacks the zip archive zipData into the directory dest, which
// must not exist; dest's parent is created if needed. A maxUnzipped <= 0
// means DefaultMaxUnzipped.
//
// The archive is unpacked into a temporary directory next to dest (named
// ".<base of dest>.partial-*") which is renamed to dest once complete, so
// dest either does not exist or holds the whole archive; on error the
// temporary directory is removed. A temporary directory left by a crash can
// be deleted by the caller. Files are not fsynced: after a power loss the
// contents of a freshly extracted dest may be incomplete.
//
// Unix permission bits are kept when the archive records them, made
// owner-readable (and owner-writable and -searchable for directories);
// otherwise files get 0644 and directories 0755. Setuid, setgid and sticky
// bits are dropped. Entries that repeat a regular file's name replace it.
//
// Problems with the archive are returned as *Error; other errors (disk
// full, permissions, dest already existing) are not.
func Extract(zipData []byte, dest string, maxUnzipped int64) (Stats, error) {
	if maxUnzipped <= 0 {
		maxUnzipped = DefaultMaxUnzipped
	}
	if _, err := os.Lstat(dest); err == nil {
		return Stats{}, fmt.Errorf("codezip: extracting into %q: %w", dest, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Stats{}, fmt.Errorf("codezip: extracting into %q: %w", dest, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipData), int64(len(zipData)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // Names are checked below.
		return Stats{}, &Error{Kind: InvalidZip, Message: invalidZipMessage, Err: err}
	}

	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Stats{}, fmt.Errorf("codezip: creating parent of %q: %w", dest, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dest)+".partial-")
	if err != nil {
		return Stats{}, fmt.Errorf("codezip: extracting into %q: %w", dest, err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp) // Best effort; the error being returned matters more.
		}
	}()

	stats, err := extractInto(zr, tmp, maxUnzipped)
	if err != nil {
		return Stats{}, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp made it 0700.
		return Stats{}, fmt.Errorf("codezip: extracting into %q: %w", dest, err)
	}
	if err := renameNoReplace(tmp, dest); err != nil {
		return Stats{}, fmt.Errorf("codezip: moving extracted code to %q: %w", dest, err)
	}
	done = true
	return stats, nil
}

// extractInto unpacks every entry of zr into the empty directory dir.
func extractInto(zr *zip.Reader, dir string, maxUnzipped int64) (Stats, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("codezip: opening %q: %w", dir, err)
	}
	defer root.Close()
	x := &extractor{root: root, max: maxUnzipped, dirs: map[string]bool{}}
	for _, f := range zr.File {
		if err := x.entry(f); err != nil {
			return Stats{}, err
		}
	}
	for _, l := range x.links {
		if err := x.checkLink(l); err != nil {
			return Stats{}, err
		}
	}
	return x.stats, nil
}
