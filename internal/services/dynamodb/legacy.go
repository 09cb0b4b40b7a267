package dynamodb

import (
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// The legacy (pre-expression) parameters — Expected, ConditionalOperator,
// AttributeUpdates, KeyConditions, QueryFilter, ScanFilter and
// AttributesToGet — are translated into what their expression counterparts
// compile to, so that one evaluator serves both and they cannot drift
// apart: conditions and filters into a condition expression
// (legacycond.go), AttributeUpdates into an update expression
// (legacyupdate.go), KeyConditions into an expr.KeyCondition and
// AttributesToGet into projection paths. The translated expressions name
// every attribute and value through placeholders of their own (#0, :0…),
// kept apart from the request's ExpressionAttributeNames and Values, which
// a request cannot give with legacy parameters alone.
//
// This file holds DynamoDB's rules on mixing the two kinds of parameters.
// Sources of the messages: [recorded] captured from DynamoDB by public test
// suites run against it; [dynalite] the dynalite emulator's validations and
// tests, written against DynamoDB; [local] AWS's DynamoDB Local.

// param is one request parameter as DynamoDB names it in messages, and
// whether the request gives it (an empty map or string counts as given).
type param struct {
	name string
	set  bool
}

// paramUse is what an operation's request gives of the parameters that
// DynamoDB's mixing rules look at.
type paramUse struct {
	// legacy and exprs are the operation's legacy and expression
	// parameters, in the order DynamoDB lists them.
	legacy, exprs []param
	// names and values: ExpressionAttributeNames and
	// ExpressionAttributeValues were given.
	names, values bool
	// valueExprs are the expression parameters that take values; when
	// valuesNote, the message for values without any of them says they are
	// null.
	valueExprs []param
	valuesNote bool
}

const (
	// [recorded]
	msgMixing = "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}"
	// [recorded]
	msgNamesWithoutExpr  = "ExpressionAttributeNames can only be specified when using expressions"
	msgValuesWithoutExpr = "ExpressionAttributeValues can only be specified when using expressions"
	// [recorded]
	msgCondOpAlone    = "ConditionalOperator cannot be used without Filter or Expected"
	msgCondOpOneEntry = "ConditionalOperator can only be used when Filter or Expected has two or more elements"
)

// check refuses a request that mixes legacy and expression parameters, or
// gives ExpressionAttributeNames or ExpressionAttributeValues that no
// expression could use.
func (u paramUse) check() error {
	given := func(ps []param) []string {
		var out []string
		for _, p := range ps {
			if p.set {
				out = append(out, p.name)
			}
		}
		return out
	}
	legacy, exprs := given(u.legacy), given(u.exprs)
	if len(legacy) > 0 && len(exprs) > 0 {
		return errValidation(msgMixing, strings.Join(legacy, ", "), strings.Join(exprs, ", "))
	}
	if u.names && len(exprs) == 0 {
		return errValidation(msgNamesWithoutExpr)
	}
	if u.values && len(given(u.valueExprs)) == 0 {
		if !u.valuesNote {
			return errValidation(msgValuesWithoutExpr)
		}
		null := make([]string, len(u.valueExprs))
		for i, p := range u.valueExprs {
			null[i] = p.name
		}
		verb := "is"
		if len(null) > 1 {
			verb = "are"
		}
		return errValidation("%s: %s %s null", msgValuesWithoutExpr, strings.Join(null, " and "), verb)
	}
	return nil
}

// checkConditionalOperator refuses a ConditionalOperator without a legacy
// condition map (Expected, QueryFilter or ScanFilter) of two or more
// entries; conditions is the size of that map.
func checkConditionalOperator(op *string, conditions int) error {
	switch {
	case op == nil:
		return nil
	case conditions == 0:
		return errValidation(msgCondOpAlone)
	case conditions == 1:
		return errValidation(msgCondOpOneEntry)
	}
	return nil
}

// writeParams is the parameter use of PutItem and DeleteItem.
func writeParams(w writeCommon) paramUse {
	cond := param{"ConditionExpression", w.condition != nil}
	return paramUse{
		legacy:     []param{{"Expected", w.expected != nil}, {"ConditionalOperator", w.conditional != nil}},
		exprs:      []param{cond},
		names:      w.names != nil,
		values:     w.values != nil,
		valueExprs: []param{cond},
		valuesNote: true,
	}
}

// updateParams is the parameter use of UpdateItem.
func updateParams(in *UpdateItemInput) paramUse {
	exprs := []param{{"UpdateExpression", in.UpdateExpression != nil}, {"ConditionExpression", in.ConditionExpression != nil}}
	return paramUse{
		legacy: []param{{"AttributeUpdates", in.AttributeUpdates != nil}, {"Expected", in.Expected != nil},
			{"ConditionalOperator", in.ConditionalOperator != nil}},
		exprs:      exprs,
		names:      in.ExpressionAttributeNames != nil,
		values:     in.ExpressionAttributeValues != nil,
		valueExprs: exprs,
		valuesNote: true,
	}
}

// queryParams is the parameter use of Query. KeyConditions mixes with
// FilterExpression and ProjectionExpression, only not with
// KeyConditionExpression [recorded].
func queryParams(in *QueryInput) paramUse {
	filter, key := param{"FilterExpression", in.FilterExpression != nil}, param{"KeyConditionExpression", in.KeyConditionExpression != nil}
	return paramUse{
		legacy: []param{{"AttributesToGet", in.AttributesToGet != nil}, {"QueryFilter", in.QueryFilter != nil},
			{"ConditionalOperator", in.ConditionalOperator != nil}, {"KeyConditions", in.KeyConditions != nil && key.set}},
		exprs:      []param{{"ProjectionExpression", in.ProjectionExpression != nil}, filter, key},
		names:      in.ExpressionAttributeNames != nil,
		values:     in.ExpressionAttributeValues != nil,
		valueExprs: []param{filter, key},
	}
}

// scanParams is the parameter use of Scan.
func scanParams(in *ScanInput) paramUse {
	filter := param{"FilterExpression", in.FilterExpression != nil}
	return paramUse{
		legacy: []param{{"AttributesToGet", in.AttributesToGet != nil}, {"ScanFilter", in.ScanFilter != nil},
			{"ConditionalOperator", in.ConditionalOperator != nil}},
		exprs:      []param{{"ProjectionExpression", in.ProjectionExpression != nil}, filter},
		names:      in.ExpressionAttributeNames != nil,
		values:     in.ExpressionAttributeValues != nil,
		valueExprs: []param{filter},
		valuesNote: true,
	}
}

// getParams is the parameter use of GetItem and of one table of a
// BatchGetItem.
func getParams(attributesToGet []string, projection *string, names map[string]string) paramUse {
	return paramUse{
		legacy: []param{{"AttributesToGet", attributesToGet != nil}},
		exprs:  []param{{"ProjectionExpression", projection != nil}},
		names:  names != nil,
	}
}

// readProjection compiles what a read returns of each item: its
// ProjectionExpression or its AttributesToGet (nil: everything).
func readProjection(attributesToGet []string, projection *string, names map[string]string, used *expr.Usage) ([]expr.Path, error) {
	if attributesToGet != nil {
		return attributePaths(attributesToGet)
	}
	if projection == nil {
		return nil, nil
	}
	paths, err := expr.ParseProjection(*projection, names, used)
	if err != nil {
		return nil, validation(err)
	}
	return paths, nil
}

// attributePaths turns AttributesToGet into the projection of those
// top-level attributes, refusing a name given twice [dynalite].
func attributePaths(names []string) ([]expr.Path, error) {
	seen := make(map[string]bool, len(names))
	paths := make([]expr.Path, 0, len(names))
	for _, n := range names {
		if seen[n] {
			return nil, errValidation("One or more parameter values were invalid: Duplicate value in attribute name: %s", n)
		}
		seen[n] = true
		paths = append(paths, expr.Path{{Name: n}})
	}
	return paths, nil
}

// conditionalOperator is the word that joins legacy conditions: AND
// unless ConditionalOperator says OR.
func conditionalOperator(op *string) string {
	if ptr.Value(op) == "OR" {
		return "OR"
	}
	return "AND"
}
