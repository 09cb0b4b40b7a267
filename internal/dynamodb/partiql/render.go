package partiql

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// Renderer writes expressions in DynamoDB's expression language (condition,
// update and projection expressions), with a #name placeholder for every
// attribute name and a :value placeholder for every constant, and collects
// the placeholders in Names and Values, ready for an ExpressionAttributeNames
// and ExpressionAttributeValues. Render only what is sent: every placeholder
// made is expected to be used. A Renderer is not safe for concurrent use.
type Renderer struct {
	// Params are the statement's parameters, bound to its ? in order.
	Params []attr.Value
	// Names and Values are the placeholders made so far; nil until the
	// first.
	Names  map[string]string
	Values map[string]attr.Value

	byName map[string]string
}

// Name returns the #placeholder of an attribute name.
func (r *Renderer) Name(n string) string {
	if ph, ok := r.byName[n]; ok {
		return ph
	}
	if r.Names == nil {
		r.Names, r.byName = map[string]string{}, map[string]string{}
	}
	ph := "#n" + strconv.Itoa(len(r.Names))
	r.Names[ph], r.byName[n] = n, ph
	return ph
}

// Value returns a new :placeholder for v.
func (r *Renderer) Value(v attr.Value) string {
	if r.Values == nil {
		r.Values = map[string]attr.Value{}
	}
	ph := ":v" + strconv.Itoa(len(r.Values))
	r.Values[ph] = v
	return ph
}

// Path renders a document path: #n0.#n1[2].
func (r *Renderer) Path(p *Path) string {
	var b strings.Builder
	for i, e := range p.Elems {
		switch {
		case e.IsIndex:
			b.WriteString("[" + strconv.Itoa(e.Index) + "]")
		case i > 0:
			b.WriteString("." + r.Name(e.Name))
		default:
			b.WriteString(r.Name(e.Name))
		}
	}
	return b.String()
}

// Condition renders a WHERE condition (or part of one) as a condition
// expression.
func (r *Renderer) Condition(e Expr) (string, error) { return r.cond(e) }

// condFuncs are the functions a condition may call, by DynamoDB's names.
var condFuncs = map[string]bool{
	"attribute_exists": true, "attribute_not_exists": true, "attribute_type": true,
	"begins_with": true, "contains": true, "size": true,
}

// isTypes maps the types IS takes to DynamoDB's type names.
var isTypes = map[string]string{
	"NULL": "NULL", "BOOLEAN": "BOOL", "BLOB": "B", "STRING": "S", "NUMERIC": "N",
	"STRUCT": "M", "TUPLE": "M", "LIST": "L",
}

func (r *Renderer) cond(e Expr) (string, error) {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case "AND", "OR":
			l, err := r.cond(e.L)
			if err != nil {
				return "", err
			}
			rr, err := r.cond(e.R)
			if err != nil {
				return "", err
			}
			if e.Op == "AND" {
				l, rr = parenOr(e.L, l), parenOr(e.R, rr)
			}
			return l + " " + e.Op + " " + rr, nil
		case "=", "<>", "<", "<=", ">", ">=":
			return r.comparison(e.Op, e.L, e.R)
		}
		return "", fail(msgConditionOp, strings.ToLower(e.Op))
	case *Not:
		x, err := r.cond(e.X)
		if err != nil {
			return "", err
		}
		if b, ok := e.X.(*Binary); ok && (b.Op == "AND" || b.Op == "OR") {
			x = "(" + x + ")"
		}
		return "NOT " + x, nil
	case *Between:
		ops, err := r.operands(e.X, e.Lo, e.Hi)
		if err != nil {
			return "", err
		}
		if err := r.orderable("BETWEEN", e.Lo, e.Hi); err != nil {
			return "", err
		}
		s := ops[0] + " BETWEEN " + ops[1] + " AND " + ops[2]
		if e.Not {
			s = "NOT " + s
		}
		return s, nil
	case *In:
		return r.in(e)
	case *Is:
		return r.is(e)
	case *Call:
		if !condFuncs[e.Name] {
			return "", failAt(e.Pos, msgUnknownFunction, e.Name)
		}
		return r.call(e)
	case *Literal:
		if e.Kind == LitMissing {
			return "", fail(msgMissingCompare)
		}
	}
	return "", fail(msgNotBoolean)
}

