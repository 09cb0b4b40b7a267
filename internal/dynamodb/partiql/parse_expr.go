package partiql

import (
	"strconv"
	"strings"
)

// Expressions, loosest first: OR, AND, NOT, comparisons and IS, IN,
// BETWEEN, + and -, unary minus, terms.

func (p *parser) expr() (Expr, error) { return p.or() }

func (p *parser) or() (Expr, error) {
	l, err := p.and()
	for err == nil && p.isKeyword("or") {
		op := p.next()
		if p.atEnd() {
			return nil, malformed(detailInfix)
		}
		var r Expr
		if r, err = p.and(); err == nil {
			l = &Binary{Pos: op.pos, Op: "OR", L: l, R: r}
		}
	}
	return l, err
}

func (p *parser) and() (Expr, error) {
	l, err := p.not()
	for err == nil && p.isKeyword("and") {
		op := p.next()
		if p.atEnd() {
			return nil, malformed(detailInfix)
		}
		var r Expr
		if r, err = p.not(); err == nil {
			l = &Binary{Pos: op.pos, Op: "AND", L: l, R: r}
		}
	}
	return l, err
}

func (p *parser) not() (Expr, error) {
	if p.isKeyword("not") {
		t := p.next()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &Not{Pos: t.pos, X: x}, nil
	}
	return p.predicate()
}

// comparisons maps the comparison tokens to the operators of Binary.
var comparisons = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func (p *parser) predicate() (Expr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if op, ok := comparisons[t.text]; ok && t.kind == tPunct {
		p.next()
		if p.atEnd() {
			return nil, malformed(detailInfix)
		}
		r, err := p.additive()
		if err != nil {
			return nil, err
		}
		return &Binary{Pos: t.pos, Op: op, L: l, R: r}, nil
	}
	if p.isKeyword("is") {
		p.next()
		is := &Is{Pos: t.pos, X: l, Not: p.accept("not")}
		if is.Type, err = p.typeName(); err != nil {
			return nil, err
		}
		return is, nil
	}
	negated := false
	if p.isKeyword("not") {
		if n := p.peekAt(1); n.kind == tKeyword && (n.text == "in" || n.text == "between" || n.text == "like") {
			p.next()
			negated = true
		}
	}
	switch {
	case p.isKeyword("in"):
		p.next()
		set, err := p.inSet()
		if err != nil {
			return nil, err
		}
		return &In{Pos: t.pos, X: l, Set: set, Not: negated}, nil
	case p.isKeyword("between"):
		p.next()
		lo, err := p.additive()
		if err != nil {
			return nil, err
		}
		if !p.accept("and") {
			return nil, malformed(detailToken)
		}
		hi, err := p.additive()
		if err != nil {
			return nil, err
		}
		return &Between{Pos: t.pos, X: l, Lo: lo, Hi: hi, Not: negated}, nil
	case p.isKeyword("like"):
		p.next()
		r, err := p.additive()
		if err != nil {
			return nil, err
		}
		var e Expr = &Binary{Pos: t.pos, Op: "LIKE", L: l, R: r}
		if negated {
			e = &Not{Pos: t.pos, X: e}
		}
		return e, nil
	}
	return l, nil
}

// typeNames are the type names IS takes, by their words; the value is the
// name DynamoDB's messages use.
var typeNames = map[string]string{
	"missing": "MISSING", "null": "NULL", "boolean": "BOOLEAN", "bool": "BOOLEAN", "smallint": "SMALLINT",
	"integer": "INTEGER", "int": "INTEGER", "float": "FLOAT", "real": "REAL", "decimal": "DECIMAL", "dec": "DECIMAL",
	"numeric": "NUMERIC", "timestamp": "TIMESTAMP", "date": "DATE", "time": "TIME", "character": "CHARACTER",
	"char": "CHARACTER", "varchar": "CHARACTER_VARYING", "string": "STRING", "symbol": "SYMBOL", "clob": "CLOB",
	"blob": "BLOB", "struct": "STRUCT", "tuple": "TUPLE", "list": "LIST", "sexp": "SEXP", "bag": "BAG",
}

func (p *parser) typeName() (string, error) {
	t := p.peek()
	word := strings.ToLower(t.text)
	if t.kind != tKeyword && t.kind != tIdent {
		return "", malformed(detailTypeName)
	}
	switch next := p.peekAt(1); {
	case word == "double" && next.kind == tKeyword && next.text == "precision":
		p.next()
		p.next()
		return "DOUBLE_PRECISION", nil
	case word == "character" && next.kind == tKeyword && next.text == "varying":
		p.next()
		p.next()
		return "CHARACTER_VARYING", nil
	}
	name, ok := typeNames[word]
	if !ok {
		return "", malformed(detailTypeName)
	}
	p.next()
	return name, nil
}

// inSet reads what follows IN: (a, b), [a, b] or a parameter.
func (p *parser) inSet() (Expr, error) {
	t := p.peek()
	switch {
	case t.kind == tParam:
		return p.primary()
	case p.isPunct("("):
		p.next()
		l := &List{Pos: t.pos}
		if !p.isPunct(")") {
			elems, err := p.exprList()
			if err != nil {
				return nil, err
			}
			l.Elems = elems
		}
		return l, p.expectPunct(")")
	case p.isPunct("["):
		return p.primary()
	}
	if p.atEnd() {
		return nil, malformed(detailTerm)
	}
	return nil, malformed(detailToken)
}

func (p *parser) exprList() ([]Expr, error) {
	var out []Expr
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.isPunct(",") {
			return out, nil
		}
		p.next()
	}
}

