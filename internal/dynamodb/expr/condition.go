package expr

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

type nodeOp uint8

const (
	nAnd nodeOp = iota + 1
	nOr
	nNot
	nCmp
	nBetween
	nIn
	nFunc
)

type node struct {
	op   nodeOp
	kids []*node
	cmp  string     // nCmp: = <> < <= > >=
	args []*operand // nCmp, nBetween (x, lo, hi), nIn (x, list…), nFunc (the call)
}

// Condition is a compiled ConditionExpression or FilterExpression. It is
// immutable and safe for concurrent use.
type Condition struct{ root *node }

// ParseCondition compiles a ConditionExpression, resolving its
// placeholders from names and values and recording their use in used
// (which may be nil). Errors are *attr.Error with DynamoDB's message.
func ParseCondition(s string, names Names, values Values, used *Usage) (*Condition, error) {
	return parseCondition("ConditionExpression", s, names, values, used)
}

// ParseFilter compiles a FilterExpression: ParseCondition with the
// messages naming FilterExpression.
func ParseFilter(s string, names Names, values Values, used *Usage) (*Condition, error) {
	return parseCondition("FilterExpression", s, names, values, used)
}

func parseCondition(what, s string, names Names, values Values, used *Usage) (*Condition, error) {
	if strings.TrimSpace(s) == "" {
		return nil, invalid(what, msgEmpty)
	}
	if err := checkSize(what, s); err != nil {
		return nil, err
	}
	p := newParser(what, s, names, values, used)
	n, err := p.parseCondTop()
	if err == nil {
		p.checkNode(n)
	}
	if err := p.finish(err); err != nil {
		return nil, err
	}
	return &Condition{root: n}, nil
}

func (p *parser) parseCondTop() (*node, error) {
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, p.syntax()
	}
	return n, nil
}

func (p *parser) parseOr() (*node, error) {
	l, err := p.parseAnd()
	for err == nil && p.isKeyword("OR") {
		p.next()
		var r *node
		if r, err = p.parseAnd(); err == nil {
			l = &node{op: nOr, kids: []*node{l, r}}
		}
	}
	return l, err
}

func (p *parser) parseAnd() (*node, error) {
	l, err := p.parseNot()
	for err == nil && p.isKeyword("AND") {
		p.next()
		var r *node
		if r, err = p.parseNot(); err == nil {
			l = &node{op: nAnd, kids: []*node{l, r}}
		}
	}
	return l, err
}

func (p *parser) parseNot() (*node, error) {
	if p.isKeyword("NOT") {
		p.next()
		k, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &node{op: nNot, kids: []*node{k}}, nil
	}
	if !p.isPunct("(") {
		return p.parseSimple()
	}
	// "(" starts either a parenthesized operand of a comparison or a
	// parenthesized condition: try the first, then the second.
	save := p.i
	n, err1 := p.parseSimple()
	if err1 == nil {
		return n, nil
	}
	p.i = save + 1
	n, err2 := p.parseOr()
	if err2 == nil {
		if err2 = p.expectPunct(")"); err2 == nil {
			return n, nil
		}
	}
	return nil, furthest(err1, err2)
}

var comparators = map[string]bool{"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

func (p *parser) parseSimple() (*node, error) {
	x, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tPunct && comparators[t.text]:
		p.next()
		y, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		return &node{op: nCmp, cmp: t.text, args: []*operand{x, y}}, nil
	case p.isKeyword("BETWEEN"):
		p.next()
		lo, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.syntax()
		}
		p.next()
		hi, err := p.parseOperand()
		if err != nil {
			return nil, err
		}
		return &node{op: nBetween, args: []*operand{x, lo, hi}}, nil
	case p.isKeyword("IN"):
		p.next()
		if err := p.expectPunct("("); err != nil {
			return nil, err
		}
		list, err := p.parseOperandList()
		if err != nil {
			return nil, err
		}
		if err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &node{op: nIn, args: append([]*operand{x}, list...)}, nil
	case x.kind == opFunc:
		return &node{op: nFunc, args: []*operand{x}}, nil
	}
	return nil, p.syntax()
}

// condFuncs are the condition functions and their operand counts.
var condFuncs = map[string]int{
	"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2,
	"begins_with": 2, "contains": 2, "size": 1,
}

