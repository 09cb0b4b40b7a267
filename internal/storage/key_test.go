package storage

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestKeyEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		{"empty tuple", nil, ""},
		{"one part", []string{"ab"}, "ab\x00\x01"},
		{"empty part", []string{""}, "\x00\x01"},
		{"two parts", []string{"a", "b"}, "a\x00\x01b\x00\x01"},
		{"escaped zero", []string{"a\x00b"}, "a\x00\xffb\x00\x01"},
		{"only zeros", []string{"\x00\x00"}, "\x00\xff\x00\xff\x00\x01"},
		{"0xff byte", []string{"\xff"}, "\xff\x00\x01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Key(tt.parts...)
			if diff := cmp.Diff([]byte(tt.want), got); diff != "" {
				t.Errorf("Key(%q) (-want +got):\n%s", tt.parts, diff)
			}
			back, err := DecodeKey(got)
			if err != nil {
				t.Fatalf("DecodeKey: %v", err)
			}
			if !slices.Equal(back, tt.parts) {
				t.Errorf("DecodeKey = %q, want %q", back, tt.parts)
			}
		})
	}
}

func TestKeyOrder(t *testing.T) {
	t.Parallel()
	// Each tuple sorts strictly before the next.
	ordered := [][]string{
		{},
		{""},
		{"", ""},
		{"\x00"},
		{"a"},
		{"a", ""},
		{"a", "b"},
		{"a", "b", "c"},
		{"a", "b\x00"},
		{"a", "c"},
		{"a\x00"},
		{"a\x00", "z"},
		{"a\x00\x00"},
		{"a\x01"},
		{"aa"},
		{"b"},
		{"\xff"},
	}
	for i := 1; i < len(ordered); i++ {
		a, b := Key(ordered[i-1]...), Key(ordered[i]...)
		if bytes.Compare(a, b) >= 0 {
			t.Errorf("Key(%q) = %q does not sort before Key(%q) = %q", ordered[i-1], a, ordered[i], b)
		}
	}
}

func TestUint64Parts(t *testing.T) {
	t.Parallel()
	values := []uint64{0, 1, 255, 256, 1 << 32, 1<<64 - 1}
	var prev []byte
	for _, v := range values {
		key := AppendUint64(AppendString(nil, "seq"), v)
		if prev != nil && bytes.Compare(prev, key) >= 0 {
			t.Errorf("key for %d does not sort after the previous one", v)
		}
		prev = key
		s, rest, err := ReadString(key)
		if err != nil || s != "seq" {
			t.Fatalf("ReadString = %q, %v", s, err)
		}
		got, rest, err := ReadUint64(rest)
		if err != nil || got != v || len(rest) != 0 {
			t.Errorf("ReadUint64 = %d, rest %q, %v; want %d", got, rest, err, v)
		}
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, wantErr string
	}{
		{"unterminated", "abc", "unterminated"},
		{"lone zero at end", "abc\x00", "unterminated"},
		{"bad escape", "a\x00\x02\x00\x01", "byte 0x02 after 0x00"},
		{"second part unterminated", "a\x00\x01b", "part 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeKey([]byte(tt.key))
			if !errors.Is(err, ErrMalformedKey) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DecodeKey(%q) error = %v, want ErrMalformedKey mentioning %q", tt.key, err, tt.wantErr)
			}
		})
	}
	if _, _, err := ReadUint64([]byte{1, 2}); !errors.Is(err, ErrMalformedKey) {
		t.Errorf("ReadUint64(short) error = %v, want ErrMalformedKey", err)
	}
}

// FuzzKey checks that Key and DecodeKey round-trip and that encodings sort
// like the tuples they encode. Two tuples come in as strings split on '/'.
func FuzzKey(f *testing.F) {
	f.Add("a/b", "a/b/c")
	f.Add("a\x00", "a")
	f.Add("", "/")
	f.Add("x\x00\xff/y", "x\x00/\x01")
	f.Add("a\x00\x01", "a/")
	f.Fuzz(func(t *testing.T, x, y string) {
		tx, ty := strings.Split(x, "/"), strings.Split(y, "/")
		kx, ky := Key(tx...), Key(ty...)
		for _, c := range []struct {
			parts []string
			key   []byte
		}{{tx, kx}, {ty, ky}} {
			back, err := DecodeKey(c.key)
			if err != nil {
				t.Fatalf("DecodeKey(Key(%q)): %v", c.parts, err)
			}
			if !slices.Equal(back, c.parts) {
				t.Fatalf("DecodeKey(Key(%q)) = %q", c.parts, back)
			}
		}
		if got, want := bytes.Compare(kx, ky), compareTuples(tx, ty); got != want {
			t.Fatalf("Compare(Key(%q), Key(%q)) = %d, tuples compare %d", tx, ty, got, want)
		}
		// A tuple's encoding is a prefix of its extensions' encodings.
		if isTuplePrefix(tx, ty) != bytes.HasPrefix(ky, kx) {
			t.Fatalf("prefix mismatch: %q vs %q", tx, ty)
		}
		// DecodeKey must not panic on arbitrary bytes.
		_, _ = DecodeKey([]byte(x))
	})
}

// compareTuples orders tuples part by part, a tuple before its extensions.
func compareTuples(a, b []string) int {
	return slices.Compare(a, b)
}

// isTuplePrefix reports whether a is a prefix of b, part-wise.
func isTuplePrefix(a, b []string) bool {
	return len(a) <= len(b) && slices.Equal(a, b[:len(a)])
}
