package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Pattern is a compiled event pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	root *object
}

// Error is a pattern that AWS would refuse. Message is AWS's reason, such as
// "Empty arrays are not allowed"; services put it into their own error
// (InvalidEventPatternException, InvalidParameterException, ...).
type Error struct {
	Message string
}

// Error returns the message prefixed with the package name.
func (e *Error) Error() string { return "eventpattern: " + e.Message }

// object is a pattern object: every field and every "$or" must match.
type object struct {
	fields []*field
	ors    [][]*object // each "$or" lists alternatives matched against the same object
}

// field is one key of a pattern object. A key can carry both a value list
// and a nested pattern when the JSON repeats it that way; both must match.
type field struct {
	name string
	leaf *leafRule // nil when the key only has a nested object
	sub  *object   // nil when the key only has a value list
}

// leafRule is a value list: it matches when any entry matches.
type leafRule struct {
	conds       []condition
	existsTrue  bool // {"exists": true}: some value is present
	existsFalse bool // {"exists": false}: no value is present
}

// reservedInOr are the key names Event Ruler refuses inside "$or" branches.
var reservedInOr = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true,
	"anything-but": true, "exists": true, "wildcard": true, "numeric": true,
	"cidr": true, "html": true, "=": true, "<": true, "<=": true, ">": true,
	">=": true, "regex": true, "not-wildcard": true, "not-equals-ignore-case": true,
	"date-after": true, "date-on-or-after": true, "date-before": true,
	"date-on-or-before": true, "in-date-range": true, "ip-address-in-range": true,
	"ip-address-not-in-range": true,
}

// Compile parses and validates a JSON event pattern. A refused pattern gives
// an *Error with AWS's message; invalid JSON gives one too, with Go's
// description of the syntax error.
func Compile(pattern []byte) (*Pattern, error) {
	c := compiler{dec: newDecoder(pattern), orEnabled: true}
	root, err := c.compile()
	if err != nil && c.sawOr {
		// Like AWS, fall back to reading "$or" as an ordinary key: rules
		// written before "$or" existed may use it as a field name.
		legacy := compiler{dec: newDecoder(pattern)}
		if root, lerr := legacy.compile(); lerr == nil {
			return &Pattern{root: root}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return &Pattern{root: root}, nil
}

func newDecoder(b []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec
}

// compiler reads a pattern token by token, in the order AWS's parser does,
// so that the first problem found is the one AWS reports.
type compiler struct {
	dec       *json.Decoder
	orEnabled bool // treat "$or" as the OR operator
	sawOr     bool
}

func (c *compiler) compile() (*object, error) {
	tok, err := c.next()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errorf("Filter is not an object")
	}
	root := &object{}
	if err := c.parseObject(root, false); err != nil {
		return nil, err
	}
	if _, err := c.dec.Token(); err != io.EOF {
		return nil, errorf("Invalid JSON: unexpected data after the pattern object")
	}
	return root, nil
}

// next returns the next token; a syntax error becomes an *Error.
func (c *compiler) next() (json.Token, error) {
	tok, err := c.dec.Token()
	if err == nil {
		return tok, nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, errorf("Invalid JSON: unexpected end of input")
	}
	return nil, errorf("Invalid JSON: %v", err)
}

// expect reads the next token and refuses it with msg unless it is want.
func (c *compiler) expect(want json.Delim, msg string) error {
	tok, err := c.next()
	if err != nil {
		return err
	}
	if tok != want {
		return errorf("%s", msg)
	}
	return nil
}

// parseObject reads the fields of an object whose '{' has been read.
func (c *compiler) parseObject(obj *object, inOr bool) error {
	empty := true
	for {
		tok, err := c.next()
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			break
		}
		empty = false
		name := tok.(string) // object keys are always strings
		if name == "$or" {
			c.sawOr = true
			if c.orEnabled {
				if err := c.parseOr(obj); err != nil {
					return err
				}
				continue
			}
		}
		if inOr && reservedInOr[name] {
			return errorf("%s is Ruler reserved fieldName which cannot be used inside $or.", name)
		}
		if tok, err = c.next(); err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			if err := c.parseObject(obj.field(name).nested(), inOr); err != nil {
				return err
			}
		case json.Delim('['):
			rule, err := c.parseValues()
			if err != nil {
				return err
			}
			obj.field(name).leaf = rule // a repeated key replaces the earlier list, as in AWS
		default:
			return errorf("\"%s\" must be an object or an array", name)
		}
	}
	if empty {
		return errorf("Empty objects are not allowed")
	}
	return nil
}

// parseOr reads the value of a "$or" key: an array of at least two objects.
func (c *compiler) parseOr(obj *object) error {
	if err := c.expect('[', "It must be an Array followed with $or."); err != nil {
		return err
	}
	var alts []*object
	for {
		tok, err := c.next()
		if err != nil {
			return err
		}
		if tok == json.Delim(']') {
			break
		}
		if tok != json.Delim('{') {
			return errorf("Only JSON object is allowed in array of $or relationship.")
		}
		alt := &object{}
		if err := c.parseObject(alt, true); err != nil {
			return err
		}
		alts = append(alts, alt)
	}
	if len(alts) < 2 {
		return errorf("There must have at least 2 Objects in $or relationship.")
	}
	obj.ors = append(obj.ors, alts)
	return nil
}

// parseValues reads a value list whose '[' has been read.
func (c *compiler) parseValues() (*leafRule, error) {
	rule := &leafRule{}
	n := 0
	for ; ; n++ {
		tok, err := c.next()
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == ']' {
				if n == 0 {
					return nil, errorf("Empty arrays are not allowed")
				}
				return rule, nil
			}
			if v != '{' {
				return nil, errorf("Match value must be String, number, true, false, or null")
			}
			if err := c.parseOperator(rule); err != nil {
				return nil, err
			}
		case string:
			rule.conds = append(rule.conds, newEqualString(v))
		case json.Number:
			rule.conds = append(rule.conds, newEqualNumber(v.String()))
		case bool:
			rule.conds = append(rule.conds, equalLiteral(fmt.Sprint(v)))
		case nil:
			rule.conds = append(rule.conds, equalLiteral("null"))
		}
	}
}

// field returns the field called name, adding it if needed.
func (o *object) field(name string) *field {
	for _, f := range o.fields {
		if f.name == name {
			return f
		}
	}
	f := &field{name: name}
	o.fields = append(o.fields, f)
	return f
}

// nested returns the field's nested pattern; a repeated key merges into it.
func (f *field) nested() *object {
	if f.sub == nil {
		f.sub = &object{}
	}
	return f.sub
}
