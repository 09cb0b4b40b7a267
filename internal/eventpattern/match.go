package eventpattern

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Match reports whether the JSON event matches. It fails only when event is
// not a single JSON value.
func (p *Pattern) Match(event []byte) (bool, error) {
	dec := newDecoder(event)
	var v any
	if err := dec.Decode(&v); err != nil {
		return false, fmt.Errorf("eventpattern: decoding event: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return false, errors.New("eventpattern: decoding event: data after the JSON value")
	}
	return p.MatchValue(v), nil
}

// MatchValue reports whether an event decoded by encoding/json matches:
// objects are map[string]any, arrays []any, and numbers json.Number (from a
// Decoder with UseNumber), float64 or Go integers. Values of other types are
// treated as absent. A float64 has lost the text of its number, so a number
// beyond ±5e9, which AWS compares by text, is compared by its shortest form.
func (p *Pattern) MatchValue(event any) bool {
	return p.root.matchValue(event)
}

// matchValue matches the object pattern against the event value at its key.
// Against an array it matches when one element matches on its own; against
// anything that holds no object it sees every key as absent.
func (o *object) matchValue(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return o.match(t)
	case []any:
		if matched, sawObject := o.matchElements(t); sawObject {
			return matched
		}
	}
	return o.match(nil)
}

func (o *object) matchElements(arr []any) (matched, sawObject bool) {
	for _, e := range arr {
		switch t := e.(type) {
		case map[string]any:
			sawObject = true
			if o.match(t) {
				return true, true
			}
		case []any:
			m, s := o.matchElements(t)
			sawObject = sawObject || s
			if m {
				return true, true
			}
		}
	}
	return false, sawObject
}

// match matches the pattern against an event object; nil is an empty one.
func (o *object) match(event map[string]any) bool {
	for _, f := range o.fields {
		v, present := event[f.name]
		if f.leaf != nil && !f.leaf.match(v, present) {
			return false
		}
		if f.sub != nil && !f.sub.matchValue(v) {
			return false
		}
	}
	for _, alts := range o.ors {
		if !anyMatch(alts, event) {
			return false
		}
	}
	return true
}

func anyMatch(alts []*object, event map[string]any) bool {
	for _, alt := range alts {
		if alt.match(event) {
			return true
		}
	}
	return false
}

// match matches a value list against the event value at its key. Only
// scalars count as values: {"exists": false} matches a key that is missing
// or holds an object, as in AWS.
func (r *leafRule) match(v any, present bool) bool {
	if !present {
		return r.existsFalse
	}
	found := false
	hit := eachValue(v, func(x *value) bool {
		found = true
		if r.existsTrue {
			return true
		}
		for _, c := range r.conds {
			if c.match(x) {
				return true
			}
		}
		return false
	})
	return hit || (!found && r.existsFalse)
}

// eachValue calls fn for every scalar in v, descending into arrays but not
// objects, until fn returns true.
func eachValue(v any, fn func(*value) bool) bool {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if eachValue(e, fn) {
				return true
			}
		}
		return false
	}
	x, ok := toValue(v)
	return ok && fn(&x)
}

// value is one scalar of an event.
type value struct {
	kind    valueKind
	text    string // the string, the number as written, or true/false/null
	micros  int64  // a number in millionths, when numeric
	numeric bool   // the number is within AWS's numeric range
}

type valueKind int

const (
	stringValue valueKind = iota
	numberValue
	literalValue // true, false, null
)

func toValue(v any) (value, bool) {
	switch t := v.(type) {
	case string:
		return value{kind: stringValue, text: t}, true
	case json.Number:
		return numberOf(t.String()), true
	case float64:
		return numberOf(formatFloat(t)), true
	case float32:
		return numberOf(strconv.FormatFloat(float64(t), 'g', -1, 32)), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return numberOf(fmt.Sprint(t)), true
	case bool:
		return value{kind: literalValue, text: strconv.FormatBool(t)}, true
	case nil:
		return value{kind: literalValue, text: "null"}, true
	}
	return value{}, false
}

func numberOf(text string) value {
	m, _, ok := parseMicros(text) // AWS drops digits past the sixth decimal
	return value{kind: numberValue, text: text, micros: m, numeric: ok}
}

// condition is one entry of a value list.
type condition interface {
	match(v *value) bool
}

// equalString matches a string exactly. An IP address also matches the same
// address written differently, as in AWS.
type equalString struct {
	s  string
	ip netip.Addr // valid when s is an IP address
}

func newEqualString(s string) equalString {
	ip, _ := parseIP(s)
	return equalString{s: s, ip: ip}
}

func (e equalString) match(v *value) bool {
	if v.kind != stringValue {
		return false
	}
	if v.text == e.s {
		return true
	}
	if !e.ip.IsValid() {
		return false
	}
	ip, _ := parseIP(v.text)
	return ip == e.ip
}

// equalNumber matches a number by value when AWS can compare it, and
// otherwise by its text.
type equalNumber struct {
	text    string
	micros  int64
	numeric bool
}

func newEqualNumber(text string) equalNumber {
	m, exact, ok := parseMicros(text)
	return equalNumber{text: text, micros: m, numeric: exact && ok}
}

func (e equalNumber) match(v *value) bool {
	if v.kind != numberValue {
		return false
	}
	return (e.numeric && v.numeric && e.micros == v.micros) || v.text == e.text
}

// equalLiteral matches true, false or null.
type equalLiteral string

func (e equalLiteral) match(v *value) bool {
	return v.kind == literalValue && v.text == string(e)
}

// affix is prefix or suffix matching, optionally ignoring case.
type affix struct {
	s      string
	suffix bool
	fold   bool
}

func (a affix) match(v *value) bool {
	if v.kind != stringValue {
		return false
	}
	switch {
	case a.suffix && a.fold:
		return hasSuffixFold(v.text, a.s)
	case a.suffix:
		return strings.HasSuffix(v.text, a.s)
	case a.fold:
		return hasPrefixFold(v.text, a.s)
	}
	return strings.HasPrefix(v.text, a.s)
}

// equalFold is equals-ignore-case.
type equalFold string

func (e equalFold) match(v *value) bool {
	return v.kind == stringValue && strings.EqualFold(v.text, string(e))
}

func (w wildcard) match(v *value) bool {
	return v.kind == stringValue && w.matchString(v.text)
}

// numericRange matches numbers between lo and hi (in millionths).
type numericRange struct {
	lo, hi         int64
	loOpen, hiOpen bool
}

func (r numericRange) match(v *value) bool {
	if v.kind != numberValue || !v.numeric {
		return false
	}
	aboveLo := v.micros > r.lo || (!r.loOpen && v.micros == r.lo)
	belowHi := v.micros < r.hi || (!r.hiOpen && v.micros == r.hi)
	return aboveLo && belowHi
}

// cidr matches IP addresses inside a prefix.
type cidr struct {
	prefix netip.Prefix
}

func (c cidr) match(v *value) bool {
	if v.kind != stringValue {
		return false
	}
	ip, _ := parseIP(v.text)
	return ip.IsValid() && c.prefix.Contains(ip)
}

// anythingBut matches every scalar that none of its conditions match,
// including numbers, true, false and null.
type anythingBut []condition

func (a anythingBut) match(v *value) bool {
	for _, c := range a {
		if c.match(v) {
			return false
		}
	}
	return true
}
