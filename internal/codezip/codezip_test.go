package codezip

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// node is what the tests expect at one path of the extracted tree.
type node struct {
	Mode fs.FileMode // Permission bits plus fs.ModeDir or fs.ModeSymlink.
	Data string      // File contents or symlink target.
}

const (
	dir755 = fs.ModeDir | 0o755
	link   = fs.ModeSymlink | 0o777
)

// extractCase is one archive and what Extract should do with it.
type extractCase struct {
	name    string
	zip     func(tb testing.TB) []byte
	max     int64           // 0 = DefaultMaxUnzipped
	want    map[string]node // tree at dest on success
	wantErr Kind            // 0 = success
	wantMsg string          // substring of the error message
	stats   *Stats          // nil = computed from want
}

// zipOf returns a zip builder for entries.
func zipOf(entries ...entry) func(tb testing.TB) []byte {
	return func(tb testing.TB) []byte { return buildZip(tb, entries...) }
}

// rawBytes returns a builder for fixed bytes.
func rawBytes(b []byte) func(tb testing.TB) []byte {
	return func(testing.TB) []byte { return b }
}

func extractCases() []extractCase {
	return []extractCase{
		{
			name: "files without unix modes",
			zip:  zipOf(entry{name: "index.js", body: "x"}, entry{name: "lib/a/b.js", body: "yy"}),
			want: map[string]node{
				"index.js": {0o644, "x"}, "lib": {dir755, ""}, "lib/a": {dir755, ""}, "lib/a/b.js": {0o644, "yy"},
			},
		},
		{
			name: "unix modes kept and made owner-readable",
			zip: zipOf(
				entry{name: "bin/", mode: fs.ModeDir | 0o750},
				entry{name: "bin/bootstrap", body: "#!/bin/sh", mode: 0o755},
				entry{name: "private", body: "p", mode: 0o600},
				entry{name: "writeonly", body: "w", mode: 0o200},
				entry{name: "setuid", body: "s", mode: fs.ModeSetuid | 0o755},
				entry{name: "locked/", mode: fs.ModeDir | 0o500},
			),
			want: map[string]node{
				"bin": {fs.ModeDir | 0o750, ""}, "bin/bootstrap": {0o755, "#!/bin/sh"},
				"private": {0o600, "p"}, "writeonly": {0o600, "w"}, "setuid": {0o755, "s"},
				"locked": {fs.ModeDir | 0o700, ""},
			},
		},
		{
			name:  "dot components and duplicate names",
			zip:   zipOf(entry{name: "./a.txt", body: "1"}, entry{name: "./", mode: fs.ModeDir | 0o755}, entry{name: "a.txt", body: "2"}),
			want:  map[string]node{"a.txt": {0o644, "2"}},
			stats: &Stats{Files: 2, Bytes: 2}, // The replaced entry counts.
		},
		{
			name: "symlinks inside",
			zip: zipOf(
				entry{name: "lib/real.so", body: "elf"},
				entry{name: "lib/link.so", body: "real.so", mode: link},
				entry{name: "a/b/up", body: "../../lib", mode: link},
				entry{name: "dangling", body: "not/there", mode: link},
			),
			want: map[string]node{
				"lib": {dir755, ""}, "lib/real.so": {0o644, "elf"}, "lib/link.so": {link, "real.so"},
				"a": {dir755, ""}, "a/b": {dir755, ""}, "a/b/up": {link, "../../lib"}, "dangling": {link, "not/there"},
			},
		},
		{name: "empty archive", zip: zipOf(), want: map[string]node{}},

		{name: "dot dot", zip: zipOf(entry{name: "../x", body: "x"}), wantErr: UnsafeEntry,
			wantMsg: `zip entry "../x" escapes the code directory`},
		{name: "dot dot deeper", zip: zipOf(entry{name: "a/../../x", body: "x"}), wantErr: UnsafeEntry, wantMsg: "escapes"},
		{name: "dot dot staying inside", zip: zipOf(entry{name: "a/../x", body: "x"}), wantErr: UnsafeEntry, wantMsg: "escapes"},
		{name: "backslash dot dot", zip: zipOf(entry{name: `..\x`, body: "x"}), wantErr: UnsafeEntry, wantMsg: "escapes"},
		{name: "absolute", zip: zipOf(entry{name: "/etc/passwd", body: "x"}), wantErr: UnsafeEntry,
			wantMsg: `zip entry "/etc/passwd" has an absolute path`},
		{name: "backslash absolute", zip: zipOf(entry{name: `\windows\x`, body: "x"}), wantErr: UnsafeEntry, wantMsg: "absolute"},
		{name: "drive letter", zip: zipOf(entry{name: `C:\x`, body: "x"}), wantErr: UnsafeEntry, wantMsg: "drive letter"},
		{name: "drive letter slash", zip: zipOf(entry{name: "c:/x", body: "x"}), wantErr: UnsafeEntry, wantMsg: "drive letter"},
		{name: "symlink escapes", zip: zipOf(entry{name: "l", body: "../outside", mode: link}), wantErr: UnsafeEntry,
			wantMsg: `zip entry "l" is a symlink to "../outside", which is outside the code directory`},
		{name: "symlink absolute", zip: zipOf(entry{name: "l", body: "/etc/passwd", mode: link}), wantErr: UnsafeEntry, wantMsg: "outside"},
		{name: "symlink escapes from subdir", zip: zipOf(entry{name: "a/l", body: "../../x", mode: link}), wantErr: UnsafeEntry, wantMsg: "outside"},
		{
			name: "symlink chain escapes",
			zip: zipOf(
				entry{name: "d1/d2/l1", body: "../..", mode: link},
				entry{name: "l2", body: "d1/d2/l1/..", mode: link},
			),
			wantErr: UnsafeEntry, wantMsg: `"l2" is a symlink to "d1/d2/l1/..", which is outside`,
		},
		{
			name:    "symlink loop",
			zip:     zipOf(entry{name: "a", body: "b", mode: link}, entry{name: "b", body: "a", mode: link}),
			wantErr: UnsafeEntry, wantMsg: "loop",
		},
		{
			name:    "write through symlink",
			zip:     zipOf(entry{name: "sub/", mode: fs.ModeDir | 0o755}, entry{name: "l", body: "sub", mode: link}, entry{name: "l/f", body: "x"}),
			wantErr: UnsafeEntry, wantMsg: `zip entry "l/f" is inside symlink "l"`,
		},
		{
			name:    "file over symlink",
			zip:     zipOf(entry{name: "t", body: "x"}, entry{name: "l", body: "t", mode: link}, entry{name: "l", body: "y"}),
			wantErr: UnsafeEntry, wantMsg: "conflicts with an earlier entry",
		},
		{
			name:    "file where a directory is needed",
			zip:     zipOf(entry{name: "a", body: "x"}, entry{name: "a/b", body: "y"}),
			wantErr: UnsafeEntry, wantMsg: "earlier entry is a file",
		},

		{name: "too large", zip: zipOf(entry{name: "big", body: zeros(1 << 20)}), max: 1000, wantErr: TooLarge,
			wantMsg: "Unzipped size must be smaller than 1000 bytes"},
		{name: "too large in total", max: 1000, wantErr: TooLarge,
			zip: zipOf(entry{name: "a", body: zeros(600)}, entry{name: "b", body: zeros(600)})},
		{name: "exactly the limit", max: 1000, zip: zipOf(entry{name: "a", body: zeros(1000)}),
			want: map[string]node{"a": {0o644, zeros(1000)}}},
		{name: "bomb claiming huge size", max: 1 << 16, wantErr: TooLarge,
			zip: zipOf(entry{name: "bomb", body: zeros(1 << 20), claimSize: 1 << 62})},
		{name: "bomb claiming small size", max: 1 << 16, wantErr: InvalidZip, wantMsg: invalidZipMessage,
			zip: zipOf(entry{name: "bomb", body: zeros(1 << 20), claimSize: 10})},

		{name: "garbage", zip: rawBytes([]byte("this is not a zip file at all")), wantErr: InvalidZip, wantMsg: invalidZipMessage},
		{name: "empty input", zip: rawBytes(nil), wantErr: InvalidZip, wantMsg: invalidZipMessage},
		{name: "truncated", wantErr: InvalidZip, zip: func(tb testing.TB) []byte {
			z := buildZip(tb, entry{name: "a", body: "hello"})
			return z[:len(z)/2]
		}},
		{name: "bad checksum", zip: storedWithBadCRC, wantErr: InvalidZip, wantMsg: invalidZipMessage},
	}
}

