package trace

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Header
	}{
		{"empty", "", Header{}},
		{"aws", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
			Header{Root: "1-5759e988-bd862e3fe1be46a994272793", Parent: "53995c3f42cd8ad8", Sampled: "1"}},
		{"hops", "Root=1-a-b;Lineage=" + lineageTag + ":3", Header{Root: "1-a-b", Hops: 3}},
		{"foreign lineage kept", "Root=r;Lineage=abc:2;Self=1", Header{Root: "r", Other: []string{"Lineage=abc:2", "Self=1"}}},
		{"garbage", ";;=;x", Header{Other: []string{"=", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Parse(tt.in)); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestContinueCountsHops(t *testing.T) {
	now := time.Unix(1700000000, 0)
	h := Continue(Header{}, now)
	if h.Hops != 1 || h.Root == "" || h.Parent == "" {
		t.Fatalf("first hop = %+v", h)
	}
	next := Continue(Parse(h.String()), now)
	if next.Hops != 2 || next.Root != h.Root || next.Parent == h.Parent {
		t.Fatalf("second hop = %+v, from %+v", next, h)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	f.Add("Root=r;Lineage=" + lineageTag + ":7")
	f.Fuzz(func(t *testing.T, s string) {
		h := Parse(s)
		again := Parse(h.String())
		if again.Hops != h.Hops || again.Root != h.Root {
			t.Fatalf("round trip changed %+v to %+v", h, again)
		}
	})
}
