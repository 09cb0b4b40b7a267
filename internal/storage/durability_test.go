package storage

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/google/go-cmp/cmp"
)

// crashDir is the DB directory inside crashable in-memory filesystems.
const crashDir = "db"

// openCrashable opens a DB on fs; the caller closes it.
func openCrashable(t *testing.T, fs vfs.FS, syncInterval time.Duration) *DB {
	t.Helper()
	db, err := openFS(fs, crashDir, Options{Logger: quietLogger(), SyncInterval: syncInterval})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return db
}

// afterCrash returns the value of each key in a DB opened on a copy of fs
// holding only the data synced so far, as a power cut would leave it.
func afterCrash(t *testing.T, fs *vfs.MemFS, keys ...string) map[string]string {
	t.Helper()
	db := openCrashable(t, fs.CrashClone(vfs.CrashCloneCfg{}), -1)
	defer db.Close()
	got := map[string]string{}
	for _, k := range keys {
		got[k] = getString(t, db, k)
	}
	return got
}

func TestCrashKeepsSyncedWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		write func(t *testing.T, db *DB)
		want  map[string]string // after a crash
	}{
		{"Set", func(t *testing.T, db *DB) {
			mustSet(t, db, "k", "v")
			mustSet(t, db, "k2", "v2")
		}, bothKeys},
		{"Delete", func(t *testing.T, db *DB) {
			mustSet(t, db, "k", "v")
			if err := db.Delete([]byte("k")); err != nil {
				t.Fatal(err)
			}
		}, map[string]string{"k": "<missing>", "k2": "<missing>"}},
		{"Commit", func(t *testing.T, db *DB) { commitBatch(t, db, false) }, bothKeys},
		{"CommitNoSync then Sync", func(t *testing.T, db *DB) {
			commitBatch(t, db, true)
			if err := db.Sync(); err != nil {
				t.Fatal(err)
			}
		}, bothKeys},
		// Shows the crash copy drops unsynced data, so the cases above prove
		// something.
		{"CommitNoSync alone", func(t *testing.T, db *DB) { commitBatch(t, db, true) }, map[string]string{"k": "<missing>", "k2": "<missing>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := vfs.NewCrashableMem()
			db := openCrashable(t, fs, -1) // No background syncs.
			defer db.Close()
			tt.write(t, db)
			if diff := cmp.Diff(tt.want, afterCrash(t, fs, "k", "k2")); diff != "" {
				t.Errorf("after crash (-want +got):\n%s", diff)
			}
		})
	}
}

// bothKeys is the state after commitBatch.
var bothKeys = map[string]string{"k": "v", "k2": "v2"}

// commitBatch commits k=v and k2=v2 in one batch.
func commitBatch(t *testing.T, db *DB, noSync bool) {
	t.Helper()
	b := db.NewBatch()
	defer b.Close()
	b.Set([]byte("k"), []byte("v"))
	b.Set([]byte("k2"), []byte("v2"))
	commit := b.Commit
	if noSync {
		commit = b.CommitNoSync
	}
	if err := commit(); err != nil {
		t.Fatal(err)
	}
}

func TestBackgroundSyncWithinInterval(t *testing.T) {
	t.Parallel()
	fs := vfs.NewCrashableMem()
	db := openCrashable(t, fs, 50*time.Millisecond)
	defer db.Close()
	start := time.Now()
	commitBatch(t, db, true)
	checkFor(t, time.Second, 10*time.Millisecond, func() error {
		if got := afterCrash(t, fs, "k")["k"]; got != "v" {
			return fmt.Errorf("k = %q after crash", got)
		}
		return nil
	})
	t.Logf("durable after %v", time.Since(start))
}

func TestCloseSyncsNoSyncWrites(t *testing.T) {
	t.Parallel()
	fs := vfs.NewCrashableMem()
	db := openCrashable(t, fs, -1)
	commitBatch(t, db, true)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := afterCrash(t, fs, "k")["k"]; got != "v" {
		t.Errorf("k = %q after Close and crash, want v", got)
	}
}

// checkFor calls f every interval until it returns nil, failing the test
// with f's last error once timeout has passed.
func checkFor(t *testing.T, timeout, interval time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(interval)
	}
}

// helperEnv names the DB directory for TestHelperProcess; when unset the
// test does nothing.
const helperEnv = "NIMBUS_STORAGE_HELPER_DIR"

// TestHelperProcess is not a test: TestKillKeepsAckedWrites runs the test
// binary again with only this test and helperEnv set, to write keys until it
// is killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestKillKeepsAckedWrites")
	}
	db, err := Open(dir, Options{Logger: quietLogger()})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		key := AppendUint64(Key("kill"), uint64(i))
		if i%2 == 0 {
			err = db.Set(key, []byte(strconv.Itoa(i)))
		} else {
			b := db.NewBatch()
			b.Set(key, []byte(strconv.Itoa(i)))
			err = b.Commit()
			b.Close()
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("acked", i)
	}
}

func TestKillKeepsAckedWrites(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	lines := bufio.NewScanner(out)
	for acked < 200 && lines.Scan() {
		n, ok := strings.CutPrefix(lines.Text(), "acked ")
		if !ok {
			t.Fatalf("child: %s", lines.Text())
		}
		if acked, err = strconv.Atoi(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed (acked %d)", err, acked)
	}

	db := openTest(t, dir, Options{})
	for i := 0; i <= acked; i++ {
		v, err := db.Get(AppendUint64(Key("kill"), uint64(i)))
		if err != nil || string(v) != strconv.Itoa(i) {
			t.Fatalf("acked key %d after kill: %q, %v", i, v, err)
		}
	}
}
