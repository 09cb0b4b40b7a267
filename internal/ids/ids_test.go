package ids

import (
	"regexp"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// uuidV4 matches a lowercase version 4 UUID with the RFC 9562 variant.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRandomRequestID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := Random{}.RequestID()
		if !uuidV4.MatchString(id) {
			t.Fatalf("RequestID() = %q, not a lowercase UUIDv4", id)
		}
		if seen[id] {
			t.Fatalf("RequestID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestHex(t *testing.T) {
	t.Parallel()
	hexDigits := regexp.MustCompile(`^[0-9a-f]*$`)
	gens := []struct {
		name string
		gen  Generator
	}{
		{"Random", Random{}},
		{"Sequence", &Sequence{}},
	}
	for _, g := range gens {
		for _, n := range []int{-1, 0, 1, 7, 8, 32} {
			got := g.gen.Hex(n)
			want := max(n, 0)
			if len(got) != want || !hexDigits.MatchString(got) {
				t.Errorf("%s.Hex(%d) = %q, want %d lowercase hex digits", g.name, n, got, want)
			}
		}
	}
}

func TestSequence(t *testing.T) {
	t.Parallel()
	var s Sequence
	got := []string{s.RequestID(), s.Hex(8), s.RequestID(), s.Hex(2), s.Hex(1)}
	for range 300 {
		s.Hex(1)
	}
	got = append(got, s.Hex(2), s.Hex(3))
	want := []string{
		"00000000-0000-4000-8000-000000000001",
		"00000002",
		"00000000-0000-4000-8000-000000000003",
		"04",
		"5",
		"32", // 306 = 0x132, low two digits.
		"133",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sequence output (-want +got):\n%s", diff)
	}
	if !uuidV4.MatchString(got[0]) {
		t.Errorf("Sequence RequestID %q is not a UUIDv4", got[0])
	}
}

func TestSequenceConcurrent(t *testing.T) {
	t.Parallel()
	var s Sequence
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				id := s.RequestID()
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate %q", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 800 {
		t.Errorf("got %d distinct IDs, want 800", len(seen))
	}
}
