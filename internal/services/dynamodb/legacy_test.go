package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// The legacy parameters are checked against their expression equivalents:
// the same request in both forms, on the same data, must give the same
// answer.

func avS(s string) types.AttributeValue     { return &types.AttributeValueMemberS{Value: s} }
func avN(s string) types.AttributeValue     { return &types.AttributeValueMemberN{Value: s} }
func avB(b ...byte) types.AttributeValue    { return &types.AttributeValueMemberB{Value: b} }
func avSS(s ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: s} }
func avNS(s ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: s} }
func avL(v ...types.AttributeValue) types.AttributeValue {
	return &types.AttributeValueMemberL{Value: v}
}

// startLegacy starts Nimbus with the table "legacy" (pk S, sk N) holding
// items.
func startLegacy(t *testing.T, items ...map[string]types.AttributeValue) (*dynamodb.Client, context.Context) {
	t.Helper()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	createTable(t, c, "legacy")
	ctx := context.Background()
	for _, it := range items {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("legacy"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	return c, ctx
}

// withKey returns item with the key pk, sk added.
func withKey(pk string, sk int, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{"pk": avS(pk), "sk": avN(strconv.Itoa(sk))}
	for k, v := range item {
		out[k] = v
	}
	return out
}

// sortKeys returns the sort keys of items, in order.
func sortKeys(t *testing.T, items []map[string]types.AttributeValue) []int {
	t.Helper()
	out := []int{}
	for _, it := range items {
		n, err := strconv.Atoi(it["sk"].(*types.AttributeValueMemberN).Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// plain turns an item into Go values that cmp can compare.
func plain(t *testing.T, item map[string]types.AttributeValue) map[string]any {
	t.Helper()
	if item == nil {
		return nil
	}
	var out map[string]any
	if err := attributevalue.UnmarshalMap(item, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// placeholderValues names the operands of a condition :v0, :v1…
func placeholderValues(list []types.AttributeValue) map[string]types.AttributeValue {
	if len(list) == 0 {
		return nil
	}
	out := map[string]types.AttributeValue{}
	for i, v := range list {
		out[fmt.Sprintf(":v%d", i)] = v
	}
	return out
}

// filterItems are the items that TestLegacyFilters reads, in partition p.
var filterItems = []map[string]types.AttributeValue{
	withKey("p", 1, map[string]types.AttributeValue{"s": avS("apple"), "n": avN("5"), "bin": avB(1, 2, 3),
		"ss": avSS("a", "b"), "ns": avNS("1", "2"), "l": avL(avS("x"), avN("1"))}),
	withKey("p", 2, map[string]types.AttributeValue{"s": avS("banana"), "n": avN("10"), "bin": avB(2, 3),
		"ss": avSS("b", "c"), "l": avL(avS("y"))}),
	withKey("p", 3, map[string]types.AttributeValue{"s": avS("cherry"), "n": avN("15"), "ns": avNS("3")}),
	withKey("p", 4, map[string]types.AttributeValue{"s": avN("7"), "n": avS("10")}), // the types swapped
	withKey("p", 5, nil),
}

func TestLegacyFilters(t *testing.T) {
	t.Parallel()
	c, ctx := startLegacy(t, filterItems...)
	cond := func(op types.ComparisonOperator, v ...types.AttributeValue) types.Condition {
		return types.Condition{ComparisonOperator: op, AttributeValueList: v}
	}
	for _, tt := range []struct {
		name string
		attr string
		cond types.Condition
		expr string // the equivalent FilterExpression: #a for attr, :v0, :v1… for the values
		want []int
	}{
		{"EQ", "s", cond("EQ", avS("banana")), "#a = :v0", []int{2}},
		{"EQ of a set in another order", "ss", cond("EQ", avSS("b", "a")), "#a = :v0", []int{1}},
		{"EQ of a list", "l", cond("EQ", avL(avS("x"), avN("1"))), "#a = :v0", []int{1}},
		{"NE holds where the attribute is missing or of another type", "s", cond("NE", avS("banana")), "#a <> :v0", []int{1, 3, 4, 5}},
		{"LE", "n", cond("LE", avN("10")), "#a <= :v0", []int{1, 2}},
		{"LT", "n", cond("LT", avN("10")), "#a < :v0", []int{1}},
		{"GE", "n", cond("GE", avN("10")), "#a >= :v0", []int{2, 3}},
		{"GT", "n", cond("GT", avN("10")), "#a > :v0", []int{3}},
		{"GT of strings", "s", cond("GT", avS("b")), "#a > :v0", []int{2, 3}},
		{"LT of binaries", "bin", cond("LT", avB(2)), "#a < :v0", []int{1}},
		{"NOT_NULL", "bin", cond("NOT_NULL"), "attribute_exists(#a)", []int{1, 2}},
		{"NULL", "bin", cond("NULL"), "attribute_not_exists(#a)", []int{3, 4, 5}},
		{"CONTAINS a substring", "s", cond("CONTAINS", avS("an")), "contains(#a, :v0)", []int{2}},
		{"CONTAINS a set member", "ss", cond("CONTAINS", avS("b")), "contains(#a, :v0)", []int{1, 2}},
		{"CONTAINS a number set member", "ns", cond("CONTAINS", avN("2")), "contains(#a, :v0)", []int{1}},
		{"CONTAINS a list element", "l", cond("CONTAINS", avS("x")), "contains(#a, :v0)", []int{1}},
		{"CONTAINS a binary subsequence", "bin", cond("CONTAINS", avB(2, 3)), "contains(#a, :v0)", []int{1, 2}},
		{"NOT_CONTAINS holds where the attribute is missing", "ss", cond("NOT_CONTAINS", avS("a")), "NOT contains(#a, :v0)", []int{2, 3, 4, 5}},
		{"BEGINS_WITH", "s", cond("BEGINS_WITH", avS("b")), "begins_with(#a, :v0)", []int{2}},
		{"BEGINS_WITH of a binary", "bin", cond("BEGINS_WITH", avB(1)), "begins_with(#a, :v0)", []int{1}},
		{"IN", "s", cond("IN", avS("apple"), avS("cherry")), "#a IN (:v0, :v1)", []int{1, 3}},
		{"IN of numbers", "n", cond("IN", avN("7"), avN("10")), "#a IN (:v0, :v1)", []int{2}},
		{"BETWEEN", "n", cond("BETWEEN", avN("5"), avN("10")), "#a BETWEEN :v0 AND :v1", []int{1, 2}},
		{"BETWEEN of strings", "s", cond("BETWEEN", avS("b"), avS("d")), "#a BETWEEN :v0 AND :v1", []int{2, 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			names := map[string]string{"#a": tt.attr}
			values := placeholderValues(tt.cond.AttributeValueList)
			filter := map[string]types.Condition{tt.attr: tt.cond}
			scans := map[string]*dynamodb.ScanInput{
				"ScanFilter":       {ScanFilter: filter},
				"FilterExpression": {FilterExpression: aws.String(tt.expr), ExpressionAttributeNames: names, ExpressionAttributeValues: values},
			}
			for form, in := range scans {
				in.TableName = aws.String("legacy")
				out, err := c.Scan(ctx, in)
				if err != nil {
					t.Fatalf("Scan with %s: %v", form, err)
				}
				if d := cmp.Diff(tt.want, sortKeys(t, out.Items)); d != "" {
					t.Errorf("Scan with %s (-want +got):\n%s", form, d)
				}
			}
			queryValues := map[string]types.AttributeValue{":pk": avS("p")}
			for k, v := range values {
				queryValues[k] = v
			}
			queries := map[string]*dynamodb.QueryInput{
				"KeyConditions and QueryFilter": {QueryFilter: filter,
					KeyConditions: map[string]types.Condition{"pk": cond("EQ", avS("p"))}},
				"expressions": {KeyConditionExpression: aws.String("pk = :pk"), FilterExpression: aws.String(tt.expr),
					ExpressionAttributeNames: names, ExpressionAttributeValues: queryValues},
			}
			for form, in := range queries {
				in.TableName = aws.String("legacy")
				out, err := c.Query(ctx, in)
				if err != nil {
					t.Fatalf("Query with %s: %v", form, err)
				}
				if d := cmp.Diff(tt.want, sortKeys(t, out.Items)); d != "" || int(out.ScannedCount) != len(filterItems) {
					t.Errorf("Query with %s (ScannedCount %d) (-want +got):\n%s", form, out.ScannedCount, d)
				}
			}
		})
	}

	// Two conditions, joined by ConditionalOperator.
	two := map[string]types.Condition{"n": cond("GE", avN("10")), "ss": cond("CONTAINS", avS("b"))}
	for _, tt := range []struct {
		op   types.ConditionalOperator
		expr string
		want []int
	}{
		{"", "n >= :n AND contains(ss, :b)", []int{2}},
		{types.ConditionalOperatorAnd, "n >= :n AND contains(ss, :b)", []int{2}},
		{types.ConditionalOperatorOr, "n >= :n OR contains(ss, :b)", []int{1, 2, 3}},
	} {
		legacy, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("legacy"), ScanFilter: two, ConditionalOperator: tt.op})
		if err != nil {
			t.Fatal(err)
		}
		expr, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("legacy"), FilterExpression: aws.String(tt.expr),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": avN("10"), ":b": avS("b")}})
		if err != nil {
			t.Fatal(err)
		}
		if got, gotExpr := sortKeys(t, legacy.Items), sortKeys(t, expr.Items); !cmp.Equal(got, tt.want) || !cmp.Equal(gotExpr, tt.want) {
			t.Errorf("ConditionalOperator %q: ScanFilter %v, FilterExpression %v, want %v", tt.op, got, gotExpr, tt.want)
		}
	}
}

func TestLegacyExpected(t *testing.T) {
	t.Parallel()
	item := withKey("e", 1, map[string]types.AttributeValue{"s": avS("apple"), "n": avN("5"), "ss": avSS("a", "b")})
	c, ctx := startLegacy(t, item)
	exp := func(op types.ComparisonOperator, v ...types.AttributeValue) types.ExpectedAttributeValue {
		return types.ExpectedAttributeValue{ComparisonOperator: op, AttributeValueList: v}
	}
	value := func(v types.AttributeValue) types.ExpectedAttributeValue {
		return types.ExpectedAttributeValue{Value: v}
	}
	for _, tt := range []struct {
		name     string
		expected map[string]types.ExpectedAttributeValue
		op       types.ConditionalOperator
		expr     string
		values   map[string]types.AttributeValue
		holds    bool
	}{
		{"a Value", map[string]types.ExpectedAttributeValue{"s": value(avS("apple"))}, "", "s = :v", map[string]types.AttributeValue{":v": avS("apple")}, true},
		{"another Value", map[string]types.ExpectedAttributeValue{"s": value(avS("pear"))}, "", "s = :v", map[string]types.AttributeValue{":v": avS("pear")}, false},
		{"a Value of another type", map[string]types.ExpectedAttributeValue{"n": value(avS("5"))}, "", "n = :v", map[string]types.AttributeValue{":v": avS("5")}, false},
		{"a Value of a missing attribute", map[string]types.ExpectedAttributeValue{"zz": value(avS("x"))}, "", "zz = :v", map[string]types.AttributeValue{":v": avS("x")}, false},
		{"a Value with Exists true", map[string]types.ExpectedAttributeValue{"s": {Value: avS("apple"), Exists: aws.Bool(true)}}, "", "s = :v", map[string]types.AttributeValue{":v": avS("apple")}, true},
		{"Exists false, absent", map[string]types.ExpectedAttributeValue{"zz": {Exists: aws.Bool(false)}}, "", "attribute_not_exists(zz)", nil, true},
		{"Exists false, present", map[string]types.ExpectedAttributeValue{"s": {Exists: aws.Bool(false)}}, "", "attribute_not_exists(s)", nil, false},
		{"EQ", map[string]types.ExpectedAttributeValue{"n": exp("EQ", avN("5.0"))}, "", "n = :v", map[string]types.AttributeValue{":v": avN("5.0")}, true},
		{"a ComparisonOperator with Value", map[string]types.ExpectedAttributeValue{"n": {ComparisonOperator: "GE", Value: avN("5")}}, "", "n >= :v", map[string]types.AttributeValue{":v": avN("5")}, true},
		{"NE of a missing attribute", map[string]types.ExpectedAttributeValue{"zz": exp("NE", avS("x"))}, "", "zz <> :v", map[string]types.AttributeValue{":v": avS("x")}, true},
		{"NE of an equal value", map[string]types.ExpectedAttributeValue{"s": exp("NE", avS("apple"))}, "", "s <> :v", map[string]types.AttributeValue{":v": avS("apple")}, false},
		{"LE", map[string]types.ExpectedAttributeValue{"n": exp("LE", avN("5"))}, "", "n <= :v", map[string]types.AttributeValue{":v": avN("5")}, true},
		{"LT", map[string]types.ExpectedAttributeValue{"n": exp("LT", avN("5"))}, "", "n < :v", map[string]types.AttributeValue{":v": avN("5")}, false},
		{"GE", map[string]types.ExpectedAttributeValue{"n": exp("GE", avN("6"))}, "", "n >= :v", map[string]types.AttributeValue{":v": avN("6")}, false},
		{"GT", map[string]types.ExpectedAttributeValue{"s": exp("GT", avS("a"))}, "", "s > :v", map[string]types.AttributeValue{":v": avS("a")}, true},
		{"NOT_NULL", map[string]types.ExpectedAttributeValue{"s": exp("NOT_NULL")}, "", "attribute_exists(s)", nil, true},
		{"NULL", map[string]types.ExpectedAttributeValue{"s": exp("NULL")}, "", "attribute_not_exists(s)", nil, false},
		{"CONTAINS", map[string]types.ExpectedAttributeValue{"ss": exp("CONTAINS", avS("a"))}, "", "contains(ss, :v)", map[string]types.AttributeValue{":v": avS("a")}, true},
		{"NOT_CONTAINS", map[string]types.ExpectedAttributeValue{"ss": exp("NOT_CONTAINS", avS("a"))}, "", "NOT contains(ss, :v)", map[string]types.AttributeValue{":v": avS("a")}, false},
		{"NOT_CONTAINS of a missing attribute", map[string]types.ExpectedAttributeValue{"zz": exp("NOT_CONTAINS", avS("a"))}, "", "NOT contains(zz, :v)", map[string]types.AttributeValue{":v": avS("a")}, true},
		{"BEGINS_WITH", map[string]types.ExpectedAttributeValue{"s": exp("BEGINS_WITH", avS("ap"))}, "", "begins_with(s, :v)", map[string]types.AttributeValue{":v": avS("ap")}, true},
		{"IN", map[string]types.ExpectedAttributeValue{"s": exp("IN", avS("pear"), avS("apple"))}, "", "s IN (:a, :b)", map[string]types.AttributeValue{":a": avS("pear"), ":b": avS("apple")}, true},
		{"BETWEEN", map[string]types.ExpectedAttributeValue{"n": exp("BETWEEN", avN("1"), avN("4"))}, "", "n BETWEEN :a AND :b", map[string]types.AttributeValue{":a": avN("1"), ":b": avN("4")}, false},
		{"AND, one false", map[string]types.ExpectedAttributeValue{"s": value(avS("apple")), "n": exp("GT", avN("5"))}, "",
			"s = :s AND n > :n", map[string]types.AttributeValue{":s": avS("apple"), ":n": avN("5")}, false},
		{"OR, one false", map[string]types.ExpectedAttributeValue{"s": value(avS("apple")), "n": exp("GT", avN("5"))}, types.ConditionalOperatorOr,
			"s = :s OR n > :n", map[string]types.AttributeValue{":s": avS("apple"), ":n": avN("5")}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The item is put back as it is: only the condition matters.
			_, legacyErr := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("legacy"), Item: item,
				Expected: tt.expected, ConditionalOperator: tt.op})
			_, exprErr := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("legacy"), Item: item,
				ConditionExpression: aws.String(tt.expr), ExpressionAttributeValues: tt.values})
			for form, err := range map[string]error{"Expected": legacyErr, "ConditionExpression": exprErr} {
				t.Run(form, func(t *testing.T) {
					if tt.holds && err != nil {
						t.Errorf("%v, want success", err)
					}
					if !tt.holds {
						wantAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
					}
				})
			}
		})
	}

	// DeleteItem and UpdateItem take Expected too; a failed check returns
	// the item when asked.
	key := map[string]types.AttributeValue{"pk": avS("e"), "sk": avN("1")}
	_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("legacy"), Key: key,
		Expected: map[string]types.ExpectedAttributeValue{"s": value(avS("pear"))}, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || plain(t, ccf.Item)["s"] != "apple" {
		t.Errorf("DeleteItem with a false Expected = %v, want ConditionalCheckFailedException with the item", err)
	}
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("legacy"), Key: key,
		AttributeUpdates: map[string]types.AttributeValueUpdate{"s": {Value: avS("plum")}},
		Expected:         map[string]types.ExpectedAttributeValue{"s": value(avS("pear"))}})
	wantAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("legacy"), Key: key,
		Expected: map[string]types.ExpectedAttributeValue{"s": value(avS("apple"))}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("legacy"), Key: key}); got.Item != nil {
		t.Errorf("after a conditional delete, the item is %v", got.Item)
	}
}

