package dynamodb

import (
	"context"
	"errors"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/partiql"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// PartiQL (partiql*.go): ExecuteStatement, BatchExecuteStatement and
// ExecuteTransaction parse a statement with internal/dynamodb/partiql, then
// run it as the operation it stands for, built with generated expressions:
// a SELECT is a Query when its WHERE fixes the partition key (by = , IN or
// an OR of equalities; a sort key condition joins the key condition) and a
// Scan otherwise, INSERT is a PutItem that the key must not exist for,
// UPDATE an UpdateItem that it must exist for and DELETE a DeleteItem. So
// conditions, index maintenance, streams, capacity and locking are the
// expression API's.

// Messages of the PartiQL operations, word for word; sources as in
// internal/dynamodb/partiql/errors.go: [aws] pinned against real DynamoDB by
// a public conformance suite, [local] DynamoDB Local's messages or recorded
// answers, [guess] none found.
const (
	// [aws] and [local].
	msgIncompleteKey = "Where clause does not contain a mandatory equality on all key attributes"
	// [local], recorded.
	msgKeyType = "Key attribute's data type should match its data type in table's schema: Key %s"
	// [local].
	msgKeyAbsent = "Key attribute should be present in the item: Key %s"
	// [aws]: the documentation's CLI example and DuplicateItemException.
	msgDuplicateItem = "Duplicate primary key exists in table"
	// [local].
	msgExistsOutside = "EXISTS can only be used in ExecuteTransaction write requests."
	// [aws]: no index name is appended, unlike Query's.
	msgNoIndex = "The table does not have the specified index"
	// [aws]: Query words it differently.
	msgConsistentGSI = "Strongly consistent read is not supported on Global Secondary Indexes"
	// [aws].
	msgResourceNotFound = "Requested resource not found"
	// [local].
	msgTableName = "Table name should be within the length [3, 255] and only contain 'a-z', 'A-Z', '0-9', '-', '_', '.'."
	// [local] (ORDER BY).
	msgOrderByWhere = "Must have WHERE clause in the statement when using ORDER BY clause."
	msgOrderByHash  = "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."
	msgOrderByKey   = "Variable reference %s in ORDER BY clause must be part of the primary key"
	msgOrderByHashN = "Must have hash key in ORDER BY clause when more than one hash key condition specified in WHERE clause."
	// [local]: "Invalid NextToken" recorded, the other a constant.
	msgInvalidToken  = "Invalid NextToken"
	msgTokenMismatch = "NextToken does not match request"
)

// ExecuteStatement runs one PartiQL statement: a SELECT (a page of it, with
// NextToken for the rest), or a single-item INSERT, UPDATE or DELETE.
func (s *Service) ExecuteStatement(ctx context.Context, in *ExecuteStatementInput) (*ExecuteStatementOutput, error) {
	st, err := parseStatement(in.Statement, in.Parameters)
	if err != nil {
		return nil, pqlError(err)
	}
	switch st := st.(type) {
	case *partiql.Select:
		out, err := s.pqlSelect(ctx, st, in)
		return out, pqlError(err)
	case *partiql.Exists:
		return nil, errValidation(msgExistsOutside)
	}
	op, err := s.pqlPlanWrite(ctx, st, in.Parameters)
	if err != nil {
		return nil, pqlError(err)
	}
	res, err := s.pqlRunWrite(ctx, op, in.ReturnValuesOnConditionCheckFailure, in.ReturnConsumedCapacity)
	if err != nil {
		return nil, pqlError(err)
	}
	out := &ExecuteStatementOutput{Items: []map[string]attr.Value{}, ConsumedCapacity: res.capacity}
	if len(res.returned) > 0 {
		out.Items = append(out.Items, res.returned)
	}
	return out, nil
}

// parseStatement parses a statement and checks its parameters.
func parseStatement(stmt *string, params []attr.Value) (partiql.Statement, error) {
	st, err := partiql.Parse(ptr.Value(stmt))
	if err != nil {
		return nil, err
	}
	if err := partiql.CheckParams(st, params); err != nil {
		return nil, err
	}
	return st, nil
}

// pqlError answers an error as PartiQL does: a statement refused as a
// ValidationException, an expression's message without its "Invalid
// …Expression: " prefix (the expressions are ours, not the caller's), and
// a missing table without its name.
func pqlError(err error) error {
	if err == nil {
		return nil
	}
	var pe *partiql.Error
	if errors.As(err, &pe) {
		return errValidation("%s", pe.Message)
	}
	err = validation(err)
	if ae, ok := awserr.As(err); ok {
		switch ae.Code {
		case nsValidation + "ValidationException":
			return errValidation("%s", stripExpressionPrefix(ae.Message))
		case nsDynamoDB + "ResourceNotFoundException":
			return errResourceNotFound(msgResourceNotFound)
		}
	}
	return err
}

// stripExpressionPrefix removes "Invalid XExpression: " from an expression
// error's message.
func stripExpressionPrefix(msg string) string {
	rest, ok := strings.CutPrefix(msg, "Invalid ")
	if !ok {
		return msg
	}
	word, after, ok := strings.Cut(rest, ": ")
	if !ok || !strings.HasSuffix(word, "Expression") || strings.Contains(word, " ") {
		return msg
	}
	return after
}

// pqlTable looks up the table a statement names, checking the name first.
func (s *Service) pqlTable(ctx context.Context, name string) (*table, error) {
	if n := len(name); n < 3 || n > 255 || strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0 {
		return nil, errValidation(msgTableName)
	}
	t, err := s.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// keySchema is the key of a table or index, as PartiQL matches it.
type keySchema struct {
	hash, hashType, rng, rngType string
}

func (t *table) pqlKeys() keySchema {
	hash, hashType, rng, rngType := t.keyAttrs()
	return keySchema{hash, hashType, rng, rngType}
}

// conjuncts splits a condition at its top-level ANDs.
func conjuncts(e partiql.Expr) []partiql.Expr {
	if b, ok := e.(*partiql.Binary); ok && b.Op == "AND" {
		return append(conjuncts(b.L), conjuncts(b.R)...)
	}
	if e == nil {
		return nil
	}
	return []partiql.Expr{e}
}

// andAll joins conditions with AND; nil for none.
func andAll(es []partiql.Expr) partiql.Expr {
	var out partiql.Expr
	for _, e := range es {
		if out == nil {
			out = e
		} else {
			out = &partiql.Binary{Op: "AND", L: out, R: e}
		}
	}
	return out
}

// keyEquality returns the constant a condition sets the attribute name to
// (name = c or c = name).
func keyEquality(e partiql.Expr, name string) (partiql.Expr, bool) {
	b, ok := e.(*partiql.Binary)
	if !ok || b.Op != "=" {
		return nil, false
	}
	for _, pair := range [][2]partiql.Expr{{b.L, b.R}, {b.R, b.L}} {
		if p, ok := pair[0].(*partiql.Path); ok && p.Name() == name && partiql.IsConstant(pair[1]) {
			return pair[1], true
		}
	}
	return nil, false
}

// checkKeyValue refuses a key value of another type than the schema's.
func checkKeyValue(name, typ string, v attr.Value) error {
	if v.Kind() != kindOf[typ] {
		return errValidation(msgKeyType, name)
	}
	return nil
}

// whereKey takes the full key of one item from a WHERE (an equality on each
// key attribute, ANDed at the top) and returns it with the conditions left.
func whereKey(where partiql.Expr, ks keySchema, params []attr.Value) (attr.Item, []partiql.Expr, error) {
	key := attr.Item{}
	var rest []partiql.Expr
	for _, c := range conjuncts(where) {
		matched := false
		for _, k := range []struct{ name, typ string }{{ks.hash, ks.hashType}, {ks.rng, ks.rngType}} {
			if k.name == "" {
				continue
			}
			if _, done := key[k.name]; done {
				continue
			}
			if e, ok := keyEquality(c, k.name); ok {
				v, err := partiql.Value(e, params)
				if err != nil {
					return nil, nil, err
				}
				if err := checkKeyValue(k.name, k.typ, v); err != nil {
					return nil, nil, err
				}
				key[k.name], matched = v, true
				break
			}
		}
		if !matched {
			rest = append(rest, c)
		}
	}
	if _, ok := key[ks.hash]; !ok {
		return nil, nil, errValidation(msgIncompleteKey)
	}
	if _, ok := key[ks.rng]; ks.rng != "" && !ok {
		return nil, nil, errValidation(msgIncompleteKey)
	}
	return key, rest, nil
}

// reshape answers an item as a SELECT's projection does: each path's value
// under the path's last name and the indexes after it (a.b[1] → b[1]).
func reshape(item attr.Item, paths []*partiql.Path) attr.Item {
	if paths == nil || item == nil {
		return item
	}
	out := attr.Item{}
	for _, p := range paths {
		if v, ok := pathValue(item, p); ok {
			out[p.OutputName()] = v
		}
	}
	return out
}

func pathValue(item attr.Item, p *partiql.Path) (attr.Value, bool) {
	v, ok := item[p.Elems[0].Name]
	for _, e := range p.Elems[1:] {
		if !ok {
			break
		}
		switch {
		case e.IsIndex && v.Kind() == attr.L && e.Index < len(v.L()):
			v = v.L()[e.Index]
		case !e.IsIndex && v.Kind() == attr.M:
			v, ok = v.M()[e.Name]
		default:
			ok = false
		}
	}
	return v, ok
}
