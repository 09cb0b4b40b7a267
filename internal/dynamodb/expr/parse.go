package expr

import (
	"errors"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// Names is a request's ExpressionAttributeNames: #placeholder to name.
type Names map[string]string

// Values is a request's ExpressionAttributeValues: :placeholder to value.
type Values map[string]attr.Value

// maxIn is the most operands DynamoDB takes in one expression's IN.
const maxIn = 100

type opKind uint8

const (
	opPath opKind = iota + 1
	opValue
	opFunc
)

// operand is a path, a :value or a function call.
type operand struct {
	kind opKind
	raw  []rawElem // opPath, as written
	path Path      // opPath, resolved
	ph   string    // opValue placeholder
	val  attr.Value
	fn   string // opFunc
	args []*operand
	at   int // token index, for messages
}

// synErr is a syntax error at token index at; parse turns it into
// DynamoDB's message.
type synErr struct{ at int }

func (e *synErr) Error() string { return "syntax error at token " + strconv.Itoa(e.at) }

// sem collects the first semantic error of each kind; DynamoDB reports
// them in the order of first().
type sem struct {
	unknownFn, misused, reserved, undefined, count, distinct, typ, paths error
}

func (s *sem) first() error {
	for _, e := range []error{s.unknownFn, s.misused, s.reserved, s.undefined, s.count, s.distinct, s.typ, s.paths} {
		if e != nil {
			return e
		}
	}
	return nil
}

func setOnce(slot *error, err error) {
	if *slot == nil {
		*slot = err
	}
}

type parser struct {
	src    string
	toks   []token
	i      int
	what   string // "ConditionExpression", "UpdateExpression"…
	names  Names
	values Values
	used   *Usage
	sem    sem
	// parens memoizes parenthesized operands by start token, so that
	// backtracking over nested parentheses stays linear.
	parens map[int]parenMemo
}

type parenMemo struct {
	op  *operand
	end int
	err error
}

func newParser(what, src string, names Names, values Values, used *Usage) *parser {
	return &parser{src: src, toks: lex(src), what: what, names: names, values: values, used: used}
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}
func (p *parser) syntax() error { return &synErr{at: p.i} }

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.syntax()
	}
	p.next()
	return nil
}

// condKeywords cannot start a path in conditions.
func isCondKeyword(t token) bool {
	if t.kind != tIdent {
		return false
	}
	switch strings.ToUpper(t.text) {
	case "AND", "OR", "NOT", "BETWEEN", "IN":
		return true
	}
	return false
}

// finish turns a parse error into DynamoDB's message; syntax errors come
// before semantic ones.
func (p *parser) finish(err error) error {
	var se *synErr
	if errors.As(err, &se) {
		return syntaxError(p.what, p.src, p.toks, se.at)
	}
	if err != nil {
		return err
	}
	return p.sem.first()
}

// furthest returns whichever syntax error got further into the input, as a
// PEG parser reports.
func furthest(a, b error) error {
	var sa, sb *synErr
	if errors.As(a, &sa) && errors.As(b, &sb) && sa.at > sb.at {
		return a
	}
	return b
}

// parseOperand parses a path, :value, function call or parenthesized
// operand.
func (p *parser) parseOperand() (*operand, error) {
	t := p.peek()
	switch {
	case t.kind == tValue:
		p.next()
		return &operand{kind: opValue, ph: t.text, at: p.i - 1}, nil
	case t.kind == tIdent && !isCondKeyword(t) && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "(":
		at := p.i
		p.next()
		p.next()
		args, err := p.parseOperandList()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &operand{kind: opFunc, fn: t.text, args: args, at: at}, nil
	case t.kind == tIdent && !isCondKeyword(t), t.kind == tName:
		return p.parsePath()
	case t.kind == tPunct && t.text == "(":
		start := p.i
		if m, ok := p.parens[start]; ok {
			p.i = m.end
			return m.op, m.err
		}
		p.next()
		op, err := p.parseOperand()
		if err == nil {
			err = p.expectPunct(")")
		}
		if p.parens == nil {
			p.parens = map[int]parenMemo{}
		}
		p.parens[start] = parenMemo{op: op, end: p.i, err: err}
		return op, err
	}
	return nil, p.syntax()
}

func (p *parser) parseOperandList() ([]*operand, error) {
	var ops []*operand
	for {
		op, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
		if !p.isPunct(",") {
			return ops, nil
		}
		p.next()
	}
}

func (p *parser) pathName() (rawElem, error) {
	t := p.peek()
	switch {
	case t.kind == tName:
		p.next()
		return rawElem{text: t.text, isName: true}, nil
	case t.kind == tIdent && !isCondKeyword(t):
		p.next()
		return rawElem{text: t.text}, nil
	}
	return rawElem{}, p.syntax()
}

// parsePath parses a document path: name ( .name | [index] )*.
func (p *parser) parsePath() (*operand, error) {
	op := &operand{kind: opPath, at: p.i}
	e, err := p.pathName()
	if err != nil {
		return nil, err
	}
	op.raw = append(op.raw, e)
	for {
		switch {
		case p.isPunct("."):
			p.next()
			e, err := p.pathName()
			if err != nil {
				return nil, err
			}
			op.raw = append(op.raw, e)
		case p.isPunct("["):
			p.next()
			t := p.peek()
			if t.kind != tNumber {
				return nil, p.syntax()
			}
			n, err := strconv.Atoi(t.text)
			if err != nil {
				return nil, p.syntax()
			}
			p.next()
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
			op.raw = append(op.raw, rawElem{text: t.text, index: n, isIndex: true})
		default:
			return op, nil
		}
	}
}

// resolvePath checks a path's bare names against the reserved words and
// replaces its placeholders, recording their use.
func (p *parser) resolvePath(raw []rawElem) Path {
	path := make(Path, len(raw))
	for i, e := range raw {
		switch {
		case e.isIndex:
			path[i] = PathElem{Index: e.index, IsIndex: true}
		case e.isName:
			name, ok := p.names[e.text]
			if !ok {
				setOnce(&p.sem.undefined, invalid(p.what, msgUndefinedName+e.text))
			}
			p.used.name(e.text)
			path[i] = PathElem{Name: name}
		default:
			if _, ok := reservedWords[strings.ToUpper(e.text)]; ok {
				setOnce(&p.sem.reserved, invalid(p.what, msgReserved+e.text))
			}
			path[i] = PathElem{Name: e.text}
		}
	}
	return path
}

// resolve resolves op's paths and values, not its function's rules.
func (p *parser) resolve(op *operand) {
	switch op.kind {
	case opPath:
		op.path = p.resolvePath(op.raw)
	case opValue:
		v, ok := p.values[op.ph]
		if !ok {
			setOnce(&p.sem.undefined, invalid(p.what, msgUndefinedVal+op.ph))
		}
		p.used.value(op.ph)
		op.val = v
	case opFunc:
		for _, a := range op.args {
			p.resolve(a)
		}
	}
}

func samePath(a, b *operand) bool {
	if a.kind != opPath || b.kind != opPath || len(a.path) != len(b.path) {
		return false
	}
	for i := range a.path {
		if a.path[i] != b.path[i] {
			return false
		}
	}
	return true
}
