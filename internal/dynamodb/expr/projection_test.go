package expr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

func TestProjection(t *testing.T) {
	t.Parallel()
	item := testItem(t)
	names := Names{"#s": "s", "#m": "m"}
	tests := []struct {
		expr string
		want attr.Item
	}{
		{"id", attr.Item{"id": attr.String("abc")}},
		{"id, #s, absent", attr.Item{"id": attr.String("abc"), "s": attr.String("hello")}},
		{"#m.k", attr.Item{"m": attr.Map(attr.Item{"k": attr.String("v")})}},
		{"m.in2.deep, m.k", attr.Item{"m": attr.Map(attr.Item{"k": attr.String("v"), "in2": attr.Map(attr.Item{"deep": num(t, "7")})})}},
		{"lst[2].x, lst[0], lst[7]", attr.Item{"lst": attr.List(attr.String("a"), attr.Map(attr.Item{"x": num(t, "1")}))}},
		{"m.nope, s.x, n[0]", attr.Item{}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			paths, err := ParseProjection(tt.expr, names, nil)
			if err != nil {
				t.Fatalf("ParseProjection: %v", err)
			}
			if diff := cmp.Diff(js(t, tt.want), js(t, Project(item, paths))); diff != "" {
				t.Errorf("Project (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, want string }{
		{"", "Invalid ProjectionExpression: The expression can not be empty;"},
		{"a,", `Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","`},
		{"a b", `Invalid ProjectionExpression: Syntax error; token: "b", near: "a b"`},
		{"a, :v", `Invalid ProjectionExpression: Syntax error; token: ":v", near: ", :v"`},
		{"a, name", "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"},
		{"a, #x", "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"},
		{"a, a.b", "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{"a.b, a[0]", "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			_, err := ParseProjection(tt.expr, nil, nil)
			if got := errMessage(t, err); got != tt.want {
				t.Errorf("error = %q\nwant    %q", got, tt.want)
			}
		})
	}
}

func TestKeyCondition(t *testing.T) {
	t.Parallel()
	names := Names{"#pk": "pk"}
	tests := []struct {
		expr    string
		want    *KeyCondition
		wantErr string
	}{
		{expr: "pk = :a", want: &KeyCondition{PartitionName: "pk", PartitionValue: attr.String("a")}},
		{expr: "#pk = :a AND sk BETWEEN :one AND :ten", want: &KeyCondition{PartitionName: "pk", PartitionValue: attr.String("a"), SortName: "sk", SortOp: "BETWEEN"}},
		{expr: "sk >= :one and #pk = :a", want: &KeyCondition{PartitionName: "pk", PartitionValue: attr.String("a"), SortName: "sk", SortOp: ">="}},
		{expr: ":one < sk and pk = :a", want: &KeyCondition{PartitionName: "pk", PartitionValue: attr.String("a"), SortName: "sk", SortOp: ">"}},
		{expr: "pk = :a AND begins_with(sk, :he)", want: &KeyCondition{PartitionName: "pk", PartitionValue: attr.String("a"), SortName: "sk", SortOp: "begins_with"}},
		{expr: "(pk = :a) AND (sk = :a)", want: &KeyCondition{PartitionName: "pk", PartitionValue: attr.String("a"), SortName: "sk", SortOp: "="}},
		{expr: "pk = :a OR sk = :a", wantErr: "Invalid operator used in KeyConditionExpression: OR"},
		{expr: "NOT pk = :a", wantErr: "Invalid operator used in KeyConditionExpression: NOT"},
		{expr: "pk IN (:a)", wantErr: "Invalid operator used in KeyConditionExpression: IN"},
		{expr: "pk <> :a", wantErr: "Invalid operator used in KeyConditionExpression: <>"},
		{expr: "pk = :a AND attribute_exists(sk)", wantErr: "Invalid operator used in KeyConditionExpression: attribute_exists"},
		{expr: "pk = :a AND sk = :a AND sk = :he", wantErr: "Conditions can be of length 1 or 2 only"},
		{expr: "pk = :a AND pk = :he", wantErr: "KeyConditionExpressions must only contain one condition per key"},
		{expr: "sk = :a", wantErr: "Query condition missed key schema element: pk"},
		{expr: "pk < :a", wantErr: "Query key condition not supported"},
		{expr: "pk = :a AND zz = :a", wantErr: "Query key condition not supported"},
		{expr: "pk = sk", wantErr: "Query key condition not supported"},
		{expr: "pk = :a AND sk BETWEEN :ten AND :one", wantErr: "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}"},
		{expr: "pk = ", wantErr: `Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "="`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			got, err := ParseKeyCondition(tt.expr, names, testValues(t), nil, "pk", "sk")
			if msg := errMessage(t, err); msg != tt.wantErr {
				t.Fatalf("error = %q\nwant    %q", msg, tt.wantErr)
			}
			if tt.want == nil {
				return
			}
			if got.PartitionName != tt.want.PartitionName || !attr.Equal(got.PartitionValue, tt.want.PartitionValue) ||
				got.SortName != tt.want.SortName || got.SortOp != tt.want.SortOp {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestKeyConditionMatch(t *testing.T) {
	t.Parallel()
	v := testValues(t)
	tests := []struct {
		expr string
		sort attr.Value
		want bool
	}{
		{"pk = :a", attr.String("x"), true},
		{"pk = :a AND sk BETWEEN :one AND :ten", num(t, "5"), true},
		{"pk = :a AND sk BETWEEN :one AND :ten", num(t, "11"), false},
		{"pk = :a AND sk < :five", num(t, "5"), false},
		{"pk = :a AND sk <= :five", num(t, "5"), true},
		{"pk = :a AND begins_with(sk, :he)", attr.String("hello"), true},
		{"pk = :a AND begins_with(sk, :he)", attr.String("xhe"), false},
		{"pk = :a AND sk = :five", attr.String("5"), false},
	}
	for _, tt := range tests {
		kc, err := ParseKeyCondition(tt.expr, nil, v, nil, "pk", "sk")
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		if got := kc.Match(tt.sort); got != tt.want {
			t.Errorf("%s: Match(%v) = %v, want %v", tt.expr, tt.sort, got, tt.want)
		}
	}
}
