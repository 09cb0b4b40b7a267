package attr

import (
	"encoding/base64"
	"math/bits"
	"sync"
)

// MaxDepth is how deeply DynamoDB nests values: an attribute's value is at
// level 1, the elements of an L or M at level 1 are at level 2, and so on;
// a value below level MaxDepth is refused.
const MaxDepth = 32

// maxSkipDepth bounds the nesting of JSON members this package ignores
// (unknown members of an AttributeValue), as encoding/json bounds its own.
const maxSkipDepth = 10000

// ParseValue decodes one AttributeValue from DynamoDB's JSON, validating it
// as DynamoDB validates a request's values: errors are *Error (answered as
// ValidationException) or *SyntaxError (SerializationException). data is
// not retained. The value is at nesting level 1.
func ParseValue(data []byte) (Value, error) {
	d := newDecoder(data)
	defer d.release()
	v, err := d.value(1)
	if err != nil {
		return Value{}, err
	}
	if err := d.end(); err != nil {
		return Value{}, err
	}
	return v, nil
}

// ParseItem decodes an item (a JSON object of attribute name to
// AttributeValue) as ParseValue decodes values. JSON null decodes to a nil
// Item. A member whose value is JSON null is left out, as DynamoDB treats
// null members as absent.
func ParseItem(data []byte) (Item, error) {
	d := newDecoder(data)
	defer d.release()
	d.skipWS()
	if d.literal("null") {
		return nil, d.end()
	}
	it, err := d.members(1)
	if err != nil {
		return nil, err
	}
	return it, d.end()
}

// UnmarshalJSON implements json.Unmarshaler with ParseValue. JSON null
// leaves v unchanged.
func (v *Value) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	nv, err := ParseValue(data)
	if err != nil {
		return err
	}
	*v = nv
	return nil
}

// UnmarshalJSON implements json.Unmarshaler with ParseItem.
func (it *Item) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	nit, err := ParseItem(data)
	if err != nil {
		return err
	}
	*it = nit
	return nil
}

// decoder reads DynamoDB's JSON from data. buf is scratch for strings with
// escapes, bin for decoded base64.
type decoder struct {
	data  []byte
	pos   int
	buf   []byte
	bin   []byte
	pairs []pair  // M members being decoded, innermost last
	elems []Value // L elements being decoded, innermost last
	strs  []string
}

// decoders keeps decoders' scratch space between calls.
var decoders = sync.Pool{New: func() any { return new(decoder) }}

func newDecoder(data []byte) *decoder {
	d := decoders.Get().(*decoder)
	d.data, d.pos = data, 0
	return d
}

// release returns d to the pool, keeping its scratch space unless it grew
// large, and none of the data it decoded.
func (d *decoder) release() {
	const keep = 64 << 10
	d.data = nil
	if cap(d.buf)+cap(d.bin) > keep || cap(d.pairs) > keep/64 || cap(d.elems) > keep/64 || cap(d.strs) > keep/16 {
		return
	}
	clear(d.strs[:cap(d.strs)])
	d.buf, d.bin, d.strs = d.buf[:0], d.bin[:0], d.strs[:0]
	decoders.Put(d)
}

type pair struct {
	name string
	v    Value
}

func (d *decoder) syntax(msg string) error { return &SyntaxError{Message: msg, Offset: d.pos} }

