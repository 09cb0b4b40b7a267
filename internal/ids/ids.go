// Package ids makes the identifiers Nimbus hands out: request IDs and
// random hex strings (log stream suffixes, receipt handles, ...).
//
// Services take a Generator in their Config: Random in the server,
// Sequence in tests that need predictable output.
package ids

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
)

// Generator makes identifiers. Implementations are safe for concurrent use.
type Generator interface {
	// RequestID returns a new request ID: a lowercase UUID, like AWS's
	// x-amzn-RequestId.
	RequestID() string
	// Hex returns n lowercase hexadecimal digits; n <= 0 yields "".
	Hex(n int) string
}

// Random generates identifiers from crypto/rand. The zero value is ready
// to use.
type Random struct{}

var _ Generator = Random{}

// RequestID returns a random (version 4) UUID such as
// "f81d4fae-7dec-41d0-a765-00a0c91e6bf6".
func (Random) RequestID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])  // Never fails; it crashes the program instead.
	u[6] = u[6]&0x0f | 0x40 // Version 4.
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant.
	return formatUUID(u)
}

// Hex returns n random lowercase hexadecimal digits.
func (Random) Hex(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// formatUUID writes u in the 8-4-4-4-12 form.
func formatUUID(u [16]byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return string(buf[:])
}

// Sequence is a deterministic Generator for tests: every call to either
// method takes the next number of one counter, starting at 1. RequestID
// gives "00000000-0000-4000-8000-000000000001", then ...02; Hex(8) gives
// "00000001", keeping the low n digits when the number is longer. The zero
// value is ready to use; a Sequence must not be copied after first use.
type Sequence struct {
	mu sync.Mutex
	n  uint64
}

var _ Generator = (*Sequence)(nil)

// next returns the next number of the sequence.
func (s *Sequence) next() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.n
}

// RequestID returns a version 4 UUID holding the next number.
func (s *Sequence) RequestID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", s.next()&(1<<48-1))
}

// Hex returns the next number as n hexadecimal digits.
func (s *Sequence) Hex(n int) string {
	v := s.next()
	if n <= 0 {
		return ""
	}
	h := fmt.Sprintf("%0*x", n, v)
	return h[len(h)-n:]
}
