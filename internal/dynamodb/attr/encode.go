package attr

import (
	"encoding/base64"
	"errors"
	"slices"
	"unicode/utf8"
)

// errNoKind is returned when encoding a zero Value.
var errNoKind = errors.New("attr: cannot encode a Value of kind None")

// AppendJSON appends v's AttributeValue JSON to dst and returns the
// extended slice. M members are written in name order. It fails only for a
// zero Value, at any depth.
func AppendJSON(dst []byte, v Value) ([]byte, error) {
	var err error
	switch v.kind {
	case S:
		dst = append(dst, `{"S":`...)
		dst = appendString(dst, v.s)
	case N:
		dst = append(dst, `{"N":"`...)
		dst = append(dst, v.s...)
		dst = append(dst, '"')
	case B:
		dst = append(dst, `{"B":"`...)
		dst = appendBase64(dst, v.s)
		dst = append(dst, '"')
	case SS, NS, BS:
		dst = append(dst, `{"`...)
		dst = append(dst, v.kind.String()...)
		dst = append(dst, `":[`...)
		for i, s := range v.strs() {
			if i > 0 {
				dst = append(dst, ',')
			}
			switch v.kind {
			case SS:
				dst = appendString(dst, s)
			case NS:
				dst = append(dst, '"')
				dst = append(dst, s...)
				dst = append(dst, '"')
			default:
				dst = append(dst, '"')
				dst = appendBase64(dst, s)
				dst = append(dst, '"')
			}
		}
		dst = append(dst, ']')
	case L:
		dst = append(dst, `{"L":[`...)
		for i, e := range v.elems() {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = AppendJSON(dst, e); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	case M:
		dst = append(dst, `{"M":`...)
		if dst, err = appendItem(dst, v.item()); err != nil {
			return dst, err
		}
	case BOOL:
		if v.b {
			dst = append(dst, `{"BOOL":true`...)
		} else {
			dst = append(dst, `{"BOOL":false`...)
		}
	case NULL:
		dst = append(dst, `{"NULL":true`...)
	default:
		return dst, errNoKind
	}
	return append(dst, '}'), nil
}

// AppendItemJSON appends it as a JSON object of name to AttributeValue, in
// name order, and returns the extended slice. A nil Item is written as
// null.
func AppendItemJSON(dst []byte, it Item) ([]byte, error) {
	if it == nil {
		return append(dst, "null"...), nil
	}
	return appendItem(dst, it)
}

func appendItem(dst []byte, it Item) ([]byte, error) {
	var arr [16]string
	names := arr[:0]
	for name := range it {
		names = append(names, name)
	}
	slices.Sort(names)
	dst = append(dst, '{')
	var err error
	for i, name := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, name)
		dst = append(dst, ':')
		if dst, err = AppendJSON(dst, it[name]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (v Value) MarshalJSON() ([]byte, error) { return AppendJSON(nil, v) }

// MarshalJSON implements json.Marshaler with AppendItemJSON.
func (it Item) MarshalJSON() ([]byte, error) { return AppendItemJSON(nil, it) }

// appendBase64 appends the standard base64 of the bytes of s without
// copying s to a []byte first.
func appendBase64(dst []byte, s string) []byte {
	var chunk [3 * 64]byte // a multiple of 3: no padding between chunks
	for len(s) > 0 {
		n := copy(chunk[:], s)
		dst = base64.StdEncoding.AppendEncode(dst, chunk[:n])
		s = s[n:]
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 as \ufffd, as encoding/json writes
// them (without its HTML escaping).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