func (d *decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// end checks that only white space follows the value.
func (d *decoder) end() error {
	d.skipWS()
	if d.pos != len(d.data) {
		return d.syntax("invalid character after top-level value")
	}
	return nil
}

// next returns the byte at the current position after white space, or 0
// at the end of the input.
func (d *decoder) next() byte {
	d.skipWS()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

func (d *decoder) consume(c byte) bool {
	if d.next() == c {
		d.pos++
		return true
	}
	return false
}

// literal consumes word (true, false, null) if it is next.
func (d *decoder) literal(word string) bool {
	if len(d.data)-d.pos >= len(word) && string(d.data[d.pos:d.pos+len(word)]) == word {
		d.pos += len(word)
		return true
	}
	return false
}

// wrongType is the SerializationException for the token at the current
// position where a value of type want ("String", "Boolean") belongs.
func (d *decoder) wrongType(want string) error {
	switch c := d.next(); {
	case c == 0:
		return d.syntax("unexpected end of JSON input")
	case c == '{':
		return d.syntax(synObject)
	case c == '[':
		return d.syntax(synList)
	case c == '"':
		return d.syntax("STRING_VALUE cannot be converted to " + want)
	case c == 't' || c == 'f':
		return d.syntax("BOOLEAN_VALUE cannot be converted to " + want)
	case c == 'n':
		return d.syntax("NULL_VALUE cannot be converted to " + want)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.syntax("NUMBER_VALUE cannot be converted to " + want)
	}
	return d.syntax("invalid character looking for beginning of value")
}

// value decodes an AttributeValue at nesting level level.
func (d *decoder) value(level int) (Value, error) {
	if d.next() != '{' {
		if d.pos < len(d.data) && d.data[d.pos] == '[' {
			return Value{}, d.syntax(synList)
		}
		return Value{}, d.wrongType("AttributeValue")
	}
	if level > MaxDepth {
		return Value{}, validationError(msgNesting)
	}
	d.pos++
	var (
		v     Value
		kinds uint16 // bit k set: kind k was given
	)
	if !d.consume('}') {
		for {
			key, err := d.stringBytes()
			if err != nil {
				return Value{}, err
			}
			k := kindOf(key)
			if !d.consume(':') {
				return Value{}, d.syntax("expected ':' after object key")
			}
			if d.next() == 'n' && d.literal("null") {
				k = None // a null member is an absent member
			} else if err := d.member(&v, k, level); err != nil {
				return Value{}, err
			}
			if k != None {
				kinds |= 1 << k
			}
			if d.consume(',') {
				continue
			}
			if d.consume('}') {
				break
			}
			return Value{}, d.syntax("expected ',' or '}' after object member")
		}
	}
	switch bits.OnesCount16(kinds) {
	case 0:
		return Value{}, validationError(msgEmptyValue)
	case 1:
		return v, nil
	}
	return Value{}, validationError(msgMultipleTypes)
}

// kindOf returns the kind an AttributeValue member names, None for a member
// DynamoDB does not know (which it ignores).
func kindOf(key []byte) Kind {
	switch string(key) {
	case "S":
		return S
	case "N":
		return N
	case "B":
		return B
	case "SS":
		return SS
	case "NS":
		return NS
	case "BS":
		return BS
	case "M":
		return M
	case "L":
		return L
	case "BOOL":
		return BOOL
	case "NULL":
		return NULL
	}
	return None
}

// member decodes the JSON value of the member of kind k into v, checking
// it as DynamoDB does.
func (d *decoder) member(v *Value, k Kind, level int) error {
	var err error
	switch k {
	case S:
		*v = Value{kind: S}
		v.s, err = d.str()
	case N:
		var raw []byte
		if raw, err = d.stringBytes(); err != nil {
			return err
		}
		*v = Value{kind: N}
		v.s, err = canonicalNumber(raw)
	case B:
		*v = Value{kind: B}
		v.s, err = d.binary()
	case BOOL:
		*v = Value{kind: BOOL}
		v.b, err = d.boolean()
	case NULL:
		var b bool
		if b, err = d.boolean(); err != nil {
			return err
		}
		if !b {
			return validationError(msgNullFalse)
		}
		*v = Null()
	case SS, NS, BS:
		var set []string
		if set, err = d.set(k); err != nil {
			return err
		}
		*v = Value{kind: k, x: set}
	case L:
		var list []Value
		if list, err = d.list(level + 1); err != nil {
			return err
		}
		*v = Value{kind: L, x: list}
	case M:
		if d.next() != '{' {
			return d.wrongType("Map")
		}
		var m Item
		if m, err = d.members(level + 1); err != nil {
			return err
		}
		*v = Value{kind: M, x: m}
	default:
		err = d.skip(0)
	}
	return err
}

// members decodes a JSON object of name to AttributeValue, the values at
// nesting level level. Members collect on d.pairs first so the map is made
// once at its final size.
func (d *decoder) members(level int) (Item, error) {
	if !d.consume('{') {
		return nil, d.wrongType("Map")
	}
	base := len(d.pairs)
	defer func() {
		clear(d.pairs[base:]) // hold no references while pooled
		d.pairs = d.pairs[:base]
	}()
	if !d.consume('}') {
		for {
			name, err := d.str()
			if err != nil {
				return nil, err
			}
			if !d.consume(':') {
				return nil, d.syntax("expected ':' after object key")
			}
			var v Value // None: a null member, which removes the name
			if d.next() != 'n' || !d.literal("null") {
				if v, err = d.value(level); err != nil {
					return nil, err
				}
			}
			d.pairs = append(d.pairs, pair{name, v})
			if d.consume(',') {
				continue
			}
			if d.consume('}') {
				break
			}
			return nil, d.syntax("expected ',' or '}' after object member")
		}
	}
	it := make(Item, len(d.pairs)-base)
	for _, p := range d.pairs[base:] {
		if p.v.kind == None {
			delete(it, p.name)
		} else {
			it[p.name] = p.v
		}
	}
	return it, nil
}

// list decodes a JSON array of AttributeValue at nesting level level,
// collecting on d.elems so the slice is made once.
func (d *decoder) list(level int) ([]Value, error) {
	if !d.consume('[') {
		return nil, d.wrongType("List")
	}
	base := len(d.elems)
	defer func() {
		clear(d.elems[base:])
		d.elems = d.elems[:base]
	}()
	if !d.consume(']') {
		for {
			v, err := d.value(level)
			if err != nil {
				return nil, err
			}
			d.elems = append(d.elems, v)
			if d.consume(',') {
				continue
			}
			if d.consume(']') {
				break
			}
			return nil, d.syntax("expected ',' or ']' after array element")
		}
	}
	return append([]Value{}, d.elems[base:]...), nil
}

// set decodes the JSON array of strings of an SS, NS or BS and checks it
// as DynamoDB does: not empty, numbers valid (NS), no member twice. NS
// members come back normalized and BS members decoded.
func (d *decoder) set(k Kind) ([]string, error) {
	if !d.consume('[') {
		return nil, d.wrongType("List")
	}
	d.strs = d.strs[:0]
	if !d.consume(']') {
		for {
			s, err := d.str()
			if err != nil {
				return nil, err
			}
			d.strs = append(d.strs, s)
			if d.consume(',') {
				continue
			}
			if d.consume(']') {
				break
			}
			return nil, d.syntax("expected ',' or ']' after array element")
		}
	}
	if len(d.strs) == 0 {
		return nil, checkSet(k, nil, nil)
	}
	set := append([]string(nil), d.strs...)
	var sent []string
	switch k {
	case NS:
		for i, s := range set {
			n, err := canonicalNumber(s)
			if err != nil {
				return nil, err
			}
			set[i] = n
		}
	case BS:
		sent = set
		set = make([]string, len(sent))
		for i, s := range sent {
			b, err := base64.StdEncoding.AppendDecode(d.bin[:0], []byte(s))
			if err != nil {
				return nil, d.syntax(synBase64)
			}
			d.bin = b
			set[i] = string(b)
		}
	}
	if err := checkSet(k, set, sent); err != nil {
		return nil, err
	}
	return set, nil
}

// boolean decodes true or false.
func (d *decoder) boolean() (bool, error) {
	switch d.next() {
	case 't':
		if d.literal("true") {
			return true, nil
		}
	case 'f':
		if d.literal("false") {
			return false, nil
		}
	}
	return false, d.wrongType("Boolean")
}

// binary decodes a base64 JSON string to its bytes.
func (d *decoder) binary() (string, error) {
	raw, err := d.stringBytes()
	if err != nil {
		return "", err
	}
	b, err := base64.StdEncoding.AppendDecode(d.bin[:0], raw)
	if err != nil {
		return "", d.syntax(synBase64)
	}
	d.bin = b
	return string(b), nil
}

// str decodes a JSON string.
func (d *decoder) str() (string, error) {
	b, err := d.stringBytes()
	return string(b), err
}
