package expr

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

type setAction struct {
	target *operand
	value  *operand // the value, or the left operand of + and -
	arith  string   // "+", "-" or ""
	right  *operand
}

type valueAction struct {
	target *operand
	value  *operand
}

// Update is a compiled UpdateExpression. It is immutable and safe for
// concurrent use.
type Update struct {
	sets    []setAction
	removes []*operand
	adds    []valueAction
	deletes []valueAction
	targets []*operand // every action's path, in the order written
}

// ParseUpdate compiles an UpdateExpression: SET, REMOVE, ADD and DELETE
// clauses, each at most once, in any order. It refuses what DynamoDB
// refuses before reading the item: syntax, reserved words, undefined
// placeholders, unknown functions, operand counts, operand types known from
// the values, and overlapping or conflicting paths. Errors are *attr.Error.
func ParseUpdate(s string, names Names, values Values, used *Usage) (*Update, error) {
	const what = "UpdateExpression"
	if strings.TrimSpace(s) == "" {
		return nil, invalid(what, msgEmpty)
	}
	if err := checkSize(what, s); err != nil {
		return nil, err
	}
	p := newParser(what, s, names, values, used)
	u, err := p.parseUpdate()
	if err == nil {
		err = p.checkUpdate(u)
	}
	if err := p.finish(err); err != nil {
		return nil, err
	}
	return u, nil
}

func (p *parser) parseUpdate() (*Update, error) {
	u := &Update{}
	seen := map[string]bool{}
	for p.peek().kind != tEOF {
		t := p.peek()
		kw := strings.ToUpper(t.text)
		if t.kind != tIdent || (kw != "SET" && kw != "REMOVE" && kw != "ADD" && kw != "DELETE") {
			return nil, p.syntax()
		}
		if seen[kw] {
			return nil, invalid(p.what, fmt.Sprintf(msgSectionTwice, kw))
		}
		seen[kw] = true
		p.next()
		for {
			var err error
			switch kw {
			case "SET":
				err = p.parseSetAction(u)
			case "REMOVE":
				var op *operand
				if op, err = p.parsePath(); err == nil {
					u.removes = append(u.removes, op)
					u.targets = append(u.targets, op)
				}
			default:
				var a valueAction
				if a.target, err = p.parsePath(); err == nil {
					if p.peek().kind != tValue {
						return nil, p.syntax()
					}
					a.value, _ = p.parseOperand()
					u.targets = append(u.targets, a.target)
					if kw == "ADD" {
						u.adds = append(u.adds, a)
					} else {
						u.deletes = append(u.deletes, a)
					}
				}
			}
			if err != nil {
				return nil, err
			}
			if !p.isPunct(",") {
				break
			}
			p.next()
		}
	}
	return u, nil
}

func (p *parser) parseSetAction(u *Update) error {
	target, err := p.parsePath()
	if err != nil {
		return err
	}
	if err := p.expectPunct("="); err != nil {
		return err
	}
	a := setAction{target: target}
	if a.value, err = p.parseSetOperand(); err != nil {
		return err
	}
	if p.isPunct("+") || p.isPunct("-") {
		a.arith = p.next().text
		if a.right, err = p.parseSetOperand(); err != nil {
			return err
		}
	}
	u.sets = append(u.sets, a)
	u.targets = append(u.targets, target)
	return nil
}

// parseSetOperand parses a path, :value or function call (no parentheses).
func (p *parser) parseSetOperand() (*operand, error) {
	if p.isPunct("(") {
		return nil, p.syntax()
	}
	return p.parseOperand()
}

var updateFuncs = map[string]int{"if_not_exists": 2, "list_append": 2}

// longKind names a kind as the ADD and DELETE messages do.
func longKind(k attr.Kind) string {
	switch k {
	case attr.S:
		return "STRING"
	case attr.N:
		return "NUMBER"
	case attr.B:
		return "BINARY"
	case attr.BOOL:
		return "BOOLEAN"
	case attr.NULL:
		return "NULL"
	case attr.M:
		return "MAP"
	case attr.L:
		return "LIST"
	}
	return k.String()
}

func (p *parser) checkUpdate(u *Update) error {
	addTarget := func(op *operand) { p.resolve(op) }
	for _, a := range u.sets {
		addTarget(a.target)
		p.checkSetOperand(a.value)
		if a.right != nil {
			p.checkSetOperand(a.right)
			for _, o := range []*operand{a.value, a.right} {
				if o.kind == opValue && o.val.Kind() != attr.None && o.val.Kind() != attr.N {
					setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgOperandType, a.arith, o.val.Kind())))
				}
			}
		}
	}
	for _, op := range u.removes {
		addTarget(op)
	}
	for _, a := range u.adds {
		addTarget(a.target)
		p.resolve(a.value)
		switch k := a.value.val.Kind(); k {
		case attr.None, attr.N, attr.SS, attr.NS, attr.BS:
		default:
			setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgActionType, "ADD", longKind(k))))
		}
	}
	for _, a := range u.deletes {
		addTarget(a.target)
		p.resolve(a.value)
		switch k := a.value.val.Kind(); k {
		case attr.None, attr.SS, attr.NS, attr.BS:
		default:
			setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgActionType, "DELETE", longKind(k))))
		}
	}
	if err := p.sem.first(); err != nil {
		return err
	}
	targets := make([]Path, len(u.targets))
	for i, op := range u.targets {
		targets[i] = op.path
	}
	return checkPaths(p.what, targets)
}