// parenOr wraps an OR that is an operand of AND.
func parenOr(e Expr, s string) string {
	if b, ok := e.(*Binary); ok && b.Op == "OR" {
		return "(" + s + ")"
	}
	return s
}

func (r *Renderer) comparison(op string, l, rhs Expr) (string, error) {
	ops, err := r.operands(l, rhs)
	if err != nil {
		return "", err
	}
	if op != "=" && op != "<>" {
		if err := r.orderable(op, l, rhs); err != nil {
			return "", err
		}
	}
	return ops[0] + " " + op + " " + ops[1], nil
}

// orderable refuses a constant an ordering comparison cannot order, with
// the condition expressions' message, which DynamoDB answers here without
// its "Invalid …Expression:" prefix.
func (r *Renderer) orderable(op string, es ...Expr) error {
	for _, e := range es {
		if !IsConstant(e) {
			continue
		}
		v, err := Value(e, r.Params)
		if err != nil {
			return err
		}
		if k := v.Kind(); k != attr.S && k != attr.N && k != attr.B {
			return fail(msgOperandType, op, k)
		}
	}
	return nil
}

func (r *Renderer) operands(es ...Expr) ([]string, error) {
	out := make([]string, len(es))
	for i, e := range es {
		s, err := r.operand(e)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// operand renders a comparison's operand: a path, size(path) or a constant.
func (r *Renderer) operand(e Expr) (string, error) {
	switch e := e.(type) {
	case *Path:
		return r.Path(e), nil
	case *Call:
		if !condFuncs[e.Name] {
			return "", failAt(e.Pos, msgUnknownFunction, e.Name)
		}
		return r.call(e)
	case *Literal:
		if e.Kind == LitMissing {
			return "", fail(msgMissingCompare)
		}
	case *Binary:
		return "", fail(msgConditionOp, strings.ToLower(e.Op))
	case *Not, *Between, *In, *Is:
		return "", fail(msgNotBoolean)
	}
	v, err := Value(e, r.Params)
	if err != nil {
		return "", err
	}
	return r.Value(v), nil
}

func (r *Renderer) call(e *Call) (string, error) {
	if len(e.Args) == 0 {
		// The expression grammar has no empty call: answer the count.
		return "", fail(msgOperandCount, e.Name, 0)
	}
	args, err := r.operands(e.Args...)
	if err != nil {
		return "", err
	}
	return e.Name + "(" + strings.Join(args, ", ") + ")", nil
}

func (r *Renderer) in(e *In) (string, error) {
	x, err := r.operand(e.X)
	if err != nil {
		return "", err
	}
	var elems []string
	switch set := e.Set.(type) {
	case *List:
		if elems, err = r.operands(set.Elems...); err != nil {
			return "", err
		}
	default:
		v, err := Value(set, r.Params)
		if err != nil {
			return "", err
		}
		if v.Kind() != attr.L {
			return "", fail(msgInOperands)
		}
		for _, m := range v.L() {
			elems = append(elems, r.Value(m))
		}
	}
	if len(elems) == 0 {
		return "", fail(msgInOperands)
	}
	s := x + " IN (" + strings.Join(elems, ", ") + ")"
	if e.Not {
		s = "NOT " + s
	}
	return s, nil
}

func (r *Renderer) is(e *Is) (string, error) {
	p, ok := e.X.(*Path)
	if !ok {
		return "", fail(msgIsOperand)
	}
	var s string
	switch e.Type {
	case "MISSING":
		if e.Not {
			return "attribute_exists(" + r.Path(p) + ")", nil
		}
		return "attribute_not_exists(" + r.Path(p) + ")", nil
	default:
		t, ok := isTypes[e.Type]
		if !ok {
			return "", fail(msgIsType, e.Type)
		}
		s = "attribute_type(" + r.Path(p) + ", " + r.Value(attr.String(t)) + ")"
	}
	if e.Not {
		s = "NOT " + s
	}
	return s, nil
}

// Update renders an UPDATE's actions as an update expression: SET for
// assignments (with + and - and list_append), ADD for set_add and DELETE for
// set_delete, REMOVE for REMOVE.
func (r *Renderer) Update(actions []Action) (string, error) {
	var sets, removes, adds, deletes []string
	for _, a := range actions {
		if a.Remove {
			removes = append(removes, r.Path(a.Path))
			continue
		}
		if c, ok := a.Value.(*Call); ok && (c.Name == "set_add" || c.Name == "set_delete") {
			v, err := setArg(a.Path, c, r.Params)
			if err != nil {
				return "", err
			}
			s := r.Path(a.Path) + " " + r.Value(v)
			if c.Name == "set_add" {
				adds = append(adds, s)
			} else {
				deletes = append(deletes, s)
			}
			continue
		}
		v, err := r.setValue(a.Value)
		if err != nil {
			return "", err
		}
		sets = append(sets, r.Path(a.Path)+" = "+v)
	}
	var clauses []string
	for _, c := range []struct {
		kw    string
		parts []string
	}{{"SET", sets}, {"REMOVE", removes}, {"ADD", adds}, {"DELETE", deletes}} {
		if len(c.parts) > 0 {
			clauses = append(clauses, c.kw+" "+strings.Join(c.parts, ", "))
		}
	}
	return strings.Join(clauses, " "), nil
}

// setArg checks set_add(path, set) or set_delete(path, set) assigned to
// target and returns the set.
func setArg(target *Path, c *Call, params []attr.Value) (attr.Value, error) {
	what := strings.ToUpper(strings.TrimPrefix(c.Name, "set_"))
	if len(c.Args) != 2 {
		return attr.Value{}, failAt(c.Pos, msgSetArgCount, what)
	}
	if p, ok := c.Args[0].(*Path); !ok || !slices.Equal(p.Elems, target.Elems) {
		return attr.Value{}, failAt(c.Pos, msgSetFirstArg, what)
	}
	notSet := failAt(c.Args[0].At(), msgSetSecondArg, what)
	switch c.Args[1].(type) {
	case *Bag, *Param:
	default:
		return attr.Value{}, notSet
	}
	v, err := Value(c.Args[1], params)
	if err != nil {
		return attr.Value{}, err
	}
	if k := v.Kind(); k != attr.SS && k != attr.NS && k != attr.BS {
		return attr.Value{}, notSet
	}
	return v, nil
}

// setValue renders what a SET assigns: a term, or term + term, term - term.
func (r *Renderer) setValue(e Expr) (string, error) {
	if b, ok := e.(*Binary); ok {
		if b.Op != "+" && b.Op != "-" {
			return "", fail(msgUpdateOp, strings.ToLower(b.Op))
		}
		l, err := r.setTerm(b.L)
		if err != nil {
			return "", err
		}
		rr, err := r.setTerm(b.R)
		if err != nil {
			return "", err
		}
		return l + " " + b.Op + " " + rr, nil
	}
	return r.setTerm(e)
}

func (r *Renderer) setTerm(e Expr) (string, error) {
	switch e := e.(type) {
	case *Path:
		return r.Path(e), nil
	case *Call:
		if e.Name != "list_append" {
			return "", failAt(e.Pos, msgUnknownFunction, e.Name)
		}
		if len(e.Args) != 2 {
			return "", fail(msgOperandCount, e.Name, len(e.Args))
		}
		args := make([]string, len(e.Args))
		for i, a := range e.Args {
			s, err := r.setTerm(a)
			if err != nil {
				return "", err
			}
			args[i] = s
		}
		return "list_append(" + strings.Join(args, ", ") + ")", nil
	case *Is:
		return "", fail(msgIsInUpdate)
	case *Binary:
		return "", fail(msgUpdateOp, strings.ToLower(e.Op))
	case *Not, *Between, *In:
		return "", fail(msgUpdateOp, "condition")
	}
	v, err := Value(e, r.Params)
	if err != nil {
		return "", err
	}
	return r.Value(v), nil
}

// Projection renders a projection expression of the top-level names of
// paths, once each.
func (r *Renderer) Projection(paths []*Path) string {
	var names []string
	seen := map[string]bool{}
	for _, p := range paths {
		n := p.Elems[0].Name
		if !seen[n] {
			seen[n] = true
			names = append(names, r.Name(n))
		}
	}
	return strings.Join(names, ", ")
}
