package attr

import (
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON scanning under the decoder: strings, and values it skips.

// stringBytes decodes a JSON string. The result aliases d.data or d.buf and
// is valid until the next call. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func (d *decoder) stringBytes() ([]byte, error) {
	if d.next() != '"' {
		return nil, d.wrongType("String")
	}
	start := d.pos + 1
	for i := start; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return d.data[start:i], nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return d.stringSlow(start, i)
		}
	}
	d.pos = len(d.data)
	return nil, d.syntax("unexpected end of JSON input")
}

// stringSlow decodes the rest of a string that has escapes, control
// characters or non-ASCII bytes from i on.
func (d *decoder) stringSlow(start, i int) ([]byte, error) {
	buf := append(d.buf[:0], d.data[start:i]...)
	data := d.data
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = buf
			return buf, nil
		case c < 0x20:
			d.pos = i
			return nil, d.syntax("invalid control character in string literal")
		case c < utf8.RuneSelf && c != '\\':
			buf = append(buf, c)
			i++
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, data[i:i+size]...)
			}
			i += size
		default: // backslash
			if i+1 >= len(data) {
				d.pos = len(data)
				return nil, d.syntax("unexpected end of JSON input")
			}
			i++
			switch data[i] {
			case '"', '\\', '/':
				buf = append(buf, data[i])
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(data[i+1:])
				if !ok {
					d.pos = i
					return nil, d.syntax("invalid \\u escape in string literal")
				}
				i += 4
				if utf16.IsSurrogate(r) {
					r2, ok := rune(0), false
					if i+2 < len(data) && data[i+1] == '\\' && data[i+2] == 'u' {
						r2, ok = hex4(data[i+3:])
					}
					if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				d.pos = i
				return nil, d.syntax("invalid escape in string literal")
			}
			i++
		}
	}
	d.pos = len(data)
	d.buf = buf
	return nil, d.syntax("unexpected end of JSON input")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip passes over any JSON value, checking its syntax.
func (d *decoder) skip(depth int) error {
	if depth > maxSkipDepth {
		return d.syntax("exceeded max depth")
	}
	switch c := d.next(); {
	case c == '"':
		_, err := d.stringBytes()
		return err
	case c == '{':
		d.pos++
		if d.consume('}') {
			return nil
		}
		for {
			if _, err := d.stringBytes(); err != nil {
				return err
			}
			if !d.consume(':') {
				return d.syntax("expected ':' after object key")
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if d.consume(',') {
				continue
			}
			if d.consume('}') {
				return nil
			}
			return d.syntax("expected ',' or '}' after object member")
		}
	case c == '[':
		d.pos++
		if d.consume(']') {
			return nil
		}
		for {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			if d.consume(',') {
				continue
			}
			if d.consume(']') {
				return nil
			}
			return d.syntax("expected ',' or ']' after array element")
		}
	case c == 't':
		if d.literal("true") {
			return nil
		}
	case c == 'f':
		if d.literal("false") {
			return nil
		}
	case c == 'n':
		if d.literal("null") {
			return nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return d.skipNumber()
	case c == 0:
		return d.syntax("unexpected end of JSON input")
	}
	return d.syntax("invalid character looking for beginning of value")
}

// skipNumber passes over a JSON number.
func (d *decoder) skipNumber() error {
	data, i := d.data, d.pos
	digits := func() int {
		n := 0
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if data[i] == '-' {
		i++
	}
	if i < len(data) && data[i] == '0' {
		i++
	} else if digits() == 0 {
		d.pos = i
		return d.syntax("invalid number literal")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if digits() == 0 {
			d.pos = i
			return d.syntax("invalid number literal")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			return d.syntax("invalid number literal")
		}
	}
	d.pos = i
	return nil
}
