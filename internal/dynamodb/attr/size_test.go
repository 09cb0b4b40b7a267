package attr

import (
	"strings"
	"testing"
)

func TestSize(t *testing.T) {
	t.Parallel()
	ss, _ := StringSet("ab", "", "é")
	ns, _ := NumberSet("1", "12345", "0")
	bs, _ := BinarySet([]byte{1, 2}, []byte{3})
	tests := []struct {
		name string
		attr string
		v    Value
		want int
	}{
		{"S", "id", String("abc"), 2 + 3},
		{"S UTF-8", "名", String("é"), 3 + 2},
		{"empty S", "s", String(""), 1},
		{"B raw bytes", "b", Binary([]byte{0, 1, 2, 3}), 1 + 4},
		{"N one digit", "n", Int(7), 1 + 2},
		{"N odd digits", "n", Int(12345), 1 + 3 + 1},
		{"N even digits", "n", Int(1234), 1 + 2 + 1},
		{"N trailing zeros trimmed", "n", Int(1000), 1 + 1 + 1},
		{"N leading zeros trimmed", "n", mustNumber(t, "0.0012"), 1 + 1 + 1},
		{"N 38 digits", "n", mustNumber(t, strings.Repeat("9", 38)), 1 + 19 + 1},
		{"N zero", "n", Int(0), 1 + 1},
		{"N negative", "n", Int(-12), 1 + 1 + 1},
		{"BOOL", "flag", Bool(true), 4 + 1},
		{"NULL", "x", Null(), 1 + 1},
		{"empty L", "l", List(), 1 + 3},
		{"empty M", "m", Map(Item{}), 1 + 3},
		{"L", "l", List(String("ab"), Int(1)), 1 + 3 + (1 + 2) + (1 + 2)},
		{"M", "m", Map(Item{"k": String("v"), "kk": Null()}), 1 + 3 + (1 + 1 + 1) + (1 + 2 + 1)},
		{"nested", "m", Map(Item{"l": List(List())}), 1 + 3 + (1 + 1 + 3 + (1 + 3))},
		{"SS", "ss", ss, 2 + 2 + 0 + 2},
		{"NS", "ns", ns, 2 + 2 + 4 + 1},
		{"BS", "bs", bs, 2 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Size(tt.attr, tt.v); got != tt.want {
				t.Errorf("Size(%q, %s) = %d, want %d", tt.attr, tt.v, got, tt.want)
			}
		})
	}
	it := Item{"id": String("abc"), "n": Int(12345), "flag": Bool(true)}
	if got := ItemSize(it); got != 5+5+5 {
		t.Errorf("ItemSize = %d, want 15", got)
	}
}
