package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Key encoding.
//
// A key is a tuple of parts. A string part is its bytes with each 0x00
// escaped as 0x00 0xFF, followed by the terminator 0x00 0x01; a uint64 part
// is 8 big-endian bytes. Encoded tuples compare bytewise in the same order as
// the tuples compare part by part (a tuple sorts before its extensions), and
// the encoding of a tuple is a prefix of the encoding of every tuple that
// extends it, so Scan(Key("svc", "queue")) visits exactly the keys under
// that tuple, never those of "queue2".

const (
	escByte  = 0x00
	escZero  = 0xFF // 0x00 0xFF encodes a 0x00 byte.
	termByte = 0x01 // 0x00 0x01 ends a string part.
)

// ErrMalformedKey is wrapped by the errors of DecodeKey, ReadString and
// ReadUint64.
var ErrMalformedKey = errors.New("storage: malformed key")

// Key returns the encoding of the tuple of string parts.
func Key(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 2
	}
	dst := make([]byte, 0, n)
	for _, p := range parts {
		dst = AppendString(dst, p)
	}
	return dst
}

// AppendString appends the encoding of the string part s to dst and returns
// the extended slice.
func AppendString(dst []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, escByte)
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, escZero)
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, escByte, termByte)
}

// AppendUint64 appends v as 8 big-endian bytes, which sort numerically, and
// returns the extended slice. Such a part is read back with ReadUint64;
// DecodeKey only decodes keys made of string parts.
func AppendUint64(dst []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, v)
}

// ReadString decodes the string part at the start of key and returns it
// with the remaining bytes, which alias key.
func ReadString(key []byte) (s string, rest []byte, err error) {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		if key[i] != escByte {
			continue
		}
		if i+1 == len(key) {
			break
		}
		switch key[i+1] {
		case termByte:
			b.Write(key[:i])
			return b.String(), key[i+2:], nil
		case escZero:
			b.Write(key[:i+1])
			key = key[i+2:]
			i = -1
		default:
			return "", nil, fmt.Errorf("%w: byte 0x%02x after 0x00", ErrMalformedKey, key[i+1])
		}
	}
	return "", nil, fmt.Errorf("%w: unterminated string part", ErrMalformedKey)
}

// ReadUint64 decodes the uint64 part at the start of key and returns it
// with the remaining bytes, which alias key.
func ReadUint64(key []byte) (v uint64, rest []byte, err error) {
	if len(key) < 8 {
		return 0, nil, fmt.Errorf("%w: %d bytes left for a uint64 part", ErrMalformedKey, len(key))
	}
	return binary.BigEndian.Uint64(key), key[8:], nil
}

// DecodeKey decodes a key made only of string parts, the inverse of Key.
func DecodeKey(key []byte) ([]string, error) {
	var parts []string
	for len(key) > 0 {
		s, rest, err := ReadString(key)
		if err != nil {
			return nil, fmt.Errorf("decoding key part %d: %w", len(parts), err)
		}
		parts = append(parts, s)
		key = rest
	}
	return parts, nil
}

// PrefixEnd returns the smallest key greater than every key starting with
// prefix, for use as an exclusive upper bound, or nil when there is none
// (prefix is empty or all 0xFF).
func PrefixEnd(prefix []byte) []byte {
	end := make([]byte, len(prefix))
	copy(end, prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
