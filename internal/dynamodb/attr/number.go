package attr

import (
	"math"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// DynamoDB's number limits: at most 38 significant digits, and a nonzero
// magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125.
// An adjusted exponent is the power of ten of a number's first significant
// digit (1.5E+3 has adjusted exponent 3).
const (
	MaxDigits   = 38
	MaxExponent = 125  // largest adjusted exponent
	MinExponent = -130 // smallest adjusted exponent
)

// decimal is a parsed number: value = ±0.d₁d₂…dₙ × 10^(exp+1), so d₁ stands
// at 10^exp. digits holds ASCII digits without leading or trailing zeros;
// n == 0 means zero, and then neg is false.
type decimal struct {
	neg    bool
	n      int
	exp    int
	digits [MaxDigits]byte
}

// parseNumber reads s with the grammar of Java's BigDecimal(String), as
// DynamoDB does — [+-] digits [. digits] [(e|E) [+-] digits], with at least
// one mantissa digit, no spaces, no NaN or Infinity — and checks DynamoDB's
// limits. The errors are *Error with DynamoDB's messages; a value that fails
// two limits gets the first of overflow, underflow, precision.
func parseNumber[T string | []byte](s T) (decimal, error) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	var (
		mantDigits int  // mantissa digits seen, leading zeros included
		pointAt    = -1 // mantissa digits before the '.', if any
		firstSig   = -1 // index among mantissa digits of the first nonzero
		tooMany    bool // more than MaxDigits significant digits
	)
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if pointAt >= 0 {
				return d, notNumeric(string(s))
			}
			pointAt = mantDigits
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		m := mantDigits
		mantDigits++
		if c == '0' {
			continue // written, if significant, before the next nonzero
		}
		if firstSig < 0 {
			firstSig = m
		}
		pos := m - firstSig
		if pos >= MaxDigits {
			tooMany = true
			continue
		}
		for d.n < pos {
			d.digits[d.n] = '0'
			d.n++
		}
		d.digits[d.n] = c
		d.n++
	}
	if mantDigits == 0 {
		return d, notNumeric(string(s))
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNeg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			expNeg = s[i] == '-'
			i++
		}
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp = exp*10 + int64(s[i]-'0')
			if exp > math.MaxInt32+1 {
				return d, notNumeric(string(s)) // BigDecimal refuses it too
			}
		}
		if i == start {
			return d, notNumeric(string(s))
		}
		if expNeg {
			exp = -exp
		}
		if exp > math.MaxInt32 || exp < math.MinInt32 {
			return d, notNumeric(string(s))
		}
	}
	if i != len(s) {
		return d, notNumeric(string(s))
	}
	if firstSig < 0 {
		return decimal{}, nil // zero, whatever its sign or exponent
	}
	if pointAt < 0 {
		pointAt = mantDigits
	}
	adj := int64(pointAt-firstSig-1) + exp
	switch {
	case adj > MaxExponent:
		return d, validationError(msgOverflow)
	case adj < MinExponent:
		return d, validationError(msgUnderflow)
	case tooMany:
		return d, validationError(msgPrecision)
	}
	d.exp = int(adj)
	return d, nil
}

// canonicalNumber returns the text DynamoDB stores for the number s, or
// its error.
func canonicalNumber[T string | []byte](s T) (string, error) {
	d, err := parseNumber(s)
	if err != nil {
		return "", err
	}
	var buf [64]byte
	if n := d.textLen(); n <= len(buf) {
		text := d.appendText(buf[:0])
		if string(text) == string(s) {
			return string(s), nil // s is canonical already
		}
		return string(text), nil
	}
	return d.String(), nil
}

// String formats d as DynamoDB returns numbers: plain notation, no exponent,
// no leading or trailing zeros, "0" for zero.
func (d *decimal) String() string {
	return string(d.appendText(make([]byte, 0, d.textLen())))
}

func (d *decimal) textLen() int {
	if d.n == 0 {
		return 1
	}
	n := d.n
	switch {
	case d.exp >= d.n-1:
		n = d.exp + 1
	case d.exp < 0:
		n = 1 + 1 + (-d.exp - 1) + d.n
	default:
		n++ // the point
	}
	if d.neg {
		n++
	}
	return n
}

