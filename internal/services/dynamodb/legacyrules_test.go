package dynamodb_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestLegacyRules checks DynamoDB's rules on the legacy parameters: how
// they mix with expressions, ConditionalOperator, Expected's shapes, the
// operands of each comparison, and Select against AttributesToGet.
func TestLegacyRules(t *testing.T) {
	t.Parallel()
	c, ctx := startLegacy(t, withKey("r", 1, map[string]types.AttributeValue{"s": avS("a")}))
	table := aws.String("legacy")
	key := map[string]types.AttributeValue{"pk": avS("r"), "sk": avN("1")}
	item := withKey("r", 2, nil)
	eq := func(v types.AttributeValue) types.Condition {
		return types.Condition{ComparisonOperator: types.ComparisonOperatorEq, AttributeValueList: []types.AttributeValue{v}}
	}
	pk := map[string]types.Condition{"pk": eq(avS("r"))}
	one := map[string]types.ExpectedAttributeValue{"a": {Value: avS("x")}}
	two := map[string]types.ExpectedAttributeValue{"a": {Value: avS("x")}, "b": {Value: avS("y")}}
	values := map[string]types.AttributeValue{":v": avS("x")}
	names := map[string]string{"#a": "s"}
	put := func(in dynamodb.PutItemInput) func() error {
		return func() error {
			in.TableName, in.Item = table, item
			_, err := c.PutItem(ctx, &in)
			return err
		}
	}
	del := func(in dynamodb.DeleteItemInput) func() error {
		return func() error {
			in.TableName, in.Key = table, key
			_, err := c.DeleteItem(ctx, &in)
			return err
		}
	}
	update := func(in dynamodb.UpdateItemInput) func() error {
		return func() error {
			in.TableName, in.Key = table, key
			_, err := c.UpdateItem(ctx, &in)
			return err
		}
	}
	query := func(in dynamodb.QueryInput) func() error {
		return func() error {
			in.TableName = table
			_, err := c.Query(ctx, &in)
			return err
		}
	}
	scan := func(in dynamodb.ScanInput) func() error {
		return func() error {
			in.TableName = table
			_, err := c.Scan(ctx, &in)
			return err
		}
	}
	get := func(in dynamodb.GetItemInput) func() error {
		return func() error {
			in.TableName, in.Key = table, key
			_, err := c.GetItem(ctx, &in)
			return err
		}
	}
	batchGet := func(ka types.KeysAndAttributes) func() error {
		return func() error {
			ka.Keys = []map[string]types.AttributeValue{key}
			_, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"legacy": ka}})
			return err
		}
	}
	mixing := "Can not use both expression and non-expression parameters in the same request: "
	type rule struct {
		name    string
		call    func() error
		message string
	}
	rules := []rule{
		// Mixing legacy and expression parameters.
		{"PutItem: Expected and ConditionExpression", put(dynamodb.PutItemInput{Expected: one, ConditionExpression: aws.String("attribute_exists(pk)")}),
			mixing + "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"},
		{"PutItem: Expected, ConditionalOperator and ConditionExpression", put(dynamodb.PutItemInput{Expected: two, ConditionalOperator: "OR", ConditionExpression: aws.String("attribute_exists(pk)")}),
			mixing + "Non-expression parameters: {Expected, ConditionalOperator} Expression parameters: {ConditionExpression}"},
		{"PutItem: ConditionalOperator and ConditionExpression", put(dynamodb.PutItemInput{ConditionalOperator: "AND", ConditionExpression: aws.String("attribute_exists(pk)")}),
			mixing + "Non-expression parameters: {ConditionalOperator} Expression parameters: {ConditionExpression}"},
		{"DeleteItem: Expected and ConditionExpression", del(dynamodb.DeleteItemInput{Expected: one, ConditionExpression: aws.String("attribute_exists(pk)")}),
			mixing + "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"},
		{"UpdateItem: everything", update(dynamodb.UpdateItemInput{AttributeUpdates: map[string]types.AttributeValueUpdate{"s": {Value: avS("v")}},
			Expected: two, ConditionalOperator: "AND", UpdateExpression: aws.String("SET s = :v"), ConditionExpression: aws.String("attribute_exists(pk)"), ExpressionAttributeValues: values}),
			mixing + "Non-expression parameters: {AttributeUpdates, Expected, ConditionalOperator} Expression parameters: {UpdateExpression, ConditionExpression}"},
		{"UpdateItem: AttributeUpdates and ConditionExpression", update(dynamodb.UpdateItemInput{AttributeUpdates: map[string]types.AttributeValueUpdate{"s": {Value: avS("v")}},
			ConditionExpression: aws.String("attribute_exists(pk)")}),
			mixing + "Non-expression parameters: {AttributeUpdates} Expression parameters: {ConditionExpression}"},
		{"UpdateItem: Expected and UpdateExpression", update(dynamodb.UpdateItemInput{Expected: one, UpdateExpression: aws.String("SET s = :v"), ExpressionAttributeValues: values}),
			mixing + "Non-expression parameters: {Expected} Expression parameters: {UpdateExpression}"},
		{"Query: everything", query(dynamodb.QueryInput{AttributesToGet: []string{"s"}, QueryFilter: map[string]types.Condition{"s": eq(avS("a")), "t": eq(avS("b"))},
			ConditionalOperator: "OR", KeyConditions: pk, ProjectionExpression: aws.String("s"), FilterExpression: aws.String("s = :v"),
			KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": avS("a"), ":p": avS("r")}}),
			mixing + "Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions} Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"},
		{"Query: QueryFilter and KeyConditionExpression", query(dynamodb.QueryInput{QueryFilter: map[string]types.Condition{"s": eq(avS("a"))},
			KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("r")}}),
			mixing + "Non-expression parameters: {QueryFilter} Expression parameters: {KeyConditionExpression}"},
		{"Query: KeyConditions, QueryFilter and FilterExpression", query(dynamodb.QueryInput{KeyConditions: pk, QueryFilter: map[string]types.Condition{"s": eq(avS("a"))},
			FilterExpression: aws.String("s = :v"), ExpressionAttributeValues: values}),
			mixing + "Non-expression parameters: {QueryFilter} Expression parameters: {FilterExpression}"},
		{"Scan: everything", scan(dynamodb.ScanInput{AttributesToGet: []string{"s"}, ScanFilter: map[string]types.Condition{"s": eq(avS("a"))}, ConditionalOperator: "AND",
			FilterExpression: aws.String("s = :v"), ProjectionExpression: aws.String("s"), ExpressionAttributeValues: values}),
			mixing + "Non-expression parameters: {AttributesToGet, ScanFilter, ConditionalOperator} Expression parameters: {ProjectionExpression, FilterExpression}"},
		{"Scan: ScanFilter and ProjectionExpression", scan(dynamodb.ScanInput{ScanFilter: map[string]types.Condition{"s": eq(avS("a"))}, ProjectionExpression: aws.String("s")}),
			mixing + "Non-expression parameters: {ScanFilter} Expression parameters: {ProjectionExpression}"},
		{"GetItem: AttributesToGet and ProjectionExpression", get(dynamodb.GetItemInput{AttributesToGet: []string{"s"}, ProjectionExpression: aws.String("s")}),
			mixing + "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"},
		{"BatchGetItem: AttributesToGet and ProjectionExpression", batchGet(types.KeysAndAttributes{AttributesToGet: []string{"s"}, ProjectionExpression: aws.String("s")}),
			mixing + "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"},

		// ExpressionAttributeNames and Values with no expression to use them.
		{"PutItem: names with Expected", put(dynamodb.PutItemInput{Expected: one, ExpressionAttributeNames: names}),
			"ExpressionAttributeNames can only be specified when using expressions"},
		{"GetItem: names alone", get(dynamodb.GetItemInput{ExpressionAttributeNames: names}), "ExpressionAttributeNames can only be specified when using expressions"},
		{"BatchGetItem: names alone", batchGet(types.KeysAndAttributes{ExpressionAttributeNames: names}), "ExpressionAttributeNames can only be specified when using expressions"},
		{"Query: names with KeyConditions", query(dynamodb.QueryInput{KeyConditions: pk, ExpressionAttributeNames: names}),
			"ExpressionAttributeNames can only be specified when using expressions"},
		{"PutItem: values", put(dynamodb.PutItemInput{Expected: one, ExpressionAttributeValues: values}),
			"ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"},
		{"DeleteItem: values", del(dynamodb.DeleteItemInput{ExpressionAttributeValues: values}),
			"ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"},
		{"UpdateItem: values", update(dynamodb.UpdateItemInput{AttributeUpdates: map[string]types.AttributeValueUpdate{"s": {Value: avS("v")}}, ExpressionAttributeValues: values}),
			"ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"},
		{"Scan: values with ProjectionExpression", scan(dynamodb.ScanInput{ProjectionExpression: aws.String("s"), ExpressionAttributeValues: values}),
			"ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"},
		{"Query: values with KeyConditions", query(dynamodb.QueryInput{KeyConditions: pk, ExpressionAttributeValues: values}),
			"ExpressionAttributeValues can only be specified when using expressions"},

		// ConditionalOperator needs two or more conditions.
		{"Scan: ConditionalOperator alone", scan(dynamodb.ScanInput{ConditionalOperator: "OR"}), "ConditionalOperator cannot be used without Filter or Expected"},
		{"Scan: ConditionalOperator, empty ScanFilter", scan(dynamodb.ScanInput{ConditionalOperator: "AND", ScanFilter: map[string]types.Condition{}}),
			"ConditionalOperator cannot be used without Filter or Expected"},
		{"Scan: ConditionalOperator, one condition", scan(dynamodb.ScanInput{ConditionalOperator: "AND", ScanFilter: map[string]types.Condition{"s": eq(avS("a"))}}),
			"ConditionalOperator can only be used when Filter or Expected has two or more elements"},
		{"Query: ConditionalOperator before the missing key condition", query(dynamodb.QueryInput{ConditionalOperator: "AND"}),
			"ConditionalOperator cannot be used without Filter or Expected"},
		{"Query: ConditionalOperator, one condition", query(dynamodb.QueryInput{KeyConditions: pk, ConditionalOperator: "AND", QueryFilter: map[string]types.Condition{"s": eq(avS("a"))}}),
			"ConditionalOperator can only be used when Filter or Expected has two or more elements"},
		{"PutItem: ConditionalOperator alone", put(dynamodb.PutItemInput{ConditionalOperator: "AND"}), "ConditionalOperator cannot be used without Filter or Expected"},
		{"PutItem: ConditionalOperator, one condition", put(dynamodb.PutItemInput{ConditionalOperator: "AND", Expected: one}),
			"ConditionalOperator can only be used when Filter or Expected has two or more elements"},
		{"DeleteItem: ConditionalOperator alone", del(dynamodb.DeleteItemInput{ConditionalOperator: "AND"}), "ConditionalOperator cannot be used without Filter or Expected"},
		{"UpdateItem: ConditionalOperator with AttributeUpdates", update(dynamodb.UpdateItemInput{ConditionalOperator: "AND",
			AttributeUpdates: map[string]types.AttributeValueUpdate{"s": {Value: avS("v")}}}), "ConditionalOperator cannot be used without Filter or Expected"},

		// Expected's shapes.
		{"Expected: Exists and ComparisonOperator", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(true), ComparisonOperator: "LT"}}}),
			"One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a"},
		{"Expected: Value and AttributeValueList", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Value: avS("a"), AttributeValueList: []types.AttributeValue{avS("a")}, ComparisonOperator: "LT"}}}),
			"One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: a"},
		{"Expected: AttributeValueList without ComparisonOperator", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {AttributeValueList: []types.AttributeValue{avS("a")}}}}),
			"One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"},
		{"Expected: AttributeValueList with Exists", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(true), AttributeValueList: []types.AttributeValue{avS("a")}}}}),
			"One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"},
		{"Expected: Value with Exists false", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(false), Value: avS("a")}}}),
			"One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"},
		{"Expected: nothing", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {}}}),
			"One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"},
		{"Expected: Exists true alone", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {Exists: aws.Bool(true)}}}),
			"One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"},
		{"Expected: ComparisonOperator alone", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {ComparisonOperator: "LT"}}}),
			"One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: LT for Attribute: a"},
		{"Expected: a Value for BETWEEN", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {ComparisonOperator: "BETWEEN", Value: avS("a")}}}),
			"One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"},
		{"Expected: a Value for NULL", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {ComparisonOperator: "NULL", Value: avS("a")}}}),
			"One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"},
		{"Expected: an empty AttributeValueList", put(dynamodb.PutItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {ComparisonOperator: "EQ", AttributeValueList: []types.AttributeValue{}}}}),
			"One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"},
		{"Expected: LT of a set", update(dynamodb.UpdateItemInput{Expected: map[string]types.ExpectedAttributeValue{"a": {ComparisonOperator: "LT", Value: avSS("a")}}}),
			"One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"},

		// Select against AttributesToGet and ProjectionExpression.
		{"Select ALL_ATTRIBUTES with AttributesToGet", scan(dynamodb.ScanInput{Select: types.SelectAllAttributes, AttributesToGet: []string{"s"}}),
			"Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES"},
		{"Select ALL_ATTRIBUTES with ProjectionExpression", scan(dynamodb.ScanInput{Select: types.SelectAllAttributes, ProjectionExpression: aws.String("s")}),
			"Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"},
		{"Select COUNT with AttributesToGet", query(dynamodb.QueryInput{KeyConditions: pk, Select: types.SelectCount, AttributesToGet: []string{"s"}}),
			"Cannot specify the AttributesToGet when choosing to get only the Count"},
		{"Select COUNT with ProjectionExpression", scan(dynamodb.ScanInput{Select: types.SelectCount, ProjectionExpression: aws.String("s")}),
			"Cannot specify the ProjectionExpression when choosing to get only the Count"},
		{"Select SPECIFIC_ATTRIBUTES alone", scan(dynamodb.ScanInput{Select: types.SelectSpecificAttributes}),
			"Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"},
		{"Select ALL_PROJECTED_ATTRIBUTES with AttributesToGet, before the missing index", scan(dynamodb.ScanInput{Select: types.SelectAllProjectedAttributes, AttributesToGet: []string{"s"}}),
			"Cannot specify the AttributesToGet when choosing to get ALL_PROJECTED_ATTRIBUTES"},
		{"GetItem: AttributesToGet twice", get(dynamodb.GetItemInput{AttributesToGet: []string{"s", "t", "s"}}),
			"One or more parameter values were invalid: Duplicate value in attribute name: s"},
		{"BatchGetItem: AttributesToGet twice", batchGet(types.KeysAndAttributes{AttributesToGet: []string{"s", "s"}}),
			"One or more parameter values were invalid: Duplicate value in attribute name: s"},
		{"Scan: AttributesToGet twice", scan(dynamodb.ScanInput{AttributesToGet: []string{"s", "s"}}),
			"One or more parameter values were invalid: Duplicate value in attribute name: s"},
		{"Query: AttributesToGet twice", query(dynamodb.QueryInput{KeyConditions: pk, AttributesToGet: []string{"s", "s"}}),
			"One or more parameter values were invalid: Duplicate value in attribute name: s"},
	}

	// The operands of each comparison: their number, their types, one type
	// for all, and a BETWEEN range in order.
	filter := func(op types.ComparisonOperator, v ...types.AttributeValue) func() error {
		return scan(dynamodb.ScanInput{ScanFilter: map[string]types.Condition{"s": {ComparisonOperator: op, AttributeValueList: v}}})
	}
	for op, counts := range map[types.ComparisonOperator][]int{
		"EQ": {0, 2}, "NE": {0, 2}, "LE": {0, 2}, "LT": {0, 2}, "GE": {0, 2}, "GT": {0, 2}, "CONTAINS": {0, 2}, "NOT_CONTAINS": {0, 2},
		"BEGINS_WITH": {0, 2}, "NULL": {1, 2}, "NOT_NULL": {1}, "IN": {0}, "BETWEEN": {0, 1, 3},
	} {
		for _, n := range counts {
			v := make([]types.AttributeValue, n)
			for i := range v {
				v[i] = avS("a")
			}
			rules = append(rules, rule{fmt.Sprintf("operands: %s with %d", op, n), filter(op, v...),
				fmt.Sprintf("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", op)})
		}
	}
	notValid := "One or more parameter values were invalid: ComparisonOperator %s is not valid for %s AttributeValue type"
	for _, tt := range []struct {
		op   types.ComparisonOperator
		v    []types.AttributeValue
		kind string
	}{
		{"LT", []types.AttributeValue{avSS("a")}, "SS"},
		{"LE", []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: true}}, "BOOL"},
		{"GT", []types.AttributeValue{&types.AttributeValueMemberNULL{Value: true}}, "NULL"},
		{"GE", []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}, "M"},
		{"IN", []types.AttributeValue{avL()}, "L"},
		{"BETWEEN", []types.AttributeValue{avNS("1"), avNS("2")}, "NS"},
		{"CONTAINS", []types.AttributeValue{avSS("a")}, "SS"},
		{"NOT_CONTAINS", []types.AttributeValue{avL()}, "L"},
		{"BEGINS_WITH", []types.AttributeValue{avN("1")}, "N"},
	} {
		rules = append(rules, rule{"types: " + string(tt.op) + " of " + tt.kind, filter(tt.op, tt.v...), fmt.Sprintf(notValid, tt.op, tt.kind)})
	}
	rules = append(rules,
		rule{"types: IN of two types", filter("IN", avS("a"), avN("1")),
			"One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"},
		rule{"BETWEEN out of order", filter("BETWEEN", avN("2"), avN("1")),
			"The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"},
	)

	for _, tt := range rules {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), "ValidationException", tt.message) })
	}

	// None of the refused writes wrote.
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: map[string]types.AttributeValue{"pk": avS("r"), "sk": avN("2")}})
	if err != nil || got.Item != nil {
		t.Errorf("a refused PutItem wrote %v (%v)", got.Item, err)
	}
}
