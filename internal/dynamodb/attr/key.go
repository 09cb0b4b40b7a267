package attr

import (
	"errors"
	"strings"
)

// Key encoding.
//
// AppendKey writes an S, N or B value as bytes that compare, with
// bytes.Compare, as Compare compares the values, and that end by
// themselves, so encodings can be concatenated (partition key, then sort
// key) and still compare part by part. Each encoding starts with a tag
// byte, 'B', 'N' or 'S', so values of different kinds order by kind.
//
// S and B: the bytes with each 0x00 escaped as 0x00 0xFF, then 0x00 0x01,
// as internal/storage encodes string parts.
//
// N: a class byte, 0x01 negative, 0x02 zero, 0x03 positive; zero ends there.
// Then the adjusted exponent plus 130 in one byte (DynamoDB's exponents,
// -130 to 125, fill a byte exactly), then the significant digits two by two
// (the last pair padded with a 0 digit), each pair p as 2p+2 when more
// follow and 2p+1 when it is the last. Since the digits have no trailing
// zeros, a longer mantissa with the same leading pairs is larger, and its
// 2p+2 byte sorts after the shorter one's 2p+1. Negative numbers have the
// exponent and mantissa bytes inverted (b ^ 0xFF), which reverses their
// order; the mantissa ending by itself makes that sound. An N encoding is
// at most 22 bytes.
const (
	tagB = 'B'
	tagN = 'N'
	tagS = 'S'

	numNeg  = 0x01
	numZero = 0x02
	numPos  = 0x03

	keyEsc  = 0x00
	keyZero = 0xFF // 0x00 0xFF encodes a 0x00 byte
	keyTerm = 0x01 // 0x00 0x01 ends an S or B
)

// ErrMalformedKey is returned by DecodeKey for bytes AppendKey does not
// write.
var ErrMalformedKey = errors.New("attr: malformed key")

// IsKeyKind reports whether k can be a key attribute's type (S, N or B).
func IsKeyKind(k Kind) bool { return k == S || k == N || k == B }

// AppendKey appends the order-preserving encoding of the S, N or B value v
// to dst and returns the extended slice. It panics for other kinds: key
// attributes are checked to be S, N or B before they are encoded.
func AppendKey(dst []byte, v Value) []byte {
	switch v.kind {
	case S:
		return appendEscaped(append(dst, tagS), v.s)
	case B:
		return appendEscaped(append(dst, tagB), v.s)
	case N:
		return appendNumberKey(append(dst, tagN), v.s)
	}
	panic("attr: AppendKey of a " + v.kind.String() + " value")
}

func appendEscaped(dst []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, keyEsc)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, keyZero)
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, keyEsc, keyTerm)
}

func appendNumberKey(dst []byte, s string) []byte {
	d := splitCanonical(s)
	if d.n == 0 {
		return append(dst, numZero)
	}
	cls, flip := byte(numPos), byte(0)
	if d.neg {
		cls, flip = numNeg, 0xFF
	}
	dst = append(dst, cls, byte(d.exp-MinExponent)^flip)
	for i := 0; i < d.n; i += 2 {
		p := (d.digits[i] - '0') * 10
		if i+1 < d.n {
			p += d.digits[i+1] - '0'
		}
		b := 2*p + 2
		if i+2 >= d.n {
			b = 2*p + 1
		}
		dst = append(dst, b^flip)
	}
	return dst
}

// DecodeKey decodes the value AppendKey wrote at the start of src and
// returns it with the bytes after it, which alias src. It refuses, with
// ErrMalformedKey, any bytes AppendKey would not have written, so a
// decoded value encodes back to exactly the bytes it was read from.
func DecodeKey(src []byte) (v Value, rest []byte, err error) {
	if len(src) == 0 {
		return Value{}, nil, ErrMalformedKey
	}
	switch src[0] {
	case tagS, tagB:
		s, rest, err := readEscaped(src[1:])
		if err != nil {
			return Value{}, nil, err
		}
		if src[0] == tagS {
			return String(s), rest, nil
		}
		return Value{kind: B, s: s}, rest, nil
	case tagN:
		return decodeNumberKey(src[1:])
	}
	return Value{}, nil, ErrMalformedKey
}

func readEscaped(src []byte) (string, []byte, error) {
	var b []byte
	for i := 0; i < len(src); i++ {
		if src[i] != keyEsc {
			continue
		}
		if i+1 == len(src) {
			break
		}
		switch src[i+1] {
		case keyTerm:
			if b == nil {
				return string(src[:i]), src[i+2:], nil
			}
			b = append(b, src[:i]...)
			return string(b), src[i+2:], nil
		case keyZero:
			b = append(b, src[:i+1]...)
			src = src[i+2:]
			i = -1
		default:
			return "", nil, ErrMalformedKey
		}
	}
	return "", nil, ErrMalformedKey
}

func decodeNumberKey(src []byte) (Value, []byte, error) {
	if len(src) == 0 {
		return Value{}, nil, ErrMalformedKey
	}
	var d decimal
	var flip byte
	switch src[0] {
	case numZero:
		return Value{kind: N, s: "0"}, src[1:], nil
	case numNeg:
		d.neg, flip = true, 0xFF
	case numPos:
	default:
		return Value{}, nil, ErrMalformedKey
	}
	if len(src) < 3 {
		return Value{}, nil, ErrMalformedKey
	}
	d.exp = int(src[1]^flip) + MinExponent
	for i := 2; i < len(src); i++ {
		b := src[i] ^ flip
		if b == 0 || b > 200 || d.n == MaxDigits {
			return Value{}, nil, ErrMalformedKey
		}
		last := b&1 == 1
		p := (b - 2) / 2
		if last {
			p = (b - 1) / 2
		}
		hi, lo := p/10, p%10
		if d.n == 0 && hi == 0 {
			return Value{}, nil, ErrMalformedKey // a leading zero
		}
		d.digits[d.n] = '0' + hi
		d.n++
		if !last || lo != 0 {
			d.digits[d.n] = '0' + lo
			d.n++
		}
		if last {
			if d.digits[d.n-1] == '0' {
				return Value{}, nil, ErrMalformedKey // a trailing zero
			}
			return Value{kind: N, s: d.String()}, src[i+1:], nil
		}
	}
	return Value{}, nil, ErrMalformedKey
}
