package dynamodb

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// legacyTerm is one entry of Expected, QueryFilter, ScanFilter or
// KeyConditions: a condition on a top-level attribute.
type legacyTerm struct {
	name string
	op   string       // EQ, NE, LE, LT, GE, GT, NOT_NULL, NULL, CONTAINS, NOT_CONTAINS, BEGINS_WITH, IN, BETWEEN
	args []attr.Value // the AttributeValueList (or Value)
	// typed: the operands' types are checked against op. An Expected entry
	// with a bare Value (no ComparisonOperator) compares with any type.
	typed bool
}

// argCounts is how many operands each comparison operator takes; -1 is
// one or more.
var argCounts = map[string]int{
	"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1,
	"NULL": 0, "NOT_NULL": 0, "IN": -1, "BETWEEN": 2,
}

// argKinds is the kinds of operand an operator takes, as the API reference
// lists them; EQ and NE take any ("supported for all data types, including
// lists and maps").
var argKinds = func() map[string][]attr.Kind {
	scalar := []attr.Kind{attr.S, attr.N, attr.B}
	return map[string][]attr.Kind{
		"LE": scalar, "LT": scalar, "GE": scalar, "GT": scalar, "IN": scalar, "BETWEEN": scalar,
		"CONTAINS": scalar, "NOT_CONTAINS": scalar, "BEGINS_WITH": {attr.S, attr.B},
	}
}()

// check applies DynamoDB's rules on a condition's operands [dynalite]:
// their number, one type for all, the types the operator takes, and a
// BETWEEN range in order.
func (t legacyTerm) check() error {
	want, known := argCounts[t.op]
	if !known || want >= 0 && len(t.args) != want || want < 0 && len(t.args) == 0 {
		return errValidation("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", t.op)
	}
	for _, a := range t.args[min(1, len(t.args)):] {
		if a.Kind() != t.args[0].Kind() {
			return errValidation("One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type")
		}
	}
	if kinds := argKinds[t.op]; t.typed && kinds != nil {
		for _, a := range t.args {
			if !slices.Contains(kinds, a.Kind()) {
				return errValidation("One or more parameter values were invalid: ComparisonOperator %s is not valid for %s AttributeValue type", t.op, a.Kind())
			}
		}
	}
	if t.op == "BETWEEN" && attr.Compare(t.args[0], t.args[1]) > 0 {
		return errValidation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
	}
	return nil
}

// invalidParam is DynamoDB's "One or more parameter values were invalid"
// ValidationException.
func invalidParam(format string, args ...any) error {
	return errValidation("One or more parameter values were invalid: "+format, args...)
}