func TestLegacyAttributeUpdates(t *testing.T) {
	t.Parallel()
	c, ctx := startLegacy(t)
	base := map[string]types.AttributeValue{"s": avS("a"), "n": avN("5"), "ss": avSS("a", "b"), "l": avL(avS("x")),
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": avN("1")}}}
	upd := func(action types.AttributeAction, v types.AttributeValue) types.AttributeValueUpdate {
		return types.AttributeValueUpdate{Action: action, Value: v}
	}
	for i, tt := range []struct {
		name    string
		fresh   bool // no item before the update
		updates map[string]types.AttributeValueUpdate
		expr    string
		values  map[string]types.AttributeValue
	}{
		{"PUT replaces", false, map[string]types.AttributeValueUpdate{"s": upd("PUT", avS("b"))}, "SET s = :v", map[string]types.AttributeValue{":v": avS("b")}},
		{"PUT is the default action", false, map[string]types.AttributeValueUpdate{"s": {Value: avS("b")}}, "SET s = :v", map[string]types.AttributeValue{":v": avS("b")}},
		{"PUT adds", false, map[string]types.AttributeValueUpdate{"z": upd("PUT", avN("1"))}, "SET z = :v", map[string]types.AttributeValue{":v": avN("1")}},
		{"DELETE without a value removes", false, map[string]types.AttributeValueUpdate{"s": upd("DELETE", nil)}, "REMOVE s", nil},
		{"DELETE of a missing attribute", false, map[string]types.AttributeValueUpdate{"zz": upd("DELETE", nil)}, "REMOVE zz", nil},
		{"DELETE of set members", false, map[string]types.AttributeValueUpdate{"ss": upd("DELETE", avSS("a", "q"))}, "DELETE ss :v", map[string]types.AttributeValue{":v": avSS("a", "q")}},
		{"DELETE of every member removes the set", false, map[string]types.AttributeValueUpdate{"ss": upd("DELETE", avSS("a", "b"))}, "DELETE ss :v", map[string]types.AttributeValue{":v": avSS("a", "b")}},
		{"ADD to a number", false, map[string]types.AttributeValueUpdate{"n": upd("ADD", avN("3"))}, "ADD n :v", map[string]types.AttributeValue{":v": avN("3")}},
		{"ADD of a negative number", false, map[string]types.AttributeValueUpdate{"n": upd("ADD", avN("-7.5"))}, "ADD n :v", map[string]types.AttributeValue{":v": avN("-7.5")}},
		{"ADD to a missing number starts from 0", false, map[string]types.AttributeValueUpdate{"z": upd("ADD", avN("3"))}, "ADD z :v", map[string]types.AttributeValue{":v": avN("3")}},
		{"ADD to a set", false, map[string]types.AttributeValueUpdate{"ss": upd("ADD", avSS("b", "c"))}, "ADD ss :v", map[string]types.AttributeValue{":v": avSS("b", "c")}},
		{"ADD of a set to a missing attribute", false, map[string]types.AttributeValueUpdate{"ns": upd("ADD", avNS("1"))}, "ADD ns :v", map[string]types.AttributeValue{":v": avNS("1")}},
		{"ADD to a list appends", false, map[string]types.AttributeValueUpdate{"l": upd("ADD", avL(avS("y")))}, "SET l = list_append(l, :v)", map[string]types.AttributeValue{":v": avL(avS("y"))}},
		{"ADD of a list to a missing attribute", false, map[string]types.AttributeValueUpdate{"zl": upd("ADD", avL(avS("y")))}, "SET zl = :v", map[string]types.AttributeValue{":v": avL(avS("y"))}},
		{"several actions", false, map[string]types.AttributeValueUpdate{"s": upd("PUT", avS("b")), "n": upd("ADD", avN("1")),
			"ss": upd("DELETE", avSS("a")), "m": upd("DELETE", nil)}, "SET s = :s REMOVE m ADD n :n DELETE ss :ss",
			map[string]types.AttributeValue{":s": avS("b"), ":n": avN("1"), ":ss": avSS("a")}},
		{"ADD creates a missing item", true, map[string]types.AttributeValueUpdate{"n": upd("ADD", avN("1"))}, "ADD n :v", map[string]types.AttributeValue{":v": avN("1")}},
		{"PUT creates a missing item", true, map[string]types.AttributeValueUpdate{"s": upd("PUT", avS("b"))}, "SET s = :v", map[string]types.AttributeValue{":v": avS("b")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got [2]map[string]any
			var updated [2]map[string]any
			for form := range 2 { // 0: AttributeUpdates, 1: UpdateExpression
				key := map[string]types.AttributeValue{"pk": avS("u"), "sk": avN(strconv.Itoa(2*i + form))}
				if !tt.fresh {
					if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("legacy"), Item: withKey("u", 2*i+form, base)}); err != nil {
						t.Fatal(err)
					}
				}
				in := &dynamodb.UpdateItemInput{TableName: aws.String("legacy"), Key: key, ReturnValues: types.ReturnValueUpdatedNew}
				if form == 0 {
					in.AttributeUpdates = tt.updates
				} else {
					in.UpdateExpression, in.ExpressionAttributeValues = aws.String(tt.expr), tt.values
				}
				out, err := c.UpdateItem(ctx, in)
				if err != nil {
					t.Fatalf("form %d: %v", form, err)
				}
				updated[form] = plain(t, out.Attributes)
				item, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("legacy"), Key: key})
				if err != nil {
					t.Fatal(err)
				}
				got[form] = plain(t, item.Item)
				delete(got[form], "sk")
			}
			if d := cmp.Diff(got[1], got[0]); d != "" {
				t.Errorf("item (-UpdateExpression +AttributeUpdates):\n%s", d)
			}
			if d := cmp.Diff(updated[1], updated[0]); d != "" {
				t.Errorf("UPDATED_NEW (-UpdateExpression +AttributeUpdates):\n%s", d)
			}
		})
	}

	// Refused updates leave the item as it was.
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("legacy"), Item: withKey("v", 1, base)}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		updates map[string]types.AttributeValueUpdate
		message string
	}{
		{"a key attribute", map[string]types.AttributeValueUpdate{"sk": upd("PUT", avN("2"))},
			"One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key"},
		{"PUT without a value", map[string]types.AttributeValueUpdate{"s": upd("PUT", nil)},
			"One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"},
		{"ADD without a value", map[string]types.AttributeValueUpdate{"s": upd("ADD", nil)},
			"One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"},
		{"DELETE of a string", map[string]types.AttributeValueUpdate{"s": upd("DELETE", avS("a"))},
			"One or more parameter values were invalid: DELETE action with value is not supported for the type S"},
		{"ADD of a string", map[string]types.AttributeValueUpdate{"s": upd("ADD", avS("a"))},
			"One or more parameter values were invalid: ADD action is not supported for the type S"},
		{"ADD of a map", map[string]types.AttributeValueUpdate{"m": upd("ADD", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}})},
			"One or more parameter values were invalid: ADD action is not supported for the type M"},
		{"ADD of a number to a string", map[string]types.AttributeValueUpdate{"s": upd("ADD", avN("1"))}, "Type mismatch for attribute to update"},
		{"ADD of a set to a number", map[string]types.AttributeValueUpdate{"n": upd("ADD", avSS("x"))}, "Type mismatch for attribute to update"},
		{"DELETE of a number set from a string set", map[string]types.AttributeValueUpdate{"ss": upd("DELETE", avNS("1"))}, "Type mismatch for attribute to update"},
		{"ADD of a list to a set", map[string]types.AttributeValueUpdate{"ss": upd("ADD", avL(avS("x")))}, "Type mismatch for attribute to update"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("legacy"),
				Key: map[string]types.AttributeValue{"pk": avS("v"), "sk": avN("1")}, AttributeUpdates: tt.updates})
			wantAPIError(t, err, "ValidationException", tt.message)
		})
	}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("legacy"), Key: map[string]types.AttributeValue{"pk": avS("v"), "sk": avN("1")}})
	if err != nil || !cmp.Equal(plain(t, got.Item), plain(t, withKey("v", 1, base))) {
		t.Errorf("after refused updates the item is %v (%v)", got.Item, err)
	}
}

