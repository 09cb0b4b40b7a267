package attr

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Kind is the data type of a Value, named as on the wire.
type Kind uint8

// The kinds of Value. None is the kind of the zero Value, which is not a
// valid AttributeValue.
const (
	None Kind = iota
	S
	N
	B
	SS
	NS
	BS
	M
	L
	BOOL
	NULL
)

var kindNames = [...]string{"", "S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"}

// String returns the kind's wire name ("S", "NS", "BOOL"…), "" for None.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one DynamoDB AttributeValue. The zero Value has kind None.
//
// Values are immutable once built: a Value shares its slices and maps with
// the Values copied from it, so neither the constructors' callers nor the
// accessors' callers may modify what they passed in or got back. Values are
// safe to read from several goroutines. A Value is 40 bytes: scalars hold
// their text or bytes in a string, composites their members behind one
// interface word.
type Value struct {
	s    string // S text, N canonical text, B bytes
	x    any    // L: []Value; SS: []string; NS: []string, canonical; BS: []string of bytes; M: Item
	kind Kind
	b    bool // BOOL
}

// strs returns the members of a set.
func (v Value) strs() []string {
	s, _ := v.x.([]string)
	return s
}

// elems returns the elements of an L.
func (v Value) elems() []Value {
	l, _ := v.x.([]Value)
	return l
}

// item returns the members of an M.
func (v Value) item() Item {
	m, _ := v.x.(Item)
	return m
}

// Item is an item, or the members of an M value: attribute name to value.
type Item map[string]Value

// String returns an S value.
func String(s string) Value { return Value{kind: S, s: s} }

// Number returns the N value of s, normalized as DynamoDB stores numbers
// ("1.50" → "1.5", "0100" → "100", "-0" → "0", "1e3" → "1000"), or an
// *Error with DynamoDB's message when s is not a number or is out of its
// range (see MaxDigits, MaxExponent, MinExponent).
func Number(s string) (Value, error) {
	n, err := canonicalNumber(s)
	if err != nil {
		return Value{}, err
	}
	return Value{kind: N, s: n}, nil
}

// Int returns the N value of i.
func Int(i int64) Value { return Value{kind: N, s: strconv.FormatInt(i, 10)} }

// Binary returns a B value holding a copy of b.
func Binary(b []byte) Value { return Value{kind: B, s: string(b)} }

// Bool returns a BOOL value.
func Bool(b bool) Value { return Value{kind: BOOL, b: b} }

// Null returns the NULL value.
func Null() Value { return Value{kind: NULL, b: true} }

// List returns an L value. It takes ownership of elems.
func List(elems ...Value) Value { return Value{kind: L, x: elems} }

// Map returns an M value. It takes ownership of m.
func Map(m Item) Value { return Value{kind: M, x: m} }

// StringSet returns an SS value, or DynamoDB's error when members is empty
// or repeats a string. It takes ownership of members.
func StringSet(members ...string) (Value, error) {
	if err := checkSet(SS, members, nil); err != nil {
		return Value{}, err
	}
	return Value{kind: SS, x: members}, nil
}

// NumberSet returns an NS value of the numbers members, normalized as Number
// does, or DynamoDB's error when members is empty, holds something that is
// not a storable number, or holds one number twice ("1" and "1.0" are the
// same number).
func NumberSet(members ...string) (Value, error) {
	if len(members) == 0 {
		return Value{}, validationError(msgEmptyNS)
	}
	set := make([]string, len(members))
	for i, s := range members {
		n, err := canonicalNumber(s)
		if err != nil {
			return Value{}, err
		}
		set[i] = n
	}
	if err := checkSet(NS, set, nil); err != nil {
		return Value{}, err
	}
	return Value{kind: NS, x: set}, nil
}

