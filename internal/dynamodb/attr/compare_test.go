package attr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEqual(t *testing.T) {
	t.Parallel()
	set := func(v Value, err error) Value {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	big := make([]string, 40)
	rev := make([]string, 40)
	for i := range big {
		big[i] = string(rune('A' + i))
		rev[len(rev)-1-i] = big[i]
	}
	tests := []struct {
		name string
		a, b Value
		want bool
	}{
		{"S", String("a"), String("a"), true},
		{"S differs", String("a"), String("b"), false},
		{"S vs B", String("a"), Binary([]byte("a")), false},
		{"N by value", mustNumber(t, "1.50"), mustNumber(t, "15e-1"), true},
		{"N differs", Int(1), Int(2), false},
		{"BOOL", Bool(false), Bool(false), true},
		{"BOOL differs", Bool(false), Bool(true), false},
		{"NULL", Null(), Null(), true},
		{"SS any order", set(StringSet("a", "b")), set(StringSet("b", "a")), true},
		{"SS differs", set(StringSet("a", "b")), set(StringSet("a", "c")), false},
		{"SS sizes", set(StringSet("a")), set(StringSet("a", "b")), false},
		{"NS by value", set(NumberSet("1.0", "2")), set(NumberSet("2", "1")), true},
		{"large SS", set(StringSet(big...)), set(StringSet(rev...)), true},
		{"large SS differs", set(StringSet(big...)), set(StringSet(append(rev[:39:39], "x")...)), false},
		{"BS", set(BinarySet([]byte{1}, []byte{2})), set(BinarySet([]byte{2}, []byte{1})), true},
		{"L order matters", List(Int(1), Int(2)), List(Int(2), Int(1)), false},
		{"L", List(Int(1), String("x")), List(mustNumber(t, "1.0"), String("x")), true},
		{"L lengths", List(Int(1)), List(Int(1), Int(1)), false},
		{"M", Map(Item{"a": Int(1), "b": Null()}), Map(Item{"b": Null(), "a": Int(1)}), true},
		{"M differs", Map(Item{"a": Int(1)}), Map(Item{"a": Int(2)}), false},
		{"M keys differ", Map(Item{"a": Int(1)}), Map(Item{"b": Int(1)}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Equal(tt.a, tt.b); got != tt.want {
				t.Errorf("Equal(%s, %s) = %v", tt.a, tt.b, got)
			}
			if got := Equal(tt.b, tt.a); got != tt.want {
				t.Errorf("Equal(%s, %s) = %v", tt.b, tt.a, got)
			}
		})
	}
	if Compare(Bool(true), Null()) != -1 || Compare(Null(), String("a")) != 1 || Compare(List(), List(Int(1))) != 0 {
		t.Error("Compare across non-key kinds")
	}
}

func TestSetArithmetic(t *testing.T) {
	t.Parallel()
	ss := func(m ...string) Value {
		v, err := StringSet(m...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ns := func(m ...string) Value {
		v, err := NumberSet(m...)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	u, err := Union(ss("a", "b"), ss("c", "a"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, u.SS()); diff != "" {
		t.Errorf("Union (-want +got):\n%s", diff)
	}
	u, _ = Union(ns("1", "2"), ns("2.0", "3"))
	if diff := cmp.Diff([]string{"1", "2", "3"}, u.NS()); diff != "" {
		t.Errorf("Union NS (-want +got):\n%s", diff)
	}
	d, _ := Difference(ns("1", "2", "3"), ns("2.00", "4"))
	if diff := cmp.Diff([]string{"1", "3"}, d.NS()); diff != "" {
		t.Errorf("Difference (-want +got):\n%s", diff)
	}
	d, _ = Difference(ss("a"), ss("a"))
	if d.Kind() != SS || d.Len() != 0 {
		t.Errorf("Difference to nothing = %s", d)
	}

	var many, half []string
	for i := range 50 {
		many = append(many, string(rune('a'+i)))
		if i%2 == 0 {
			half = append(half, string(rune('a'+i)))
		}
	}
	u, _ = Union(ss(half...), ss(many...))
	if u.Len() != 50 || !Equal(u, ss(many...)) {
		t.Errorf("large Union = %s", u)
	}
	d, _ = Difference(ss(many...), ss(half...))
	if d.Len() != 25 || d.Contains(String("a")) || !d.Contains(String("b")) {
		t.Errorf("large Difference = %s", d)
	}

	_, err = Union(ss("a"), ns("1"))
	wantMessage(t, err, msgOperandType)
	_, err = Difference(String("a"), String("a"))
	wantMessage(t, err, msgOperandType)
	if ns("1").Contains(String("1")) || !ns("1.0").Contains(Int(1)) {
		t.Error("Contains")
	}
}