// createKeyedTable creates a table keyed by pk (S) and, unless rng is "",
// a sort key rng of type rt, with a global index by-g keyed by g (S) and n
// (N) when withIndex.
func createKeyedTable(t *testing.T, c *dynamodb.Client, name, rng string, rt types.ScalarAttributeType, withIndex bool) {
	t.Helper()
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{keyElem("pk", types.KeyTypeHash)},
		AttributeDefinitions: []types.AttributeDefinition{attrDef("pk", types.ScalarAttributeTypeS)}}
	if rng != "" {
		in.KeySchema = append(in.KeySchema, keyElem(rng, types.KeyTypeRange))
		in.AttributeDefinitions = append(in.AttributeDefinitions, attrDef(rng, rt))
	}
	if withIndex {
		in.AttributeDefinitions = append(in.AttributeDefinitions, attrDef("g", types.ScalarAttributeTypeS), attrDef("n", types.ScalarAttributeTypeN))
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{IndexName: aws.String("by-g"),
			KeySchema:  []types.KeySchemaElement{keyElem("g", types.KeyTypeHash), keyElem("n", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
	}
	if _, err := c.CreateTable(context.Background(), in); err != nil {
		t.Fatalf("CreateTable %s: %v", name, err)
	}
}

func TestLegacyKeyConditions(t *testing.T) {
	t.Parallel()
	var items []map[string]types.AttributeValue
	for i := 1; i <= 10; i++ {
		items = append(items, withKey("p", i, map[string]types.AttributeValue{"g": avS("g"), "n": avN(strconv.Itoa(100 - i)), "odd": &types.AttributeValueMemberBOOL{Value: i%2 == 1}}))
	}
	items = append(items, withKey("q", 1, nil))
	c, ctx := startLegacy(t)
	createKeyedTable(t, c, "kc", "sk", types.ScalarAttributeTypeN, true)
	createKeyedTable(t, c, "kcs", "name", types.ScalarAttributeTypeS, false)
	createKeyedTable(t, c, "kch", "", "", false)
	for _, it := range items {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("kc"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"a1", "a2", "b1"} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("kcs"), Item: map[string]types.AttributeValue{"pk": avS("p"), "name": avS(name)}}); err != nil {
			t.Fatal(err)
		}
	}
	cond := func(op types.ComparisonOperator, v ...types.AttributeValue) types.Condition {
		return types.Condition{ComparisonOperator: op, AttributeValueList: v}
	}
	pkP := cond("EQ", avS("p"))
	// attrOf returns the attribute named a of each item, in order.
	attrOf := func(items []map[string]types.AttributeValue, a string) []string {
		out := []string{}
		for _, it := range items {
			switch v := it[a].(type) {
			case *types.AttributeValueMemberN:
				out = append(out, v.Value)
			case *types.AttributeValueMemberS:
				out = append(out, v.Value)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		legacy  dynamodb.QueryInput
		expr    dynamodb.QueryInput
		attr    string // the attribute compared, in the order read
		want    []string
		scanned int32
	}{
		{"partition only", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": cond("EQ", avS("q"))}},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("q")}},
			"sk", []string{"1"}, 1},
		{"EQ", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP, "sk": cond("EQ", avN("3"))}},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avN("3")}},
			"sk", []string{"3"}, 1},
		{"LE", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP, "sk": cond("LE", avN("3"))}},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk <= :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avN("3")}},
			"sk", []string{"1", "2", "3"}, 3},
		{"LT", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP, "sk": cond("LT", avN("3"))}},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk < :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avN("3")}},
			"sk", []string{"1", "2"}, 2},
		{"GE", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP, "sk": cond("GE", avN("8"))}},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk >= :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avN("8")}},
			"sk", []string{"8", "9", "10"}, 3},
		{"GT, backwards", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP, "sk": cond("GT", avN("8"))}, ScanIndexForward: aws.Bool(false)},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avN("8")}, ScanIndexForward: aws.Bool(false)},
			"sk", []string{"10", "9"}, 2},
		{"BETWEEN", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP, "sk": cond("BETWEEN", avN("4"), avN("6"))}},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :a AND :b"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avN("4"), ":b": avN("6")}},
			"sk", []string{"4", "5", "6"}, 3},
		{"with a Limit", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP}, Limit: aws.Int32(2)},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p")}, Limit: aws.Int32(2)},
			"sk", []string{"1", "2"}, 2},
		{"with a QueryFilter", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP, "sk": cond("LE", avN("4"))},
			QueryFilter: map[string]types.Condition{"odd": cond("EQ", &types.AttributeValueMemberBOOL{Value: true})}},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk <= :a"), FilterExpression: aws.String("odd = :t"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avN("4"), ":t": &types.AttributeValueMemberBOOL{Value: true}}},
			"sk", []string{"1", "3"}, 4},
		{"with a FilterExpression, which KeyConditions mixes with", dynamodb.QueryInput{KeyConditions: map[string]types.Condition{"pk": pkP, "sk": cond("LE", avN("4"))},
			FilterExpression: aws.String("odd = :t"), ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}},
			dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk <= :a"), FilterExpression: aws.String("odd = :t"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avN("4"), ":t": &types.AttributeValueMemberBOOL{Value: true}}},
			"sk", []string{"1", "3"}, 4},
		{"on a global index", dynamodb.QueryInput{IndexName: aws.String("by-g"), KeyConditions: map[string]types.Condition{"g": cond("EQ", avS("g")), "n": cond("GT", avN("97"))}},
			dynamodb.QueryInput{IndexName: aws.String("by-g"), KeyConditionExpression: aws.String("g = :g AND n > :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": avS("g"), ":n": avN("97")}},
			"n", []string{"98", "99"}, 2},
		{"BEGINS_WITH", dynamodb.QueryInput{TableName: aws.String("kcs"), KeyConditions: map[string]types.Condition{"pk": pkP, "name": cond("BEGINS_WITH", avS("a"))}},
			dynamodb.QueryInput{TableName: aws.String("kcs"), KeyConditionExpression: aws.String("pk = :p AND begins_with(#n, :a)"),
				ExpressionAttributeNames: map[string]string{"#n": "name"}, ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("p"), ":a": avS("a")}},
			"name", []string{"a1", "a2"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for form, in := range map[string]*dynamodb.QueryInput{"KeyConditions": &tt.legacy, "KeyConditionExpression": &tt.expr} {
				if in.TableName == nil {
					in.TableName = aws.String("kc")
				}
				out, err := c.Query(ctx, in)
				if err != nil {
					t.Fatalf("with %s: %v", form, err)
				}
				if got := attrOf(out.Items, tt.attr); !cmp.Equal(got, tt.want) || out.ScannedCount != tt.scanned {
					t.Errorf("with %s: %v (ScannedCount %d), want %v (%d)", form, got, out.ScannedCount, tt.want, tt.scanned)
				}
			}
		})
	}

	for _, tt := range []struct {
		name    string
		table   string
		index   *string
		conds   map[string]types.Condition
		filter  map[string]types.Condition
		message string
	}{
		{"a partition key condition other than EQ", "kc", nil, map[string]types.Condition{"pk": cond("LT", avS("p"))}, nil, "Query key condition not supported"},
		{"a condition beside the partition key's, without a sort key", "kch", nil, map[string]types.Condition{"pk": pkP, "x": cond("EQ", avS("x"))}, nil, "Query key condition not supported"},
		{"no partition key condition", "kc", nil, map[string]types.Condition{"sk": cond("EQ", avN("1"))}, nil, "Query condition missed key schema element: pk"},
		{"a condition on another attribute", "kc", nil, map[string]types.Condition{"pk": pkP, "x": cond("EQ", avS("x"))}, nil, "Query condition missed key schema element: sk"},
		{"the table's key on an index", "kc", aws.String("by-g"), map[string]types.Condition{"pk": pkP}, nil, "Query condition missed key schema element: g"},
		{"NE on the sort key", "kc", nil, map[string]types.Condition{"pk": pkP, "sk": cond("NE", avN("1"))}, nil, "Attempted conditional constraint is not an indexable operation"},
		{"IN on the partition key", "kc", nil, map[string]types.Condition{"pk": cond("IN", avS("p"))}, nil, "Attempted conditional constraint is not an indexable operation"},
		{"NULL on the sort key", "kc", nil, map[string]types.Condition{"pk": pkP, "sk": cond("NULL")}, nil, "Attempted conditional constraint is not an indexable operation"},
		{"a value of another type than the key's", "kc", nil, map[string]types.Condition{"pk": cond("EQ", avN("1"))}, nil,
			"One or more parameter values were invalid: Condition parameter type does not match schema type"},
		{"three conditions", "kc", nil, map[string]types.Condition{"pk": pkP, "sk": cond("EQ", avN("1")), "x": cond("NULL")}, nil, "Conditions can be of length 1 or 2 only"},
		{"no condition", "kc", nil, map[string]types.Condition{}, nil, "Conditions can be of length 1 or 2 only"},
		{"no value", "kc", nil, map[string]types.Condition{"pk": cond("EQ")}, nil,
			"One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"},
		{"BEGINS_WITH a number", "kc", nil, map[string]types.Condition{"pk": pkP, "sk": cond("BEGINS_WITH", avN("1"))}, nil,
			"One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"},
		{"a QueryFilter on the sort key", "kc", nil, map[string]types.Condition{"pk": pkP}, map[string]types.Condition{"sk": cond("GT", avN("1"))},
			"QueryFilter can only contain non-primary key attributes: Primary key attribute: sk"},
		{"a QueryFilter on the partition key", "kc", nil, map[string]types.Condition{"pk": pkP}, map[string]types.Condition{"pk": cond("NOT_NULL")},
			"QueryFilter can only contain non-primary key attributes: Primary key attribute: pk"},
		{"a QueryFilter on an index key", "kc", aws.String("by-g"), map[string]types.Condition{"g": cond("EQ", avS("g"))}, map[string]types.Condition{"n": cond("NOT_NULL")},
			"QueryFilter can only contain non-primary key attributes: Primary key attribute: n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tt.table), IndexName: tt.index, KeyConditions: tt.conds, QueryFilter: tt.filter})
			wantAPIError(t, err, "ValidationException", tt.message)
		})
	}
	_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("kc")})
	wantAPIError(t, err, "ValidationException", "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
}

