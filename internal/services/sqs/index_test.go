package sqs

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A group's insertions and removals, against a plain sorted slice.
func TestGroupMatchesSortedSlice(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		r := rand.New(rand.NewPCG(seed, 0))
		g := &group{avail: -1}
		var want []uint64
		for op := range 3_000 {
			switch n := len(want); {
			case n == 0 || r.IntN(10) < 6: // mostly appends, sometimes out of order
				seq := uint64(op*10 + 5)
				if n > 0 && r.IntN(5) == 0 {
					seq = want[r.IntN(n)] - 1 // before some message
					if slices.Contains(want, seq) {
						continue
					}
				}
				first := g.insert(entry{seq: seq})
				i, _ := slices.BinarySearch(want, seq)
				want = slices.Insert(want, i, seq)
				if first != (i == 0) {
					t.Fatalf("seed %d op %d: insert(%d) reported first=%v", seed, op, seq, first)
				}
			default: // remove, mostly near the head
				k := r.IntN(min(n, 4))
				if r.IntN(4) == 0 {
					k = r.IntN(n)
				}
				i := g.find(want[k])
				if i < 0 {
					t.Fatalf("seed %d op %d: find(%d) = -1", seed, op, want[k])
				}
				next := g.removeAt(i)
				want = slices.Delete(want, k, k+1)
				if k < len(want) && (next < g.head || next >= len(g.msgs) || g.msgs[next].seq != want[k]) {
					t.Fatalf("seed %d op %d: removeAt returned %d, not the next message", seed, op, next)
				}
			}
			var got []uint64
			for _, e := range g.live() {
				got = append(got, e.seq)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d op %d (-want +got):\n%s", seed, op, cmp.Diff(want, got))
			}
		}
	}
}

// minHeap pops in order, whatever the pushes and pops between.
func TestMinHeap(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	var h minHeap[entry]
	var want []entry
	less := func(a, b entry) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return 0
	}
	for op := range 20_000 { // want stays sorted
		if len(want) == 0 || r.IntN(3) > 0 {
			e := entry{visibleAt: int64(r.IntN(1000)), seq: uint64(op)}
			h.push(e)
			i, _ := slices.BinarySearchFunc(want, e, less)
			want = slices.Insert(want, i, e)
			continue
		}
		if got := h.pop(); got != want[0] {
			t.Fatalf("op %d: pop = %+v, want %+v", op, got, want[0])
		}
		want = want[1:]
	}
	for len(want) > 0 {
		if got := h.pop(); got != want[0] {
			t.Fatalf("draining: pop = %+v, want %+v", got, want[0])
		}
		want = want[1:]
	}
	if cap(h) > 8192 {
		t.Errorf("a drained heap keeps a capacity of %d", cap(h))
	}
}
