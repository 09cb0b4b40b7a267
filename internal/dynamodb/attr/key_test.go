package attr

import (
	"bytes"
	"cmp"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// ascending lists key values in increasing order, kinds in key order.
func ascending(t testing.TB) []Value {
	var vs []Value
	for _, b := range []string{"", "\x00", "\x00\x00", "\x00\x01", "\x01", "a", "a\x00", "ab", "\xff", "\xff\xff"} {
		vs = append(vs, Binary([]byte(b)))
	}
	top := "9.9999999999999999999999999999999999999e125"
	for _, n := range []string{
		"-" + top, "-1e125", "-1.0000000000000000000000000000000000001e124", "-1e124",
		"-123.45", "-123.4", "-123", "-100", "-99", "-10.5", "-10", "-9", "-1.01", "-1", "-0.99", "-0.1",
		"-1.1e-130", "-1e-130", "0", "1e-130", "1.1e-130", "1e-129", "0.001", "0.01", "0.0101", "0.1",
		"0.1000000001", "0.11", "0.9", "1", "1.0000000000000000000000000000000000001", "1.01", "1.1",
		"2", "9", "10", "10.5", "11", "99", "100", "101", "110", "12345678901234567890123456789012345678",
		"1e38", "1e124", "1.0000000000000000000000000000000000001e124", "1e125", top,
	} {
		vs = append(vs, mustNumber(t, n))
	}
	for _, s := range []string{"", "\x00", "\x00a", "A", "B", "a", "a\x00", "aa", "ab", "b", "é", "\uffff", "😀"} {
		vs = append(vs, String(s))
	}
	return vs
}

func TestKeyOrder(t *testing.T) {
	t.Parallel()
	vs := ascending(t)
	keys := make([][]byte, len(vs))
	for i, v := range vs {
		keys[i] = AppendKey(nil, v)
	}
	for i := range vs {
		for j := range vs {
			want := cmp.Compare(i, j)
			if got := Compare(vs[i], vs[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", vs[i], vs[j], got, want)
			}
			if got := bytes.Compare(keys[i], keys[j]); got != want {
				t.Errorf("bytes.Compare of keys of %s, %s = %d, want %d (%x, %x)", vs[i], vs[j], got, want, keys[i], keys[j])
			}
		}
		got, rest, err := DecodeKey(keys[i])
		if err != nil || len(rest) != 0 || !Equal(got, vs[i]) {
			t.Errorf("DecodeKey(%x) = %s, %x, %v; want %s", keys[i], got, rest, err, vs[i])
		}
	}
}

// TestKeyTuples checks that encodings concatenate: a partition key then a
// sort key orders as the pair.
func TestKeyTuples(t *testing.T) {
	t.Parallel()
	pairs := [][2]Value{
		{String("a"), Int(-5)},
		{String("a"), Int(1)},
		{String("a"), mustNumber(t, "1.5")},
		{String("a"), Int(2)},
		{String("a\x00"), Int(0)},
		{String("ab"), Int(-1)},
		{String("b"), Binary(nil)},
	}
	var prev []byte
	for i, p := range pairs {
		k := AppendKey(AppendKey(nil, p[0]), p[1])
		if i > 0 && bytes.Compare(prev, k) >= 0 {
			t.Errorf("key of %v does not sort after key of %v", p, pairs[i-1])
		}
		prev = k
		a, rest, err := DecodeKey(k)
		if err != nil {
			t.Fatal(err)
		}
		b, rest, err := DecodeKey(rest)
		if err != nil || len(rest) != 0 || !Equal(a, p[0]) || !Equal(b, p[1]) {
			t.Errorf("decoding %x: %s %s %x %v", k, a, b, rest, err)
		}
	}
}

func TestDecodeKeyMalformed(t *testing.T) {
	t.Parallel()
	tooLong := append([]byte{tagN, numPos, 130}, bytes.Repeat([]byte{4}, 19)...)
	tooLong = append(tooLong, 3)
	for _, in := range [][]byte{
		nil,
		{'X'},
		{tagS},
		{tagS, 'a'},
		{tagS, 'a', 0},
		{tagS, 0, 2},
		{tagB, 0, 0xFF},
		{tagN},
		{tagN, 9},
		{tagN, numPos},
		{tagN, numPos, 130},
		{tagN, numPos, 130, 0},        // no such pair byte
		{tagN, numPos, 130, 201},      // no such pair byte
		{tagN, numPos, 130, 11},       // "05": a leading zero
		{tagN, numPos, 130, 22, 1},    // "10" "00": a trailing zero
		{tagN, numPos, 130, 22},       // not ended
		{tagN, numNeg, 130 ^ 0xFF, 0}, // negative, no such pair byte
		tooLong,
	} {
		if v, _, err := DecodeKey(in); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("DecodeKey(%x) = %s, %v; want ErrMalformedKey", in, v, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("AppendKey of a BOOL did not panic")
		}
	}()
	AppendKey(nil, Bool(true))
}

// numberFrom returns the number s spells or, when it spells none, a valid
// number made from its bytes, so every fuzz input yields a number.
func numberFrom(t *testing.T, s string) Value {
	if v, err := Number(s); err == nil {
		return v
	}
	if len(s) < 3 {
		return Int(int64(len(s)))
	}
	var digits strings.Builder
	for i := 2; i < len(s) && digits.Len() < MaxDigits; i++ {
		if c := '0' + s[i]%10; digits.Len() > 0 || c != '0' {
			digits.WriteByte(c)
		}
	}
	if digits.Len() == 0 {
		return Int(0)
	}
	sign := ""
	if s[0]&1 == 1 {
		sign = "-"
	}
	exp := int(s[1]) + MinExponent
	return mustNumber(t, sign+"0."+digits.String()+"e"+strconv.Itoa(exp+1))
}

// FuzzNumberOrder checks, for two valid numbers, that Compare, the byte
// order of their keys and apd's comparison agree.
func FuzzNumberOrder(f *testing.F) {
	seeds := [][2]string{
		{"1", "2"}, {"-1", "1"}, {"0", "-0"}, {"1.5", "1.49"}, {"1e125", "9.9e124"}, {"-1e-130", "1e-130"},
		{"0.1", "0.10000000000000000000000000000000000001"}, {"100", "1e2"}, {"-123.4", "-123.45"},
		{"\x01\x83\x09\x09", "\x00\x83\x09\x09\x01"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, as, bs string) {
		a, b := numberFrom(t, as), numberFrom(t, bs)
		want := a.Decimal().Cmp(b.Decimal())
		if got := Compare(a, b); got != want {
			t.Fatalf("Compare(%s, %s) = %d, apd says %d", a.N(), b.N(), got, want)
		}
		ka, kb := AppendKey(nil, a), AppendKey(nil, b)
		if got := bytes.Compare(ka, kb); got != want {
			t.Fatalf("keys of %s, %s compare %d, want %d (%x, %x)", a.N(), b.N(), got, want, ka, kb)
		}
		if Equal(a, b) != (want == 0) {
			t.Fatalf("Equal(%s, %s) = %v", a.N(), b.N(), Equal(a, b))
		}
		if len(ka) > 22 {
			t.Fatalf("key of %s is %d bytes", a.N(), len(ka))
		}
	})
}

// FuzzKeyRoundTrip checks that S and B keys decode to what was encoded,
// in a tuple too, and that any bytes DecodeKey accepts are exactly the
// encoding of what it returns.
func FuzzKeyRoundTrip(f *testing.F) {
	f.Add([]byte("a\x00b"), []byte{tagN, numPos, 130, 3})
	f.Add([]byte{}, []byte{tagS, 'x', 0, 0xFF, 0, 1})
	f.Add([]byte{0, 0, 0xFF, 1}, []byte{tagN, numNeg, 125, 252, 200})
	f.Fuzz(func(t *testing.T, data, raw []byte) {
		for _, v := range []Value{String(string(data)), Binary(data)} {
			k := AppendKey(nil, v)
			k = AppendKey(k, Int(int64(len(data))))
			got, rest, err := DecodeKey(k)
			if err != nil || !Equal(got, v) {
				t.Fatalf("DecodeKey(%x) = %s, %v; want %s", k, got, err, v)
			}
			n, rest, err := DecodeKey(rest)
			if err != nil || len(rest) != 0 || n.N() != strconv.Itoa(len(data)) {
				t.Fatalf("second part: %s %x %v", n, rest, err)
			}
		}
		v, rest, err := DecodeKey(raw)
		if err != nil {
			return
		}
		if enc := AppendKey(nil, v); !bytes.Equal(enc, raw[:len(raw)-len(rest)]) {
			t.Fatalf("DecodeKey(%x) = %s, which encodes as %x", raw, v, enc)
		}
		if v.Kind() == N {
			if _, err := Number(v.N()); err != nil {
				t.Fatalf("DecodeKey(%x) = %s, not a valid number: %v", raw, v.N(), err)
			}
		}
	})
}