// BinarySet returns a BS value holding copies of members, or DynamoDB's
// error when members is empty or repeats a value.
func BinarySet(members ...[]byte) (Value, error) {
	set := make([]string, len(members))
	for i, b := range members {
		set[i] = string(b)
	}
	if err := checkSet(BS, set, nil); err != nil {
		return Value{}, err
	}
	return Value{kind: BS, x: set}, nil
}

// checkSet refuses an empty set or one with a repeated member, with
// DynamoDB's messages. sent is the members as the client sent them (base64
// for BS), for the message; nil means set itself, or its base64 for BS.
func checkSet(k Kind, set, sent []string) error {
	if len(set) == 0 {
		switch k {
		case SS:
			return validationError(msgEmptySS)
		case NS:
			return validationError(msgEmptyNS)
		}
		return validationError(msgEmptyBS)
	}
	if !hasDuplicate(set) {
		return nil
	}
	if k == NS {
		return validationError(msgDupNS)
	}
	if sent == nil {
		sent = set
		if k == BS {
			sent = make([]string, len(set))
			for i, b := range set {
				sent[i] = base64.StdEncoding.EncodeToString([]byte(b))
			}
		}
	}
	suffix := msgDupSSSuffix
	if k == BS {
		suffix = msgDupBSSuffix
	}
	return validationError(msgDupSSPrefix + "[" + strings.Join(sent, ", ") + "]" + suffix)
}

// hasDuplicate reports whether set holds a string twice.
func hasDuplicate(set []string) bool {
	if len(set) <= 16 {
		for i := 1; i < len(set); i++ {
			for j := range i {
				if set[i] == set[j] {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(set))
	for _, s := range set {
		if _, ok := seen[s]; ok {
			return true
		}
		seen[s] = struct{}{}
	}
	return false
}

// Kind returns v's data type.
func (v Value) Kind() Kind { return v.kind }

// S returns the string of an S value, "" for other kinds.
func (v Value) S() string {
	if v.kind != S {
		return ""
	}
	return v.s
}

// N returns the normalized text of an N value, "" for other kinds.
func (v Value) N() string {
	if v.kind != N {
		return ""
	}
	return v.s
}

// B returns a copy of the bytes of a B value, nil for other kinds.
func (v Value) B() []byte {
	if v.kind != B {
		return nil
	}
	return []byte(v.s)
}

// SS returns the members of an SS value, nil for other kinds. The caller
// must not modify the slice.
func (v Value) SS() []string {
	if v.kind != SS {
		return nil
	}
	return v.strs()
}

// NS returns the normalized members of an NS value, nil for other kinds.
// The caller must not modify the slice.
func (v Value) NS() []string {
	if v.kind != NS {
		return nil
	}
	return v.strs()
}

// BS returns copies of the members of a BS value, nil for other kinds.
func (v Value) BS() [][]byte {
	if v.kind != BS {
		return nil
	}
	set := v.strs()
	out := make([][]byte, len(set))
	for i, b := range set {
		out[i] = []byte(b)
	}
	return out
}

// L returns the elements of an L value, nil for other kinds. The caller
// must not modify the slice.
func (v Value) L() []Value {
	if v.kind != L {
		return nil
	}
	return v.elems()
}

// M returns the members of an M value, nil for other kinds. The caller must
// not modify the map.
func (v Value) M() Item {
	if v.kind != M {
		return nil
	}
	return v.item()
}

// Bool returns the boolean of a BOOL value, false for other kinds.
func (v Value) Bool() bool { return v.kind == BOOL && v.b }

// Len returns the number of members of a set, elements of an L, or members
// of an M; the length in bytes of an S or B; 0 otherwise.
func (v Value) Len() int {
	switch v.kind {
	case S, B:
		return len(v.s)
	case SS, NS, BS:
		return len(v.strs())
	case L:
		return len(v.elems())
	case M:
		return len(v.item())
	}
	return 0
}

// String returns v's wire JSON, for logs and test failures.
func (v Value) String() string {
	b, err := AppendJSON(nil, v)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}