func (d *decimal) appendText(dst []byte) []byte {
	if d.n == 0 {
		return append(dst, '0')
	}
	if d.neg {
		dst = append(dst, '-')
	}
	digits := d.digits[:d.n]
	switch {
	case d.exp >= d.n-1: // an integer
		dst = append(dst, digits...)
		for range d.exp - (d.n - 1) {
			dst = append(dst, '0')
		}
	case d.exp < 0: // below one
		dst = append(dst, '0', '.')
		for range -d.exp - 1 {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	default:
		dst = append(dst, digits[:d.exp+1]...)
		dst = append(dst, '.')
		dst = append(dst, digits[d.exp+1:]...)
	}
	return dst
}

// splitCanonical reads a number in the form decimal.String writes, without
// checking it.
func splitCanonical(s string) decimal {
	var d decimal
	if s == "0" {
		return d
	}
	if s[0] == '-' {
		d.neg = true
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "0" {
		z := 0
		for frac[z] == '0' {
			z++
		}
		d.exp = -(z + 1)
		d.n = copy(d.digits[:], frac[z:])
		return d
	}
	d.exp = len(intPart) - 1
	if frac == "" {
		intPart = strings.TrimRight(intPart, "0")
	}
	d.n = copy(d.digits[:], intPart)
	d.n += copy(d.digits[d.n:], frac)
	return d
}

// significantDigits returns how many significant digits the canonical
// number s has (0 for zero).
func significantDigits(s string) int {
	if s == "0" {
		return 0
	}
	if s[0] == '-' {
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "0" {
		return len(strings.TrimLeft(frac, "0"))
	}
	if frac == "" {
		return len(strings.TrimRight(intPart, "0"))
	}
	return len(intPart) + len(frac)
}

// compareNumbers compares two canonical numbers by value.
func compareNumbers(a, b string) int {
	an, bn := a[0] == '-', b[0] == '-'
	switch {
	case an && !bn:
		return -1
	case !an && bn:
		return 1
	case an:
		return compareMagnitudes(b[1:], a[1:])
	}
	// Both non-negative; "0" is the only zero and sorts first.
	if a == "0" || b == "0" {
		switch {
		case a == b:
			return 0
		case a == "0":
			return -1
		}
		return 1
	}
	return compareMagnitudes(a, b)
}

// compareMagnitudes compares unsigned canonical numbers: integer parts have
// no leading zeros (or are "0"), fractions no trailing zeros, so the longer
// integer part is larger, and equal-length parts compare as text.
func compareMagnitudes(a, b string) int {
	ai, af, _ := strings.Cut(a, ".")
	bi, bf, _ := strings.Cut(b, ".")
	if len(ai) != len(bi) {
		if len(ai) < len(bi) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(ai, bi); c != 0 {
		return c
	}
	return strings.Compare(af, bf)
}

// Decimal returns the number of an N value as an apd.Decimal the caller
// owns. It returns nil for other kinds.
func (v Value) Decimal() *apd.Decimal {
	if v.kind != N {
		return nil
	}
	d, _, err := apd.NewFromString(v.s)
	if err != nil {
		panic("attr: canonical number did not parse: " + v.s) // unreachable
	}
	return d
}

// NumberFromDecimal returns the N value of d, or DynamoDB's error when d
// cannot be stored (NaN and infinities cannot be converted; too many digits,
// too large, too small as for Number).
func NumberFromDecimal(d *apd.Decimal) (Value, error) {
	if d.Form != apd.Finite {
		return Value{}, notNumeric(d.String())
	}
	return Number(d.Text('E'))
}

// arith is exact up to MaxDigits significant digits; a result needing more
// sets apd.Inexact. The exponent bounds are far outside DynamoDB's, so only
// our own checks refuse magnitudes.
var arith = apd.Context{
	Precision:   MaxDigits,
	MaxExponent: 10 * MaxExponent,
	MinExponent: 10 * MinExponent,
	Rounding:    apd.RoundHalfEven,
}

// Add returns a + b for two N values. A sum DynamoDB cannot store — more
// than 38 significant digits, or out of range — is refused with the message
// DynamoDB gives for all of them, "Number overflow…". An operand of another
// kind is refused as UpdateExpression does.
func Add(a, b Value) (Value, error) { return addSub(a, b, false) }

// Sub returns a - b for two N values, refused as Add refuses.
func Sub(a, b Value) (Value, error) { return addSub(a, b, true) }

func addSub(a, b Value, sub bool) (Value, error) {
	if a.kind != N || b.kind != N {
		return Value{}, validationError(msgOperandType)
	}
	x, y := a.Decimal(), b.Decimal()
	var (
		res  apd.Decimal
		cond apd.Condition
		err  error
	)
	if sub {
		cond, err = arith.Sub(&res, x, y)
	} else {
		cond, err = arith.Add(&res, x, y)
	}
	if err != nil || cond.Inexact() || cond.Overflow() || cond.Underflow() {
		return Value{}, validationError(msgOverflow)
	}
	v, err := NumberFromDecimal(&res)
	if err != nil {
		return Value{}, validationError(msgOverflow)
	}
	return v, nil
}