// checkNode applies DynamoDB's semantic rules to a parsed condition.
func (p *parser) checkNode(n *node) {
	switch n.op {
	case nAnd, nOr, nNot:
		for _, k := range n.kids {
			p.checkNode(k)
		}
		return
	case nFunc:
		if f := n.args[0]; f.fn == "size" {
			setOnce(&p.sem.misused, invalid(p.what, msgMisused+f.fn))
		}
		p.checkOperand(n.args[0])
		return
	}
	for _, a := range n.args {
		if a.kind == opFunc && a.fn != "size" {
			if _, known := condFuncs[a.fn]; known {
				setOnce(&p.sem.misused, invalid(p.what, msgMisused+a.fn))
			}
		}
		p.checkOperand(a)
	}
	switch n.op {
	case nCmp:
		if samePath(n.args[0], n.args[1]) {
			setOnce(&p.sem.distinct, invalid(p.what, fmt.Sprintf(msgDistinct, n.cmp, n.args[0].path)))
		}
	case nBetween:
		lo, hi := n.args[1], n.args[2]
		if lo.kind == opValue && hi.kind == opValue && lo.val.Kind() != attr.None && hi.val.Kind() != attr.None {
			if lo.val.Kind() != hi.val.Kind() {
				setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgBetweenTypes, valueText(lo.val), valueText(hi.val))))
			} else if ordered(lo.val) && attr.Compare(lo.val, hi.val) > 0 {
				setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgBetweenOrder, valueText(lo.val), valueText(hi.val))))
			}
		}
	case nIn:
		if len(n.args)-1 > maxIn {
			setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgTooManyIn, len(n.args)-1)))
		}
	}
}

func ordered(v attr.Value) bool {
	k := v.Kind()
	return k == attr.S || k == attr.N || k == attr.B
}

// checkOperand resolves op and checks a condition function's name,
// operand count and operand types.
func (p *parser) checkOperand(op *operand) {
	p.resolve(op)
	if op.kind != opFunc {
		return
	}
	want, ok := condFuncs[op.fn]
	if !ok {
		setOnce(&p.sem.unknownFn, invalid(p.what, msgBadFunction+op.fn))
		return
	}
	for _, a := range op.args {
		if a.kind == opFunc {
			if a.fn != "size" {
				setOnce(&p.sem.misused, invalid(p.what, msgMisused+a.fn))
			}
			p.checkOperand(a)
		}
	}
	if len(op.args) != want {
		setOnce(&p.sem.count, invalid(p.what, fmt.Sprintf(msgOperandCount, op.fn, len(op.args))))
		return
	}
	if want == 2 && samePath(op.args[0], op.args[1]) {
		setOnce(&p.sem.distinct, invalid(p.what, fmt.Sprintf(msgDistinct, op.fn, op.args[0].path)))
	}
	typeErr := func(t string) {
		setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgOperandType, op.fn, t)))
	}
	switch op.fn {
	case "attribute_exists", "attribute_not_exists":
		if op.args[0].kind != opPath {
			setOnce(&p.sem.typ, invalid(p.what, msgNeedsPath+op.fn))
		}
	case "begins_with":
		for _, a := range op.args {
			if t := staticKind(a); t != "" && t != "S" && t != "B" {
				typeErr(t)
				return
			}
		}
	case "attribute_type":
		a := op.args[1]
		if a.kind != opValue {
			typeErr(staticKindOr(a, "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}"))
			return
		}
		if a.val.Kind() == attr.None {
			return // undefined, reported already
		}
		if a.val.Kind() != attr.S {
			typeErr(a.val.Kind().String())
			return
		}
		if !validTypeName(a.val.S()) {
			setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgBadTypeName, a.val.S())))
		}
	case "size":
		switch t := staticKind(op.args[0]); t {
		case "N", "BOOL", "NULL":
			typeErr(t)
		}
	}
}

// staticKind is the type of an operand known at parse time: a value's kind,
// N for size(); "" for paths.
func staticKind(op *operand) string {
	return staticKindOr(op, "")
}

func staticKindOr(op *operand, def string) string {
	switch op.kind {
	case opValue:
		if op.val.Kind() != attr.None {
			return op.val.Kind().String()
		}
	case opFunc:
		if op.fn == "size" {
			return "N"
		}
	}
	return def
}

func validTypeName(s string) bool {
	switch s {
	case "S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M":
		return true
	}
	return false
}

// Eval reports whether item satisfies the condition; a nil item is an
// absent one. Comparisons with a missing attribute or of mismatched types
// are false (<> is true when the attribute is missing), as in DynamoDB;
// the error is reserved for future runtime failures and is always nil today.
func (c *Condition) Eval(item attr.Item) (bool, error) {
	return evalNode(c.root, item), nil
}

