package sqs

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// A backlog costs memory per message, not per byte: after a restart, a
// queue of 4N messages of 1 KB holds a few tens of bytes more per message
// in the Go heap than a queue of N, and every message is still received
// exactly once.
//
// It calls the service directly: 40,000 messages through HTTP would take
// far longer, and what it measures is the service's memory, not the wire.
//
// It does not run in parallel: other tests would move the heap it
// measures.
func TestBacklogMemory(t *testing.T) {
	// Bytes of heap per message, for bodies of 1 KB: about 30 are measured;
	// the bound leaves room for what Pebble's background work holds.
	n, perMessageLimit := 10_000, int64(100)
	if raceEnabled || !cgoEnabled {
		// Pebble then keeps (some of) its block cache in the Go heap, and
		// the start fills it with the state records it reads.
		n, perMessageLimit = 3_000, 200
	}
	e := startEnv(t, envOptions{dir: t.TempDir()})
	url := e.createQueue("backlog", nil)
	ctx := context.Background()
	payload := strings.Repeat("x", 1024)

	fill := func(from, count int) {
		t.Helper()
		const senders = 8
		var wg sync.WaitGroup
		errs := make(chan error, senders)
		for w := range senders {
			wg.Go(func() {
				for i := from + w*10; i < from+count; i += senders * 10 {
					var entries []SendMessageBatchRequestEntry
					for j := i; j < min(i+10, from+count); j++ {
						entries = append(entries, SendMessageBatchRequestEntry{Id: ptr.To(strconv.Itoa(j - i)),
							MessageBody: ptr.To(strconv.Itoa(j) + " " + payload)})
					}
					out, err := e.svc.SendMessageBatch(ctx, &SendMessageBatchRequest{QueueUrl: &url, Entries: entries})
					if err == nil && len(out.Failed) > 0 {
						err = fmt.Errorf("send failed: %s", ptr.Value(out.Failed[0].Message))
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	restart := func() uint64 {
		t.Helper()
		t0 := time.Now()
		e.restart()
		t.Logf("restart with %s messages: %v", e.counts(url)[0], time.Since(t0).Round(time.Millisecond))
		return heapObjects()
	}

	fill(0, n)
	small := restart()
	fill(n, 3*n)
	big := restart()
	perMessage := (int64(big) - int64(small)) / int64(3*n)
	t.Logf("heap: %d B with %d messages, %d B with %d: %d B per message", small, n, big, 4*n, perMessage)
	if perMessage > perMessageLimit {
		t.Errorf("the index takes %d B of heap per message, want at most %d", perMessage, perMessageLimit)
	}
	if got, want := e.counts(url), [3]string{strconv.Itoa(4 * n), "0", "0"}; got != want {
		t.Errorf("counts = %v, want %v", got, want)
	}

	// Every message, once.
	var mu sync.Mutex
	seen := make([]bool, 4*n)
	var dups []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 4 * n { // bounds the loop; it ends when the queue is empty
				out, err := e.svc.ReceiveMessage(ctx, &ReceiveMessageRequest{QueueUrl: &url, MaxNumberOfMessages: ptr.To[int32](10),
					VisibilityTimeout: ptr.To[int32](3600)})
				if err != nil {
					t.Error(err)
					return
				}
				if len(out.Messages) == 0 {
					return
				}
				mu.Lock()
				for _, m := range out.Messages {
					i, _ := strconv.Atoi(strings.Fields(ptr.Value(m.Body))[0])
					if seen[i] {
						dups = append(dups, ptr.Value(m.MessageId))
					}
					seen[i] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	missing := 0
	for _, ok := range seen {
		if !ok {
			missing++
		}
	}
	if missing > 0 || len(dups) > 0 {
		t.Errorf("after the restart: %d messages never received, %d received twice", missing, len(dups))
	}
}

// heapObjects is the heap held by live objects, after collecting.
func heapObjects() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
