package storage

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// backend is one way of opening a DB; every conformance test runs against
// each of them.
type backend struct {
	name string
	// open returns a new, empty DB closed at the end of the test.
	open func(t *testing.T) *DB
}

var backends = []backend{
	{"memory", func(t *testing.T) *DB { return openTest(t, "", Options{InMemory: true}) }},
	{"disk", func(t *testing.T) *DB { return openTest(t, t.TempDir(), Options{}) }},
}

// forEachBackend runs test as a parallel subtest per backend.
func forEachBackend(t *testing.T, test func(t *testing.T, db *DB)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b.open(t))
		})
	}
}

// quietLogger discards Pebble's messages.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openTest opens a DB that is closed when the test ends.
func openTest(t *testing.T, dir string, opts Options) *DB {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// mustSet stores value under key or fails the test.
func mustSet(t *testing.T, db *DB, key, value string) {
	t.Helper()
	if err := db.Set([]byte(key), []byte(value)); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// getString returns the value under key, or "<missing>".
func getString(t *testing.T, db *DB, key string) string {
	t.Helper()
	v, err := db.Get([]byte(key))
	if errors.Is(err, ErrNotFound) {
		return "<missing>"
	}
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return string(v)
}

func TestGetSetDelete(t *testing.T) {
	t.Parallel()
	type op struct{ kind, key, value string } // kind: set, delete
	tests := []struct {
		name string
		ops  []op
		key  string
		want string
	}{
		{"missing", nil, "a", "<missing>"},
		{"set", []op{{"set", "a", "1"}}, "a", "1"},
		{"overwrite", []op{{"set", "a", "1"}, {"set", "a", "2"}}, "a", "2"},
		{"empty value", []op{{"set", "a", ""}}, "a", ""},
		{"delete", []op{{"set", "a", "1"}, {"delete", "a", ""}}, "a", "<missing>"},
		{"delete missing", []op{{"delete", "a", ""}}, "a", "<missing>"},
		{"other key", []op{{"set", "ab", "1"}}, "a", "<missing>"},
		{"binary key", []op{{"set", "\x00\xff", "v"}}, "\x00\xff", "v"},
	}
	forEachBackend(t, func(t *testing.T, db *DB) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				prefix := fmt.Sprintf("%02d/", i) // Cases share the DB.
				for _, o := range tt.ops {
					var err error
					switch o.kind {
					case "set":
						err = db.Set([]byte(prefix+o.key), []byte(o.value))
					case "delete":
						err = db.Delete([]byte(prefix + o.key))
					}
					if err != nil {
						t.Fatalf("%s(%q): %v", o.kind, o.key, err)
					}
				}
				if got := getString(t, db, prefix+tt.key); got != tt.want {
					t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.want)
				}
			})
		}
	})
}

func TestGetReturnsCopy(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *DB) {
		key, value := []byte("k"), []byte("value")
		if err := db.Set(key, value); err != nil {
			t.Fatal(err)
		}
		value[0] = 'X' // The DB must have copied it.
		got, err := db.Get(key)
		if err != nil {
			t.Fatal(err)
		}
		got[0] = 'Y' // Must not change what is stored.
		if got := getString(t, db, "k"); got != "value" {
			t.Errorf("Get = %q, want %q", got, "value")
		}
	})
}

func TestNotFoundError(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *DB) {
		_, err := db.Get([]byte("nope"))
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(missing) error = %v, want ErrNotFound", err)
		}
		if got, want := err.Error(), "storage: not found"; got != want {
			t.Errorf("error text = %q, want %q", got, want)
		}
	})
}

func TestBatch(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *DB) {
		mustSet(t, db, "old1", "x")
		mustSet(t, db, "old2", "x")
		mustSet(t, db, "r/1", "x")
		mustSet(t, db, "r/2", "x")
		mustSet(t, db, "r/3", "x")

		b := db.NewBatch()
		defer b.Close()
		b.Set([]byte("new"), []byte("1"))
		b.Delete([]byte("old1"))
		b.DeleteRange([]byte("r/1"), []byte("r/3"))
		if got := b.Len(); got != 3 {
			t.Errorf("Len = %d, want 3", got)
		}
		before := snapshot(t, db, "")
		wantBefore := map[string]string{"old1": "x", "old2": "x", "r/1": "x", "r/2": "x", "r/3": "x"}
		if diff := cmp.Diff(wantBefore, before); diff != "" {
			t.Errorf("visible before Commit (-want +got):\n%s", diff)
		}
		if err := b.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		want := map[string]string{"new": "1", "old2": "x", "r/3": "x"}
		if diff := cmp.Diff(want, snapshot(t, db, "")); diff != "" {
			t.Errorf("after Commit (-want +got):\n%s", diff)
		}
		if err := b.Commit(); err == nil {
			t.Error("second Commit succeeded, want error")
		}
	})
}

func TestBatchDiscardedOnClose(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *DB) {
		b := db.NewBatch()
		b.Set([]byte("a"), []byte("1"))
		b.Close()
		b.Close() // Idempotent.
		if err := b.Commit(); err == nil {
			t.Error("Commit after Close succeeded, want error")
		}
		if got := getString(t, db, "a"); got != "<missing>" {
			t.Errorf("Get(a) = %q after discarding the batch, want <missing>", got)
		}
	})
}

func TestCommitNoSyncThenSync(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *DB) {
		b := db.NewBatch()
		defer b.Close()
		b.Set([]byte("log/1"), []byte("line"))
		if err := b.CommitNoSync(); err != nil {
			t.Fatalf("CommitNoSync: %v", err)
		}
		if got := getString(t, db, "log/1"); got != "line" {
			t.Errorf("Get = %q, want visible at once", got)
		}
		if err := db.Sync(); err != nil {
			t.Fatalf("Sync: %v", err)
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *DB) {
		const writers, each = 8, 50
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					b := db.NewBatch()
					b.Set(AppendUint64(Key("w", fmt.Sprint(w)), uint64(i)), []byte("v"))
					if err := b.CommitNoSync(); err != nil {
						t.Errorf("CommitNoSync: %v", err)
					}
					b.Close()
					_ = db.Scan(Key("w"), func(_, _ []byte) error { return ErrStop })
				}
			})
		}
		wg.Wait()
		if got := len(snapshot(t, db, string(Key("w")))); got != writers*each {
			t.Errorf("keys written = %d, want %d", got, writers*each)
		}
	})
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "db") // Open creates it.
	db, err := Open(dir, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, db, "set", "1")
	b := db.NewBatch()
	b.Set([]byte("batch"), []byte("2"))
	if err := b.CommitNoSync(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}

	db = openTest(t, dir, Options{})
	want := map[string]string{"set": "1", "batch": "2"}
	if diff := cmp.Diff(want, snapshot(t, db, "")); diff != "" {
		t.Errorf("after reopen (-want +got):\n%s", diff)
	}
}

func TestOpenLockedDirFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	openTest(t, dir, Options{})
	if db, err := Open(dir, Options{Logger: quietLogger()}); err == nil {
		db.Close()
		t.Fatal("second Open of the same dir succeeded, want error")
	}
}

// snapshot returns every key/value under prefix.
func snapshot(t *testing.T, db *DB, prefix string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := db.Scan([]byte(prefix), func(k, v []byte) error {
		got[string(k)] = string(v)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%q): %v", prefix, err)
	}
	return got
}