func evalNode(n *node, it attr.Item) bool {
	switch n.op {
	case nAnd:
		return evalNode(n.kids[0], it) && evalNode(n.kids[1], it)
	case nOr:
		return evalNode(n.kids[0], it) || evalNode(n.kids[1], it)
	case nNot:
		return !evalNode(n.kids[0], it)
	case nFunc:
		return evalFunc(n.args[0], it)
	case nCmp:
		a, aok := evalOperand(n.args[0], it)
		b, bok := evalOperand(n.args[1], it)
		if !aok || !bok {
			return n.cmp == "<>" && (aok || bok)
		}
		switch n.cmp {
		case "=":
			return attr.Equal(a, b)
		case "<>":
			return !attr.Equal(a, b)
		}
		if a.Kind() != b.Kind() || !ordered(a) {
			return false
		}
		c := attr.Compare(a, b)
		switch n.cmp {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		default:
			return c >= 0
		}
	case nBetween:
		x, ok1 := evalOperand(n.args[0], it)
		lo, ok2 := evalOperand(n.args[1], it)
		hi, ok3 := evalOperand(n.args[2], it)
		if !ok1 || !ok2 || !ok3 || !ordered(x) || x.Kind() != lo.Kind() || x.Kind() != hi.Kind() {
			return false
		}
		return attr.Compare(lo, x) <= 0 && attr.Compare(x, hi) <= 0
	case nIn:
		x, ok := evalOperand(n.args[0], it)
		if !ok {
			return false
		}
		for _, a := range n.args[1:] {
			if v, ok := evalOperand(a, it); ok && attr.Equal(x, v) {
				return true
			}
		}
	}
	return false
}

// evalOperand returns an operand's value in it; false when it has none
// (a missing path, size() of a value without a size).
func evalOperand(op *operand, it attr.Item) (attr.Value, bool) {
	switch op.kind {
	case opValue:
		return op.val, true
	case opPath:
		return get(it, op.path)
	case opFunc:
		if op.fn == "size" {
			v, ok := evalOperand(op.args[0], it)
			if !ok {
				return attr.Value{}, false
			}
			switch v.Kind() {
			case attr.S, attr.B, attr.SS, attr.NS, attr.BS, attr.L, attr.M:
				return attr.Int(int64(v.Len())), true
			}
		}
	}
	return attr.Value{}, false
}

func evalFunc(f *operand, it attr.Item) bool {
	switch f.fn {
	case "attribute_exists":
		_, ok := evalOperand(f.args[0], it)
		return ok
	case "attribute_not_exists":
		_, ok := evalOperand(f.args[0], it)
		return !ok
	}
	a, aok := evalOperand(f.args[0], it)
	b, bok := evalOperand(f.args[1], it)
	if !aok || !bok {
		return false
	}
	switch f.fn {
	case "attribute_type":
		return a.Kind().String() == b.S()
	case "begins_with":
		switch {
		case a.Kind() == attr.S && b.Kind() == attr.S:
			return strings.HasPrefix(a.S(), b.S())
		case a.Kind() == attr.B && b.Kind() == attr.B:
			return bytes.HasPrefix(a.B(), b.B())
		}
	case "contains":
		switch a.Kind() {
		case attr.S:
			return b.Kind() == attr.S && strings.Contains(a.S(), b.S())
		case attr.B:
			return b.Kind() == attr.B && bytes.Contains(a.B(), b.B())
		case attr.SS, attr.NS, attr.BS:
			return a.Contains(b)
		case attr.L:
			for _, e := range a.L() {
				if attr.Equal(e, b) {
					return true
				}
			}
		}
	}
	return false
}

// Attributes returns the top-level attribute names the condition reads, in
// the order written, each once: what Query checks against the key.
func (c *Condition) Attributes() []string {
	var out []string
	seen := map[string]bool{}
	var walkOperand func(op *operand)
	walkOperand = func(op *operand) {
		if op == nil {
			return
		}
		if op.kind == opPath && len(op.path) > 0 && !seen[op.path[0].Name] {
			seen[op.path[0].Name] = true
			out = append(out, op.path[0].Name)
		}
		for _, a := range op.args {
			walkOperand(a)
		}
	}
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		for _, a := range n.args {
			walkOperand(a)
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(c.root)
	return out
}
