package sqs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// A stored message is two records under the same sequence number:
//
//   - its body record (bodyKey), written once by the send and never
//     changed: id, body, attributes and what the send decided;
//   - its state record (stateKey), rewritten by every receive and
//     visibility change: small, and all that a start reads.
//
// Both are a version byte and then fields in a fixed order: strings as a
// uvarint length and bytes, numbers as varints.

// Record versions; a record of another version is refused.
const (
	bodyVersion  = 1
	stateVersion = 1
)

// errBadRecord is wrapped by the decoding errors of stored records.
var errBadRecord = errors.New("sqs: malformed stored message")

// body is the immutable part of a stored message.
type body struct {
	ID          string
	SentMs      int64
	MD5Body     string
	MD5Attrs    string
	SenderID    string
	GroupID     string
	DedupID     string
	TraceHeader string
	// DLQSource is the ARN of the queue a dead-lettered message came from.
	DLQSource string
	Body      string
	Attrs     map[string]MessageAttributeValue
}

// state is the mutable part of a stored message.
type state struct {
	// VisibleAtMs is when the message can next be received: after its
	// delay, or when its visibility timeout ends.
	VisibleAtMs    int64
	ReceiveCount   uint32
	FirstReceiveMs int64
	// Nonce names the current receive: receipt handles carry it.
	Nonce uint64
	// SentSec is the send's time in epoch seconds, rounded up, for
	// retention (the body holds it to the millisecond).
	SentSec uint32
	// GroupID is the FIFO message group, so that a start rebuilds the
	// groups without reading bodies.
	GroupID string
}

// appendBody appends the encoding of b to dst.
func appendBody(dst []byte, b *body) []byte {
	dst = append(dst, bodyVersion)
	dst = appendString(dst, b.ID)
	dst = binary.AppendVarint(dst, b.SentMs)
	for _, s := range []string{b.MD5Body, b.MD5Attrs, b.SenderID, b.GroupID, b.DedupID, b.TraceHeader, b.DLQSource, b.Body} {
		dst = appendString(dst, s)
	}
	names := make([]string, 0, len(b.Attrs))
	for n := range b.Attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	dst = binary.AppendUvarint(dst, uint64(len(names)))
	for _, n := range names {
		v := b.Attrs[n]
		dst = appendString(dst, n)
		dst = appendString(dst, ptr.Value(v.DataType))
		switch {
		case v.BinaryValue != nil:
			dst = append(dst, 2)
			dst = appendString(dst, string(v.BinaryValue))
		case v.StringValue != nil:
			dst = append(dst, 1)
			dst = appendString(dst, *v.StringValue)
		default:
			dst = append(dst, 0)
		}
	}
	return dst
}

// decodeBody decodes a body record. The strings it returns are copies.
func decodeBody(raw []byte) (*body, error) {
	r := reader{b: raw}
	if v := r.byte(); v != bodyVersion {
		return nil, fmt.Errorf("%w: body record version %d", errBadRecord, v)
	}
	b := &body{ID: r.string(), SentMs: r.varint()}
	for _, s := range []*string{&b.MD5Body, &b.MD5Attrs, &b.SenderID, &b.GroupID, &b.DedupID, &b.TraceHeader, &b.DLQSource, &b.Body} {
		*s = r.string()
	}
	if n := r.uvarint(); n > 0 && r.err == nil {
		if n > maxMessageAttributes {
			return nil, fmt.Errorf("%w: %d attributes", errBadRecord, n)
		}
		b.Attrs = make(map[string]MessageAttributeValue, n)
		for range n {
			name, dataType := r.string(), r.string()
			v := MessageAttributeValue{DataType: ptr.To(dataType)}
			switch r.byte() {
			case 1:
				v.StringValue = ptr.To(r.string())
			case 2:
				v.BinaryValue = []byte(r.string())
			}
			b.Attrs[name] = v
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return b, nil
}

// appendState appends the encoding of st to dst.
func appendState(dst []byte, st *state) []byte {
	dst = append(dst, stateVersion)
	dst = binary.AppendVarint(dst, st.VisibleAtMs)
	dst = binary.AppendUvarint(dst, uint64(st.ReceiveCount))
	dst = binary.AppendVarint(dst, st.FirstReceiveMs)
	dst = binary.BigEndian.AppendUint64(dst, st.Nonce)
	dst = binary.AppendUvarint(dst, uint64(st.SentSec))
	return appendString(dst, st.GroupID)
}

// decodeState decodes a state record into st. When intern is set, the
// group id comes from it (a start looks groups up without copying the
// id of every message); otherwise it is copied.
func decodeState(raw []byte, st *state, intern func([]byte) string) error {
	r := reader{b: raw}
	if v := r.byte(); v != stateVersion {
		return fmt.Errorf("%w: state record version %d", errBadRecord, v)
	}
	st.VisibleAtMs = r.varint()
	st.ReceiveCount = uint32(r.uvarint())
	st.FirstReceiveMs = r.varint()
	st.Nonce = r.uint64()
	st.SentSec = uint32(r.uvarint())
	group := r.bytes()
	if r.err != nil {
		return r.err
	}
	if intern != nil {
		st.GroupID = intern(group)
	} else {
		st.GroupID = string(group)
	}
	return nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// reader decodes a record; the first error sticks and zero values follow.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated %s", errBadRecord, what)
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail("byte")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uint64() uint64 {
	if len(r.b) < 8 {
		r.fail("nonce")
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// bytes returns the next string's bytes, aliasing the record.
func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail("string")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string { return string(r.bytes()) }

// Storage keys. A queue's keys share the tuple (account, region, name).

func queueStorageKey(k queueKey) []byte { return storage.Key("sqs", "q", k.account, k.region, k.name) }

// statePrefix and bodyPrefix hold a queue's state and body records, by
// sequence number.
func statePrefix(k queueKey) []byte { return storage.Key("sqs", "s", k.account, k.region, k.name) }

func bodyPrefix(k queueKey) []byte { return storage.Key("sqs", "b", k.account, k.region, k.name) }

// legacyPrefix held a queue's messages as one JSON record each, before
// the split into body and state (see migrate.go).
func legacyPrefix(k queueKey) []byte { return storage.Key("sqs", "m", k.account, k.region, k.name) }

// seqKey is prefix followed by seq.
func seqKey(prefix []byte, seq uint64) []byte {
	return storage.AppendUint64(append(make([]byte, 0, len(prefix)+8), prefix...), seq)
}