func TestLegacyAttributesToGet(t *testing.T) {
	t.Parallel()
	item := withKey("g", 1, map[string]types.AttributeValue{"s": avS("a"), "n": avN("1"), "ss": avSS("x"),
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": avN("1")}}})
	c, ctx := startLegacy(t, item, withKey("g", 2, map[string]types.AttributeValue{"s": avS("b")}))
	key := map[string]types.AttributeValue{"pk": avS("g"), "sk": avN("1")}
	table := aws.String("legacy")
	attrs := []string{"s", "m", "zz"}
	projection := aws.String("s, m, zz")
	same := func(what string, legacy, expr any) {
		t.Helper()
		if d := cmp.Diff(expr, legacy); d != "" {
			t.Errorf("%s (-ProjectionExpression +AttributesToGet):\n%s", what, d)
		}
	}

	g1, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, AttributesToGet: attrs})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ProjectionExpression: projection})
	if err != nil {
		t.Fatal(err)
	}
	same("GetItem", plain(t, g1.Item), plain(t, g2.Item))
	if len(g1.Item) != 2 {
		t.Errorf("GetItem with AttributesToGet = %v, want s and m", g1.Item)
	}

	b1, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"legacy": {Keys: []map[string]types.AttributeValue{key}, AttributesToGet: attrs}}})
	if err != nil {
		t.Fatal(err)
	}
	b2, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"legacy": {Keys: []map[string]types.AttributeValue{key}, ProjectionExpression: projection}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b1.Responses["legacy"]) != 1 || len(b2.Responses["legacy"]) != 1 {
		t.Fatalf("BatchGetItem = %v and %v", b1.Responses, b2.Responses)
	}
	same("BatchGetItem", plain(t, b1.Responses["legacy"][0]), plain(t, b2.Responses["legacy"][0]))

	plainAll := func(items []map[string]types.AttributeValue) []map[string]any {
		out := []map[string]any{}
		for _, it := range items {
			out = append(out, plain(t, it))
		}
		return out
	}
	for _, sel := range []types.Select{"", types.SelectSpecificAttributes} {
		q1, err := c.Query(ctx, &dynamodb.QueryInput{TableName: table, Select: sel, AttributesToGet: attrs,
			KeyConditions: map[string]types.Condition{"pk": {ComparisonOperator: "EQ", AttributeValueList: []types.AttributeValue{avS("g")}}}})
		if err != nil {
			t.Fatal(err)
		}
		q2, err := c.Query(ctx, &dynamodb.QueryInput{TableName: table, Select: sel, ProjectionExpression: projection,
			KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("g")}})
		if err != nil {
			t.Fatal(err)
		}
		same("Query", plainAll(q1.Items), plainAll(q2.Items))
		s1, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: table, Select: sel, AttributesToGet: attrs})
		if err != nil {
			t.Fatal(err)
		}
		s2, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: table, Select: sel, ProjectionExpression: projection})
		if err != nil {
			t.Fatal(err)
		}
		same("Scan", plainAll(s1.Items), plainAll(s2.Items))
		if len(s1.Items) != 2 || len(s1.Items[1]) != 1 {
			t.Errorf("Scan with AttributesToGet = %v", s1.Items)
		}
	}
}
