package logs

import (
	"encoding/json"
	"strconv"
	"strings"
)

// JSON patterns: { $.a.b[0] = "x" && ($.n > 5 || $.f IS TRUE) }.

type jsonExpr interface {
	eval(doc any) bool
}

type jsonAnd struct{ l, r jsonExpr }
type jsonOr struct{ l, r jsonExpr }

func (e jsonAnd) eval(doc any) bool { return e.l.eval(doc) && e.r.eval(doc) }
func (e jsonOr) eval(doc any) bool  { return e.l.eval(doc) || e.r.eval(doc) }

// pathStep is one step of a selector: a member name, an array index, or a
// wildcard (index -1) over all members or elements.
type pathStep struct {
	name  string
	index int
	isIdx bool
}

type jsonCond struct {
	path []pathStep
	// kind is "cmp", "null", "true", "false" or "notexists".
	kind string
	op   string
	val  value
}

func (c jsonCond) eval(doc any) bool {
	vals := resolve(doc, c.path, nil)
	if c.kind == "notexists" {
		return len(vals) == 0
	}
	for _, v := range vals {
		if c.test(v) {
			return true
		}
	}
	return false
}

func (c jsonCond) test(v any) bool {
	switch c.kind {
	case "null":
		return v == nil
	case "true":
		return v == true
	case "false":
		return v == false
	}
	switch x := v.(type) {
	case float64:
		return c.val.isNum && !c.val.quoted && compareNumber(c.op, x, c.val.num)
	case string:
		if c.val.isNum && !c.val.quoted && c.op != "=" && c.op != "!=" {
			return false
		}
		return compareString(c.op, x, c.val.str)
	}
	return false
}

// resolve returns the values path selects in doc.
func resolve(doc any, path []pathStep, out []any) []any {
	if len(path) == 0 {
		return append(out, doc)
	}
	step, rest := path[0], path[1:]
	switch x := doc.(type) {
	case map[string]any:
		if step.isIdx {
			return out
		}
		if step.name == "*" {
			for _, v := range x {
				out = resolve(v, rest, out)
			}
			return out
		}
		if v, ok := x[step.name]; ok {
			out = resolve(v, rest, out)
		}
	case []any:
		if !step.isIdx {
			return out
		}
		if step.index < 0 {
			for _, v := range x {
				out = resolve(v, rest, out)
			}
			return out
		}
		if step.index < len(x) {
			out = resolve(x[step.index], rest, out)
		}
	}
	return out
}

type jsonPattern struct{ expr jsonExpr }

func (p *jsonPattern) Match(message string) bool {
	var doc any
	if err := json.Unmarshal([]byte(message), &doc); err != nil {
		return false
	}
	return p.expr.eval(doc)
}

type jsonParser struct {
	toks  []token
	pos   int
	depth int
}

func parseJSONPattern(s string) (filterPattern, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &jsonParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, badPattern("unexpected %q", t.text)
	}
	return &jsonPattern{expr: e}, nil
}

func (p *jsonParser) peek() token { return p.toks[p.pos] }

func (p *jsonParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *jsonParser) or() (jsonExpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tokOr {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = jsonOr{l, r}
	}
	return l, nil
}

func (p *jsonParser) and() (jsonExpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tokAnd {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = jsonAnd{l, r}
	}
	return l, nil
}

// maxDepth bounds parenthesis nesting, so a hostile pattern cannot exhaust
// the stack.
const maxDepth = 64

func (p *jsonParser) unary() (jsonExpr, error) {
	if p.peek().kind != tokLParen {
		return p.cond()
	}
	p.next()
	if p.depth++; p.depth > maxDepth {
		return nil, badPattern("parentheses nested too deeply")
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	p.depth--
	if t := p.next(); t.kind != tokRParen {
		return nil, badPattern("expected ), got %q", t.text)
	}
	return e, nil
}

func (p *jsonParser) cond() (jsonExpr, error) {
	sel := p.next()
	if sel.kind != tokWord || !strings.HasPrefix(sel.text, "$") {
		return nil, badPattern("expected a selector starting with $, got %q", sel.text)
	}
	path, err := parseSelector(sel.text)
	if err != nil {
		return nil, err
	}
	c := jsonCond{path: path, kind: "cmp"}
	switch t := p.next(); {
	case t.kind == tokOp:
		if c.val, err = parseValue(p.next()); err != nil {
			return nil, err
		}
		c.op = t.text
		if err := checkOp(c.op, c.val); err != nil {
			return nil, err
		}
	case t.kind == tokWord && strings.EqualFold(t.text, "IS"):
		switch k := p.next(); strings.ToUpper(k.text) {
		case "NULL":
			c.kind = "null"
		case "TRUE":
			c.kind = "true"
		case "FALSE":
			c.kind = "false"
		default:
			return nil, badPattern("expected NULL, TRUE or FALSE after IS, got %q", k.text)
		}
	case t.kind == tokWord && strings.EqualFold(t.text, "NOT"):
		if k := p.next(); !strings.EqualFold(k.text, "EXISTS") {
			return nil, badPattern("expected EXISTS after NOT, got %q", k.text)
		}
		c.kind = "notexists"
	default:
		return nil, badPattern("expected an operator after %s", sel.text)
	}
	return c, nil
}

// parseSelector parses `$.a.b[0].c[*]`.
func parseSelector(s string) ([]pathStep, error) {
	var path []pathStep
	s = s[1:] // $
	for s != "" {
		switch s[0] {
		case '.':
			j := 1
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == 1 {
				return nil, badPattern("empty member name in selector")
			}
			path = append(path, pathStep{name: s[1:j]})
			s = s[j:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, badPattern("unterminated [ in selector")
			}
			idx := s[1:end]
			step := pathStep{isIdx: true, index: -1}
			if idx != "*" {
				n, err := strconv.Atoi(idx)
				if err != nil || n < 0 {
					return nil, badPattern("bad array index %q", idx)
				}
				step.index = n
			}
			path = append(path, step)
			s = s[end+1:]
		default:
			return nil, badPattern("unexpected %q in selector", s)
		}
	}
	return path, nil
}