func (p *parser) additive() (Expr, error) {
	l, err := p.unary()
	for err == nil {
		t := p.peek()
		if t.kind != tPunct || !arithmetic[t.text] {
			break
		}
		p.next()
		if p.atEnd() {
			return nil, malformed(detailInfix)
		}
		var r Expr
		if r, err = p.unary(); err == nil {
			l = &Binary{Pos: t.pos, Op: t.text, L: l, R: r}
		}
	}
	return l, err
}

// arithmetic are the infix operators tighter than comparisons. Only + and -
// mean something to DynamoDB; the others parse, to be refused by name.
var arithmetic = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "||": true}

func (p *parser) unary() (Expr, error) {
	if p.isPunct("-") || p.isPunct("+") {
		t := p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Neg{Pos: t.pos, X: x, Plus: t.text == "+"}, nil
	}
	return p.primary()
}

// operatorWords are the keywords that are operators: a term cannot start
// with one.
var operatorWords = map[string]bool{"and": true, "or": true, "is": true, "in": true, "like": true, "between": true, "not": true}

func (p *parser) primary() (Expr, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		p.next()
		return &Literal{Pos: t.pos, Kind: LitString, Text: t.text}, nil
	case tNumber:
		p.next()
		return &Literal{Pos: t.pos, Kind: LitNumber, Text: t.text}, nil
	case tParam:
		p.next()
		p.params++
		return &Param{Pos: t.pos, N: p.params - 1}, nil
	case tIdent, tQuoted:
		if t.kind == tIdent && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "(" {
			return p.call()
		}
		return p.path()
	case tKeyword:
		switch t.text {
		case "true", "false":
			p.next()
			return &Literal{Pos: t.pos, Kind: LitBool, Text: t.text}, nil
		case "null":
			p.next()
			return &Literal{Pos: t.pos, Kind: LitNull, Text: "null"}, nil
		case "missing":
			p.next()
			return &Literal{Pos: t.pos, Kind: LitMissing, Text: "missing"}, nil
		}
		if functionKeywords[t.text] && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "(" {
			return p.call()
		}
		if operatorWords[t.text] {
			return nil, malformed(detailOperator)
		}
		return nil, malformed(detailKeyword)
	case tEOF:
		return nil, malformed(detailTerm)
	}
	switch t.text {
	case "(":
		p.next()
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return e, p.expectPunct(")")
	case "[":
		p.next()
		l := &List{Pos: t.pos}
		if !p.isPunct("]") {
			elems, err := p.exprList()
			if err != nil {
				return nil, err
			}
			l.Elems = elems
		}
		return l, p.expectPunct("]")
	case "<<":
		p.next()
		b := &Bag{Pos: t.pos}
		if !p.isPunct(">>") {
			elems, err := p.exprList()
			if err != nil {
				return nil, err
			}
			b.Elems = elems
		}
		return b, p.expectPunct(">>")
	case "{":
		return p.tuple()
	case ";", ")", "]", "}", ",", ">>":
		return nil, malformed(detailTerm)
	}
	if _, ok := comparisons[t.text]; ok || arithmetic[t.text] {
		return nil, malformed(detailOperator)
	}
	return nil, malformed(detailToken)
}

func (p *parser) tuple() (Expr, error) {
	t := p.next() // {
	tu := &Tuple{Pos: t.pos}
	if p.isPunct("}") {
		p.next()
		return tu, nil
	}
	for {
		k, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(":"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		tu.Fields = append(tu.Fields, Field{Key: k, Value: v})
		if !p.isPunct(",") {
			break
		}
		p.next()
	}
	return tu, p.expectPunct("}")
}

func (p *parser) call() (Expr, error) {
	name := p.next()
	p.next() // (
	c := &Call{Pos: name.pos, Name: strings.ToLower(name.text)}
	if !p.isPunct(")") {
		args, err := p.exprList()
		if err != nil {
			return nil, err
		}
		c.Args = args
	}
	return c, p.expectPunct(")")
}

// path reads name, then .name and [index] steps.
func (p *parser) path() (*Path, error) {
	first := p.next()
	path := &Path{Pos: first.pos, Elems: []PathElem{{Name: first.text}}}
	for {
		switch {
		case p.isPunct("."):
			p.next()
			t := p.peek()
			switch {
			case t.kind == tIdent || t.kind == tQuoted:
				p.next()
				path.Elems = append(path.Elems, PathElem{Name: t.text})
			case t.kind == tPunct && t.text == "*":
				return nil, fail(msgProjectAll)
			default:
				return nil, malformed(detailDotComponent)
			}
		case p.isPunct("["):
			p.next()
			t := p.peek()
			switch {
			case t.kind == tNumber && isIndex(t.text):
				p.next()
				n, err := strconv.Atoi(t.text)
				if err != nil {
					return nil, malformed(detailToken)
				}
				path.Elems = append(path.Elems, PathElem{Index: n, IsIndex: true})
			case t.kind == tPunct && t.text == "*":
				return nil, fail(msgWildcard)
			default:
				return nil, failAt(t.pos, msgPathComponent)
			}
			if err := p.expectPunct("]"); err != nil {
				return nil, err
			}
		default:
			path.Pos.Len = p.toks[p.i-1].pos.Col + p.toks[p.i-1].pos.Len - path.Pos.Col
			if p.toks[p.i-1].pos.Line != path.Pos.Line {
				path.Pos.Len = first.pos.Len
			}
			return path, nil
		}
	}
}

// isIndex reports whether a number literal is a list index: digits only,
// short enough for an int.
func isIndex(s string) bool {
	if len(s) == 0 || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
