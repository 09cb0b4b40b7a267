package expr

import (
	"errors"
	"strings"
	"testing"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

func mustVal(t testing.TB, v attr.Value, err error) attr.Value {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func num(t testing.TB, s string) attr.Value { v, err := attr.Number(s); return mustVal(t, v, err) }
func ss(t testing.TB, m ...string) attr.Value {
	v, err := attr.StringSet(m...)
	return mustVal(t, v, err)
}
func ns(t testing.TB, m ...string) attr.Value {
	v, err := attr.NumberSet(m...)
	return mustVal(t, v, err)
}

// errMessage returns the DynamoDB message of err, "" for nil.
func errMessage(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae *attr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is %T, not *attr.Error", err, err)
	}
	return ae.Message
}

func testItem(t testing.TB) attr.Item {
	return attr.Item{
		"id":   attr.String("abc"),
		"n":    num(t, "5"),
		"s":    attr.String("hello"),
		"b":    attr.Binary([]byte("xyz")),
		"flag": attr.Bool(true),
		"nul":  attr.Null(),
		"tags": ss(t, "red", "blue"),
		"nums": ns(t, "1", "2"),
		"lst":  attr.List(attr.String("a"), num(t, "2"), attr.Map(attr.Item{"x": num(t, "1")})),
		"m":    attr.Map(attr.Item{"k": attr.String("v"), "in2": attr.Map(attr.Item{"deep": num(t, "7")})}),
		"emp":  attr.String(""),
	}
}

func testValues(t testing.TB) Values {
	return Values{
		":five": num(t, "5"), ":one": num(t, "1"), ":ten": num(t, "10"),
		":hello": attr.String("hello"), ":he": attr.String("he"), ":red": attr.String("red"),
		":S": attr.String("S"), ":SS": attr.String("SS"), ":L": attr.String("L"), ":bad": attr.String("STRING"),
		":a": attr.String("a"), ":z": attr.String("z"), ":xy": attr.Binary([]byte("xy")),
		":seven": num(t, "7"), ":three": num(t, "3"), ":list": attr.List(attr.String("q")),
		":tags": ss(t, "green"), ":nums": ns(t, "2", "3"), ":true": attr.Bool(true), ":null": attr.Null(),
		":map": attr.Map(attr.Item{}), ":two": num(t, "2"),
	}
}

func TestConditionEval(t *testing.T) {
	t.Parallel()
	item := testItem(t)
	names := Names{"#s": "status", "#n": "n", "#inner": "in2", "#dot": "a.b"}
	tests := []struct {
		expr string
		want bool
	}{
		{"n = :five", true},
		{"n <> :five", false},
		{"n < :ten", true},
		{"n <= :five", true},
		{"n > :five", false},
		{"n >= :one", true},
		{"s = :hello", true},
		{"s < :z", true},
		{"#n = :five", true},
		{"absent = :five", false},
		{"absent <> :five", true},
		{"absent < :five", false},
		{"s < :five", false}, // different types
		{"n BETWEEN :one AND :ten", true},
		{"n BETWEEN :seven AND :ten", false},
		{"s BETWEEN :a AND :z", true},
		{"n IN (:one, :five)", true},
		{"n IN (:one, :ten)", false},
		{"attribute_exists(n)", true},
		{"attribute_exists(absent)", false},
		{"attribute_not_exists(absent)", true},
		{"attribute_exists(m.in2.deep)", true},
		{"attribute_exists(m.#inner.nope)", false},
		{"attribute_exists(lst[2].x)", true},
		{"attribute_exists(lst[3])", false},
		{"attribute_exists(#s)", false},
		{"attribute_exists(#dot)", false},
		{"attribute_type(s, :S)", true},
		{"attribute_type(tags, :SS)", true},
		{"attribute_type(lst, :L)", true},
		{"attribute_type(n, :S)", false},
		{"begins_with(s, :he)", true},
		{"begins_with(s, :a)", false},
		{"begins_with(b, :xy)", true},
		{"begins_with(n, :he)", false},
		{"contains(s, :he)", true},
		{"contains(tags, :red)", true},
		{"contains(tags, :a)", false},
		{"contains(lst, :a)", true},
		{"contains(lst, :two)", true},
		{"contains(nums, :two)", true},
		{"size(s) = :five", true},
		{"size(tags) = :two", true},
		{"size(lst) > :two", true},
		{"size(m) = :two", true},
		{"size(n) = :one", false},
		{"size(absent) = :one", false},
		{"size(emp) < :one", true},
		{"m.in2.deep = :seven", true},
		{"lst[1] = :two", true},
		{"lst[2].x = :one", true},
		{"NOT n = :five", false},
		{"not n = :one", true},
		{"n = :five AND s = :hello", true},
		{"n = :one OR s = :hello", true},
		{"n = :one AND s = :hello", false},
		// NOT binds tighter than AND, AND tighter than OR.
		{"n = :one AND s = :a OR s = :hello", true},
		{"n = :one AND (s = :a OR s = :hello)", false},
		{"s = :hello OR n = :one AND s = :a", true},
		{"(s = :hello OR n = :one) AND s = :a", false},
		{"NOT n = :one AND n = :five", true},
		{"NOT (n = :five AND s = :a)", true},
		{"NOT NOT n = :five", true},
		{"((n = :five))", true},
		{"(n) = :five", true},
		{"n=:five and(s=:hello)", true},
		{"flag = :true", true},
		{"nul = :null", true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			c, err := ParseCondition(tt.expr, names, testValues(t), nil)
			if err != nil {
				t.Fatalf("ParseCondition: %v", err)
			}
			got, err := c.Eval(item)
			if err != nil || got != tt.want {
				t.Errorf("Eval = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestConditionErrors(t *testing.T) {
	t.Parallel()
	names := Names{"#a": "a", "#b": "b"}
	tests := []struct {
		expr, want string
	}{
		{"", "Invalid ConditionExpression: The expression can not be empty;"},
		{"a = = b", `Invalid ConditionExpression: Syntax error; token: "=", near: "= = b"`},
		{"foo", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "foo"`},
		{"attribute_not_exists(", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("`},
		{"contains (a, :one", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":one"`},
		{"a = :one extra", `Invalid ConditionExpression: Syntax error; token: "extra", near: ":one extra"`},
		{"a ! :one", `Invalid ConditionExpression: Syntax error; token: "!", near: "a ! :one"`},
		{"a[x] = :one", `Invalid ConditionExpression: Syntax error; token: "x", near: "[x]"`},
		{"status = :one", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"},
		{"a.Size = :one", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Size"},
		{"#x = :one", "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"},
		{"a = :x", "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x"},
		{"foo(a)", "Invalid ConditionExpression: Invalid function name; function: foo"},
		{"size(a)", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"},
		{"attribute_exists(a) = :one", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"attribute_exists(a, b)", "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
		{"begins_with(a)", "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: begins_with, number of operands: 1"},
		{"attribute_exists(:one)", "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"},
		{"begins_with(a, :one)", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"attribute_type(a, :one)", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
		{"attribute_type(a, :bad)", "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
		{"size(:one) = :one", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"},
		{"a = a", "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{"contains(#a, a)", "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [a]"},
		{"a between :z and :a", "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:z}, upper bound operand: AttributeValue: {S:a}"},
		{"a between :ten and :one", "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}"},
		{"a between :a and :one", "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {S:a}, upper bound operand: AttributeValue: {N:1}"},
		{"a IN (" + strings.Repeat(":one, ", 100) + ":one)", "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"},
		{"a = :one OR " + strings.Repeat(" ", 4090) + "b = :one", "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4110"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			_, err := ParseCondition(tt.expr, names, testValues(t), nil)
			if got := errMessage(t, err); got != tt.want {
				t.Errorf("error = %q\nwant    %q", got, tt.want)
			}
		})
	}
	if _, err := ParseFilter("a =", nil, nil, nil); errMessage(t, err) != `Invalid FilterExpression: Syntax error; token: "<EOF>", near: "="` {
		t.Errorf("ParseFilter error = %v", err)
	}
	if _, err := ParseCondition("a = :one"+strings.Repeat(" ", 4096-len("a = :one")), nil, testValues(t), nil); err != nil {
		t.Errorf("a 4,096-byte expression: %v", err)
	}
	if _, err := ParseCondition("a IN ("+strings.Repeat(":one, ", 99)+":one)", nil, testValues(t), nil); err != nil {
		t.Errorf("IN with 100 operands: %v", err)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	names := Names{"#a": "a", "#b": "b", "#c": "c"}
	values := Values{":a": attr.String("a"), ":b": attr.String("b"), ":c": attr.String("c")}
	var u Usage
	if _, err := ParseCondition("#a = :a", names, values, &u); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseUpdate("SET x = :b", names, values, &u); err != nil {
		t.Fatal(err)
	}
	if got, want := errMessage(t, u.Check(names, values)), "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b, #c}"; got != want {
		t.Errorf("Check = %q, want %q", got, want)
	}
	if _, err := ParseProjection("#b, #c", names, &u); err != nil {
		t.Fatal(err)
	}
	if got, want := errMessage(t, u.Check(names, values)), "Value provided in ExpressionAttributeValues unused in expressions: keys: {:c}"; got != want {
		t.Errorf("Check = %q, want %q", got, want)
	}
	if _, err := ParseKeyCondition("pk = :c", names, values, &u, "pk", ""); err != nil {
		t.Fatal(err)
	}
	if err := u.Check(names, values); err != nil {
		t.Errorf("Check = %v, want nil", err)
	}
}
