package codezip

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBombStopsAtLimit(t *testing.T) {
	t.Parallel()
	const max = 1 << 16
	data := buildZip(t, entry{name: "bomb", body: zeros(1 << 20), claimSize: 1 << 62})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = extractInto(zr, dir, max)
	var ze *Error
	if !errors.As(err, &ze) || ze.Kind != TooLarge {
		t.Fatalf("extractInto error = %v, want TooLarge", err)
	}
	if n := treeBytes(t, dir); n > max+1 {
		t.Errorf("wrote %d bytes before stopping, want at most %d", n, max+1)
	}
}

// FuzzExtract checks that no archive makes Extract write outside its
// destination, exceed its size limit, leave a partial directory behind or
// create a symlink that resolves outside the destination.
func FuzzExtract(f *testing.F) {
	for _, c := range extractCases() {
		f.Add(c.zip(f))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 1 << 16 // Small, so inputs that inflate a lot stay fast.
		root := t.TempDir()
		parent := filepath.Join(root, "a", "b", "c") // Room for "../" to land in root.
		dest := filepath.Join(parent, "code")
		_, err := Extract(data, dest, max)

		var ze *Error
		if err != nil && !errors.As(err, &ze) {
			t.Fatalf("Extract failed with a non-archive error: %v", err)
		}
		// Only the parents of dest, and dest on success, may exist.
		allowed := map[string]bool{"a": true, "a/b": true, "a/b/c": true}
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, werr error) error {
			rel, _ := filepath.Rel(root, p)
			rel = filepath.ToSlash(rel)
			switch {
			case werr != nil:
				t.Fatalf("walking %s: %v", p, werr)
			case rel == "." || allowed[rel]:
			case err == nil && (rel == "a/b/c/code" || strings.HasPrefix(rel, "a/b/c/code/")):
			default:
				t.Fatalf("Extract (err %v) left %q outside dest", err, rel)
			}
			return nil
		})
		if err != nil {
			return
		}
		if n := treeBytes(t, dest); n > max {
			t.Fatalf("extracted %d bytes, over the limit %d", n, max)
		}
		checkLinksInside(t, dest)
	})
}

// treeBytes sums the sizes of the regular files under dir.
func treeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		n += fi.Size()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkLinksInside fails if a symlink under dest resolves outside it,
// physically when its target exists and lexically otherwise.
func checkLinksInside(t *testing.T, dest string) {
	t.Helper()
	real, err := filepath.EvalSymlinks(dest)
	if err != nil {
		t.Fatal(err)
	}
	inside := func(p string) bool { return p == real || strings.HasPrefix(p, real+string(filepath.Separator)) }
	_ = filepath.WalkDir(real, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		target, err := os.Readlink(p)
		if err != nil {
			t.Fatal(err)
		}
		if !inside(filepath.Join(filepath.Dir(p), target)) {
			t.Fatalf("symlink %s -> %s points outside", p, target)
		}
		if resolved, err := filepath.EvalSymlinks(p); err == nil && !inside(resolved) {
			t.Fatalf("symlink %s -> %s resolves to %s, outside", p, target, resolved)
		}
		return nil
	})
}