// expectedTerms checks the entries of Expected [local, dynalite] and
// returns them as conditions, in attribute name order: a bare Value (with
// Exists true or unset) is EQ, Exists false is NULL.
func expectedTerms(expected map[string]ExpectedAttributeValue) ([]legacyTerm, error) {
	terms := make([]legacyTerm, 0, len(expected))
	for _, name := range slices.Sorted(maps.Keys(expected)) {
		e := expected[name]
		op := ptr.Value(e.ComparisonOperator)
		notExists := e.Exists != nil && !*e.Exists
		switch {
		case e.Exists != nil && e.ComparisonOperator != nil:
			return nil, invalidParam("Exists and ComparisonOperator cannot be used together for Attribute: %s", name)
		case e.Value != nil && e.AttributeValueList != nil:
			return nil, invalidParam("Value and AttributeValueList cannot be used together for Attribute: %s", name)
		case e.ComparisonOperator == nil && e.AttributeValueList != nil:
			return nil, invalidParam("AttributeValueList can only be used with a ComparisonOperator for Attribute: %s", name)
		case notExists && e.Value != nil:
			return nil, invalidParam("Value cannot be used when Exists is false for Attribute: %s", name)
		case e.Value == nil && e.AttributeValueList == nil:
			switch {
			case e.ComparisonOperator != nil && op != "NULL" && op != "NOT_NULL":
				return nil, invalidParam("Value or AttributeValueList must be used with ComparisonOperator: %s for Attribute: %s", op, name)
			case e.ComparisonOperator == nil && e.Exists == nil:
				return nil, invalidParam("Value must be provided when Exists is null for Attribute: %s", name)
			case e.ComparisonOperator == nil && !notExists:
				return nil, invalidParam("Value must be provided when Exists is true for Attribute: %s", name)
			}
		}
		t := legacyTerm{name: name}
		switch {
		case e.ComparisonOperator != nil:
			t.op, t.args, t.typed = op, e.AttributeValueList, true
			if e.Value != nil {
				t.args = []attr.Value{*e.Value}
			}
		case notExists:
			t.op = "NULL"
		default:
			t.op, t.args = "EQ", []attr.Value{*e.Value}
		}
		if err := t.check(); err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// filterTerms checks the entries of QueryFilter, ScanFilter or
// KeyConditions and returns them in attribute name order.
func filterTerms(conds map[string]Condition) ([]legacyTerm, error) {
	terms := make([]legacyTerm, 0, len(conds))
	for _, name := range slices.Sorted(maps.Keys(conds)) {
		c := conds[name]
		t := legacyTerm{name: name, op: ptr.Value(c.ComparisonOperator), args: c.AttributeValueList, typed: true}
		if err := t.check(); err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// compileTerms compiles checked conditions, joined by ConditionalOperator
// (AND by default), into the condition expression that means the same
// (nil when there are none). Every name and value goes through a
// placeholder: "#0 = :0 AND attribute_not_exists(#1)".
//
// Legacy NE and NOT_CONTAINS hold for an item without the attribute, and
// so do <> and NOT contains(): Condition.Eval counts a missing operand of
// <> as unequal.
func compileTerms(terms []legacyTerm, op *string) (*expr.Condition, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	var b placeholders
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = b.term(t)
	}
	s := strings.Join(parts, " "+conditionalOperator(op)+" ")
	c, err := expr.ParseCondition(s, b.names, b.values, nil)
	if err != nil {
		return nil, validation(err)
	}
	return c, nil
}

// compileExpected checks Expected and compiles it (nil for none).
func compileExpected(expected map[string]ExpectedAttributeValue, op *string) (*expr.Condition, error) {
	terms, err := expectedTerms(expected)
	if err != nil {
		return nil, err
	}
	return compileTerms(terms, op)
}

// comparisons are the expression operators of the legacy comparisons.
var comparisons = map[string]string{"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}

// placeholders builds the ExpressionAttributeNames and Values of a
// translated expression: #0, #1… for names (one per distinct name), :0,
// :1… for values.
type placeholders struct {
	names  expr.Names
	values expr.Values
	byName map[string]string
}

func (b *placeholders) name(n string) string {
	if p, ok := b.byName[n]; ok {
		return p
	}
	if b.names == nil {
		b.names, b.byName = expr.Names{}, map[string]string{}
	}
	p := "#" + strconv.Itoa(len(b.names))
	b.names[p], b.byName[n] = n, p
	return p
}

func (b *placeholders) value(v attr.Value) string {
	if b.values == nil {
		b.values = expr.Values{}
	}
	p := ":" + strconv.Itoa(len(b.values))
	b.values[p] = v
	return p
}

// term writes t, checked, as a condition expression.
func (b *placeholders) term(t legacyTerm) string {
	n := b.name(t.name)
	switch t.op {
	case "NULL":
		return "attribute_not_exists(" + n + ")"
	case "NOT_NULL":
		return "attribute_exists(" + n + ")"
	case "CONTAINS":
		return "contains(" + n + ", " + b.value(t.args[0]) + ")"
	case "NOT_CONTAINS":
		return "NOT contains(" + n + ", " + b.value(t.args[0]) + ")"
	case "BEGINS_WITH":
		return "begins_with(" + n + ", " + b.value(t.args[0]) + ")"
	case "BETWEEN":
		return n + " BETWEEN " + b.value(t.args[0]) + " AND " + b.value(t.args[1])
	case "IN":
		vs := make([]string, len(t.args))
		for i, a := range t.args {
			vs[i] = b.value(a)
		}
		return n + " IN (" + strings.Join(vs, ", ") + ")"
	}
	return n + " " + comparisons[t.op] + " " + b.value(t.args[0])
}

// sortOps are the comparisons a key condition may put on a sort key, as
// expr.KeyCondition names them; the partition key takes EQ alone.
var sortOps = map[string]string{"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "BETWEEN": "BETWEEN", "BEGINS_WITH": "begins_with"}

// checkKeyConditions checks KeyConditions before the table is known: each
// condition's operands, and one or two of them [dynalite].
func checkKeyConditions(conds map[string]Condition) error {
	if _, err := filterTerms(conds); err != nil {
		return err
	}
	if n := len(conds); n != 1 && n != 2 {
		return errValidation("Conditions can be of length 1 or 2 only")
	}
	return nil
}

// legacyKeyCondition turns checked KeyConditions into the key condition of
// a table or index keyed by hash and rng ("" for none) of the given
// AttributeDefinitions types, with DynamoDB's errors in its order
// [dynalite]: the partition key first, then the sort key.
func legacyKeyCondition(conds map[string]Condition, hash, hashType, rng, rngType string) (*expr.KeyCondition, error) {
	kc := &expr.KeyCondition{}
	for _, k := range []struct {
		name, typ string
		partition bool
	}{{hash, hashType, true}, {rng, rngType, false}} {
		if k.name == "" {
			continue
		}
		if k.partition && rng == "" && len(conds) > 1 {
			return nil, errValidation("Query key condition not supported")
		}
		c, ok := conds[k.name]
		if !ok {
			if k.partition || len(conds) > 1 {
				return nil, errValidation("Query condition missed key schema element: %s", k.name)
			}
			continue
		}
		op := ptr.Value(c.ComparisonOperator)
		if _, ok := sortOps[op]; !ok {
			return nil, errValidation("Attempted conditional constraint is not an indexable operation")
		}
		for _, v := range c.AttributeValueList {
			if v.Kind() != kindOf[k.typ] {
				return nil, invalidParam("Condition parameter type does not match schema type")
			}
		}
		if k.partition {
			if op != "EQ" {
				return nil, errValidation("Query key condition not supported")
			}
			kc.PartitionName, kc.PartitionValue = k.name, c.AttributeValueList[0]
		} else {
			kc.SortName, kc.SortOp, kc.SortValues = k.name, sortOps[op], c.AttributeValueList
		}
	}
	return kc, nil
}

// checkQueryFilterKeys refuses a QueryFilter on a key attribute of the
// table or index read [dynalite].
func checkQueryFilterKeys(filter map[string]Condition, hash, rng string) error {
	for _, k := range []string{hash, rng} {
		if _, ok := filter[k]; ok && k != "" {
			return errValidation("QueryFilter can only contain non-primary key attributes: Primary key attribute: %s", k)
		}
	}
	return nil
}
