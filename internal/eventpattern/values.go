package eventpattern

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxMicros is the largest number AWS compares numerically, 5e9, in millionths.
const maxMicros = 5_000_000_000 * 1_000_000

// Messages AWS gives for numbers it cannot compare.
const (
	msgNumberRange     = "Value must be between -5.0E9 and 5.0E9, inclusive"
	msgNumberPrecision = "Only values upto 6 decimals are supported"
)

// parseMicros reads the JSON number s as a count of millionths, dropping any
// digits past the sixth decimal place. exact reports that nothing was
// dropped; ok reports that s is a number within ±5e9.
func parseMicros(s string) (micros int64, exact, ok bool) {
	i := 0
	neg := i < len(s) && s[i] == '-'
	if neg {
		i++
	}
	var digits []byte // significant digits; the value is digits × 10^exp
	exp, sawDigit := 0, false
	for ; i < len(s) && isDigit(s[i]); i++ {
		sawDigit = true
		if len(digits) > 0 || s[i] != '0' {
			digits = append(digits, s[i])
		}
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			sawDigit = true
			exp--
			if len(digits) > 0 || s[i] != '0' {
				digits = append(digits, s[i])
			}
		}
	}
	if !sawDigit {
		return 0, false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := i < len(s) && s[i] == '-'
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if i == len(s) {
			return 0, false, false
		}
		e := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			if e < 1_000_000 { // far beyond any representable value; stops overflow
				e = e*10 + int(s[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(s) {
		return 0, false, false
	}
	exact = true
	shift := exp + 6 // micros = digits × 10^shift
	if shift < 0 {
		drop := min(-shift, len(digits))
		for _, d := range digits[len(digits)-drop:] {
			exact = exact && d == '0'
		}
		digits, shift = digits[:len(digits)-drop], 0
	}
	if len(digits)+shift > 16 { // at least 1e16 millionths
		return 0, exact, false
	}
	for _, d := range digits {
		micros = micros*10 + int64(d-'0')
	}
	for ; shift > 0; shift-- {
		micros *= 10
	}
	if micros > maxMicros {
		return 0, exact, false
	}
	if neg {
		micros = -micros
	}
	return micros, exact, true
}

// patternMicros is parseMicros for a number written in a pattern, where AWS
// refuses what it cannot compare exactly.
func patternMicros(s string) (int64, *Error) {
	v, exact, ok := parseMicros(s)
	switch {
	case !exact:
		return 0, errorf(msgNumberPrecision)
	case !ok:
		return 0, errorf(msgNumberRange)
	}
	return v, nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// formatFloat writes an event number that arrived as a float64 the way it
// most likely appeared in JSON: integers without an exponent.
func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// wildcard is a compiled wildcard operand: the literal runs around its
// unescaped asterisks, so "a*b*c" is {"a", "b", "c"}.
type wildcard []string

// parseWildcard compiles s, where "*" matches any run of characters, "\*" is
// an asterisk and "\\" a backslash. Like AWS it counts positions from the
// opening quote of the JSON string.
func parseWildcard(s string) (wildcard, *Error) {
	var w wildcard
	var run strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return nil, errorf("Consecutive wildcard characters at pos %d", i+1)
			}
			w = append(w, run.String())
			run.Reset()
		case '\\':
			if i+1 == len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return nil, errorf("Invalid escape character at pos %d", i+1)
			}
			i++
			run.WriteByte(s[i])
		default:
			run.WriteByte(s[i])
		}
	}
	return append(w, run.String()), nil
}

func (w wildcard) matchString(s string) bool {
	if len(w) == 1 {
		return s == w[0]
	}
	if !strings.HasPrefix(s, w[0]) {
		return false
	}
	s = s[len(w[0]):]
	for _, mid := range w[1 : len(w)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, w[len(w)-1])
}

// parseIP reads s as AWS reads an IP address: a dotted quad of decimal
// numbers (leading zeros allowed, not octal) or hex digits and colons.
// shaped reports that s looks like either; addr is invalid when s looks like
// an address but is not one.
func parseIP(s string) (addr netip.Addr, shaped bool) {
	if quad := strings.Split(s, "."); len(quad) == 4 {
		var b [4]byte
		for i, part := range quad {
			if part == "" || strings.TrimLeft(part, "0123456789") != "" {
				return netip.Addr{}, false
			}
			n, err := strconv.ParseUint(part, 10, 8)
			if err != nil {
				return netip.Addr{}, true
			}
			b[i] = byte(n)
		}
		return netip.AddrFrom4(b), true
	}
	if !strings.Contains(s, ":") || strings.Trim(s, "0123456789abcdefABCDEF:") != "" {
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, true
	}
	return addr.Unmap(), true
}

// parseCIDR reads a cidr operand. Like AWS it masks the host bits and refuses
// single-address prefixes (/32, /128).
func parseCIDR(s string) (netip.Prefix, *Error) {
	parts := strings.Split(s, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" { // Java's String.split
		parts = parts[:len(parts)-1]
	}
	if len(parts) != 2 {
		return netip.Prefix{}, errorf("Malformed CIDR, one '/' required")
	}
	bits, err := strconv.Atoi(parts[1])
	if err != nil {
		return netip.Prefix{}, errorf("Malformed CIDR, mask bits must be an integer")
	}
	if bits < 0 {
		return netip.Prefix{}, errorf("Malformed CIDR, mask bits must not be negative")
	}
	addr, shaped := parseIP(parts[0])
	switch {
	case !shaped:
		return netip.Prefix{}, errorf("Nonstandard IP address: %s", parts[0])
	case !addr.IsValid():
		return netip.Prefix{}, errorf("Invalid IP address: %s", parts[0])
	case addr.Is4() && bits > 31:
		return netip.Prefix{}, errorf("IPv4 mask bits must be < 32")
	case addr.Is6() && bits > 127:
		return netip.Prefix{}, errorf("IPv6 mask bits must be < 128")
	}
	return netip.PrefixFrom(addr, bits).Masked(), nil
}

// hasPrefixFold is strings.HasPrefix under Unicode case folding.
func hasPrefixFold(s, prefix string) bool {
	for _, p := range prefix {
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || !equalFoldRune(r, p) {
			return false
		}
		s = s[n:]
	}
	return true
}

// hasSuffixFold is strings.HasSuffix under Unicode case folding.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		p, m := utf8.DecodeLastRuneInString(suffix)
		r, n := utf8.DecodeLastRuneInString(s)
		if n == 0 || !equalFoldRune(r, p) {
			return false
		}
		s, suffix = s[:len(s)-n], suffix[:len(suffix)-m]
	}
	return true
}

func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// errorf builds a validation error; format is AWS's message.
func errorf(format string, args ...any) *Error {
	if len(args) == 0 {
		return &Error{Message: format}
	}
	return &Error{Message: fmt.Sprintf(format, args...)}
}