func TestExtract(t *testing.T) {
	t.Parallel()
	for _, tt := range extractCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := filepath.Join(t.TempDir(), "code")
			dest := filepath.Join(parent, "fn")
			stats, err := Extract(tt.zip(t), dest, tt.max)

			if tt.wantErr != 0 {
				var ze *Error
				if !errors.As(err, &ze) {
					t.Fatalf("Extract error = %v, want *Error of kind %d", err, tt.wantErr)
				}
				if ze.Kind != tt.wantErr || !strings.Contains(ze.Error(), tt.wantMsg) {
					t.Errorf("Extract error = kind %d %q, want kind %d containing %q", ze.Kind, ze, tt.wantErr, tt.wantMsg)
				}
				if left := listDir(t, parent); len(left) != 0 {
					t.Errorf("left behind after failure: %q", left)
				}
				return
			}
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if diff := cmp.Diff(tt.want, readTree(t, dest)); diff != "" {
				t.Errorf("tree (-want +got):\n%s", diff)
			}
			if fi, err := os.Stat(dest); err != nil || fi.Mode() != dir755 {
				t.Errorf("dest mode = %v, %v; want %v", fi.Mode(), err, dir755)
			}
			want := wantStats(tt.want)
			if tt.stats != nil {
				want = *tt.stats
			}
			if stats != want {
				t.Errorf("stats = %+v, want %+v", stats, want)
			}
			if left := listDir(t, parent); !cmp.Equal(left, []string{"fn"}) {
				t.Errorf("parent holds %q, want only fn", left)
			}
		})
	}
}

func TestExtractDestExists(t *testing.T) {
	t.Parallel()
	dest := t.TempDir()
	_, err := Extract(buildZip(t, entry{name: "a", body: "x"}), dest, 0)
	var ze *Error
	if !errors.Is(err, fs.ErrExist) || errors.As(err, &ze) {
		t.Fatalf("Extract into existing dir error = %v, want fs.ErrExist and not *Error", err)
	}
	if left := listDir(t, dest); len(left) != 0 {
		t.Errorf("existing dest was written to: %q", left)
	}
}

// wantStats computes Stats from an expected tree.
func wantStats(tree map[string]node) Stats {
	var s Stats
	for _, n := range tree {
		if !n.Mode.IsDir() {
			s.Files++
			s.Bytes += int64(len(n.Data))
		}
	}
	return s
}

// readTree returns every path under dir with its mode and contents.
func readTree(t *testing.T, dir string) map[string]node {
	t.Helper()
	tree := map[string]node{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n := node{Mode: fi.Mode()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			n.Data, err = os.Readlink(p)
		case fi.Mode().IsRegular():
			var b []byte
			b, err = os.ReadFile(p)
			n.Data = string(b)
		}
		tree[filepath.ToSlash(rel)] = n
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// listDir returns the names in dir, or nil if it does not exist.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}