func (p *parser) checkSetOperand(op *operand) {
	p.resolve(op)
	if op.kind != opFunc {
		return
	}
	want, ok := updateFuncs[op.fn]
	if !ok {
		setOnce(&p.sem.unknownFn, invalid(p.what, msgBadFunction+op.fn))
		return
	}
	for _, a := range op.args {
		p.checkSetOperand(a)
	}
	if len(op.args) != want {
		setOnce(&p.sem.count, invalid(p.what, fmt.Sprintf(msgOperandCount, op.fn, len(op.args))))
		return
	}
	switch op.fn {
	case "if_not_exists":
		if op.args[0].kind != opPath {
			setOnce(&p.sem.typ, invalid(p.what, msgNeedsPath+op.fn))
		}
	case "list_append":
		for _, a := range op.args {
			if a.kind == opValue && a.val.Kind() != attr.None && a.val.Kind() != attr.L {
				setOnce(&p.sem.typ, invalid(p.what, fmt.Sprintf(msgOperandType, op.fn, a.val.Kind())))
			}
		}
	}
}

// Apply returns the item the update makes of item (nil for an absent item);
// item itself is not modified. The values of SET are computed from item
// before any action runs; then SET, REMOVE, ADD and DELETE run in that
// order. Errors are *attr.Error with DynamoDB's messages: an operand path
// missing from the item, a path whose parent is missing or of the wrong
// type, operands of the wrong type, number overflow.
func (u *Update) Apply(item attr.Item) (attr.Item, error) {
	vals := make([]attr.Value, len(u.sets))
	for i, a := range u.sets {
		v, err := evalSet(a.value, item)
		if err != nil {
			return nil, err
		}
		if a.right != nil {
			r, err := evalSet(a.right, item)
			if err != nil {
				return nil, err
			}
			if a.arith == "+" {
				v, err = attr.Add(v, r)
			} else {
				v, err = attr.Sub(v, r)
			}
			if err != nil {
				return nil, err
			}
		}
		vals[i] = v
	}
	out := maps.Clone(item)
	if out == nil {
		out = attr.Item{}
	}
	for i, a := range u.sets {
		if err := setPath(out, a.target.path, vals[i]); err != nil {
			return nil, err
		}
	}
	// Remove list elements from the highest index down, so that all indexes
	// refer to the list as it was.
	removes := slices.Clone(u.removes)
	slices.SortStableFunc(removes, func(a, b *operand) int { return -comparePaths(a.path, b.path) })
	for _, op := range removes {
		if err := removePath(out, op.path); err != nil {
			return nil, err
		}
	}
	for _, a := range u.adds {
		old, ok := get(out, a.target.path)
		v := a.value.val
		if ok {
			var err error
			if old.Kind() == attr.N {
				v, err = attr.Add(old, v)
			} else {
				v, err = attr.Union(old, v)
			}
			if err != nil {
				return nil, err
			}
		}
		if err := setPath(out, a.target.path, v); err != nil {
			return nil, err
		}
	}
	for _, a := range u.deletes {
		old, ok := get(out, a.target.path)
		if !ok {
			if _, err := parentOK(out, a.target.path); err != nil {
				return nil, err
			}
			continue
		}
		v, err := attr.Difference(old, a.value.val)
		if err != nil {
			return nil, err
		}
		if v.Len() == 0 {
			err = removePath(out, a.target.path)
		} else {
			err = setPath(out, a.target.path, v)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parentOK reports whether the parent of p exists in it with the type p's
// last step needs.
func parentOK(it attr.Item, p Path) (bool, error) {
	if len(p) == 1 {
		return true, nil
	}
	parent, ok := get(it, p[:len(p)-1])
	last := p[len(p)-1]
	if !ok || last.IsIndex && parent.Kind() != attr.L || !last.IsIndex && parent.Kind() != attr.M {
		return false, fail(msgInvalidPath)
	}
	return true, nil
}

// comparePaths orders paths element by element, indexes numerically.
func comparePaths(a, b Path) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		x, y := a[i], b[i]
		if x.IsIndex != y.IsIndex {
			if x.IsIndex {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(x.Index, y.Index); x.IsIndex && c != 0 {
			return c
		}
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func evalSet(op *operand, it attr.Item) (attr.Value, error) {
	switch op.kind {
	case opValue:
		return op.val, nil
	case opPath:
		v, ok := get(it, op.path)
		if !ok {
			return attr.Value{}, fail(msgMissingAttr)
		}
		return v, nil
	}
	switch op.fn {
	case "if_not_exists":
		if v, ok := get(it, op.args[0].path); ok {
			return v, nil
		}
		return evalSet(op.args[1], it)
	default: // list_append
		a, err := evalSet(op.args[0], it)
		if err != nil {
			return attr.Value{}, err
		}
		b, err := evalSet(op.args[1], it)
		if err != nil {
			return attr.Value{}, err
		}
		if a.Kind() != attr.L || b.Kind() != attr.L {
			return attr.Value{}, fail(msgRuntimeType)
		}
		return attr.List(append(slices.Clone(a.L()), b.L()...)...), nil
	}
}

// Targets returns the top-level attribute names the update writes, in the
// order written, for the caller's key-attribute check.
func (u *Update) Targets() []string {
	out := make([]string, 0, len(u.targets))
	for _, t := range u.targets {
		if len(t.path) > 0 {
			out = append(out, t.path[0].Name)
		}
	}
	return out
}

// TargetPaths returns the document paths the update writes, in the order
// written: what ReturnValues UPDATED_OLD and UPDATED_NEW project.
func (u *Update) TargetPaths() []Path {
	out := make([]Path, 0, len(u.targets))
	for _, t := range u.targets {
		out = append(out, t.path)
	}
	return out
}
