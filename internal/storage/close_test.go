package storage

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestUseAfterClose: every operation on a closed DB answers ErrClosed;
// none panics (Pebble itself panics on use after close).
func TestUseAfterClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		mustSet(t, db, "k", "v")
		pending := db.NewBatch() // made before Close, committed after
		pending.Set([]byte("b"), []byte("1"))
		defer pending.Close()
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		late := db.NewBatch()
		late.Set([]byte("c"), []byte("1"))
		defer late.Close()
		for _, tt := range []struct {
			name string
			op   func() error
		}{
			{"Get", func() error { _, err := db.Get([]byte("k")); return err }},
			{"Set", func() error { return db.Set([]byte("k"), []byte("w")) }},
			{"Delete", func() error { return db.Delete([]byte("k")) }},
			{"Sync", db.Sync},
			{"Scan", func() error { return db.Scan(nil, func(_, _ []byte) error { return nil }) }},
			{"ScanReverse", func() error { return db.ScanReverse([]byte("k"), func(_, _ []byte) error { return nil }) }},
			{"Commit of a batch made before Close", pending.Commit},
			{"CommitNoSync of a batch made after Close", late.CommitNoSync},
		} {
			if err := tt.op(); !errors.Is(err, ErrClosed) {
				t.Errorf("%s after Close = %v, want ErrClosed", tt.name, err)
			}
		}
	})
}

// TestCloseWaitsForOperations: Close returns only once the operations
// admitted before it have ended, so a scan in progress finishes on an open
// DB, and operations racing Close either succeed or answer ErrClosed.
func TestCloseWaitsForOperations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db *DB) {
		for i := range 100 {
			mustSet(t, db, fmt.Sprintf("k%03d", i), "v")
		}
		inScan := make(chan struct{})
		release := make(chan struct{})
		scanDone := make(chan error, 1)
		go func() {
			n := 0
			scanDone <- db.Scan([]byte("k"), func(key, _ []byte) error {
				if n == 0 {
					// Operations nest: a read inside the callback.
					if _, err := db.Get(key); err != nil {
						return err
					}
					close(inScan)
					<-release // Close is called while the scan holds its iterator
				}
				n++
				return nil
			})
		}()
		<-inScan
		closed := make(chan error, 1)
		go func() { closed <- db.Close() }()

		// Racing writers: each answers nil or ErrClosed, never panics.
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					b := db.NewBatch()
					b.Set(fmt.Appendf(nil, "w%d-%d", w, i), []byte("v"))
					err := b.CommitNoSync()
					b.Close()
					if err != nil && !errors.Is(err, ErrClosed) {
						t.Errorf("commit racing Close: %v", err)
						return
					}
				}
			}()
		}
		close(release)
		if err := <-scanDone; err != nil {
			t.Errorf("scan in progress during Close: %v", err)
		}
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		wg.Wait()
	})
}
