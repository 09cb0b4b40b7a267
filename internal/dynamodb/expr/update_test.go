package expr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// js renders an item as JSON for diffs.
func js(t testing.TB, it attr.Item) string {
	t.Helper()
	b, err := attr.AppendItemJSON(nil, it)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUpdateApply(t *testing.T) {
	t.Parallel()
	base := func(t testing.TB) attr.Item {
		return attr.Item{
			"id":   attr.String("k"),
			"n":    num(t, "5"),
			"l":    attr.List(attr.String("a"), attr.String("b"), attr.String("c"), attr.String("d")),
			"m":    attr.Map(attr.Item{"x": num(t, "1"), "l": attr.List(num(t, "1"))}),
			"tags": ss(t, "red", "blue"),
			"nums": ns(t, "1", "2"),
			"s":    attr.String("str"),
		}
	}
	tests := []struct {
		name, expr string
		names      Names
		item       func(testing.TB) attr.Item
		want       func(testing.TB) attr.Item // nil: only check wantErr
		wantErr    string
	}{
		{name: "set value", expr: "SET a = :one", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["a"] = num(t, "1")
			return it
		}},
		{name: "set plus", expr: "set n = n + :one", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["n"] = num(t, "6")
			return it
		}},
		{name: "set minus", expr: "SET n = n - :ten", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["n"] = num(t, "-5")
			return it
		}},
		{name: "set copy and nested", expr: "SET a = m.x, m.y = :two, l[1] = :a, m.l[5] = :two", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["a"] = num(t, "1")
			it["m"] = attr.Map(attr.Item{"x": num(t, "1"), "y": num(t, "2"), "l": attr.List(num(t, "1"), num(t, "2"))})
			it["l"] = attr.List(attr.String("a"), attr.String("a"), attr.String("c"), attr.String("d"))
			return it
		}},
		{name: "if_not_exists", expr: "SET a = if_not_exists(a, :one), n = if_not_exists(n, :ten)", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["a"] = num(t, "1")
			return it
		}},
		{name: "if_not_exists plus", expr: "SET c = if_not_exists(c, :ten) + :one", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["c"] = num(t, "11")
			return it
		}},
		{name: "list_append", expr: "SET l = list_append(:list, l), m.l = list_append(m.l, :list)", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["l"] = attr.List(attr.String("q"), attr.String("a"), attr.String("b"), attr.String("c"), attr.String("d"))
			it["m"] = attr.Map(attr.Item{"x": num(t, "1"), "l": attr.List(num(t, "1"), attr.String("q"))})
			return it
		}},
		{name: "values read before writes", expr: "SET a = n, n = :one", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["a"] = num(t, "5")
			it["n"] = num(t, "1")
			return it
		}},
		{name: "remove", expr: "REMOVE s, m.x, nothing, m.nothing", want: func(t testing.TB) attr.Item {
			it := base(t)
			delete(it, "s")
			it["m"] = attr.Map(attr.Item{"l": attr.List(num(t, "1"))})
			return it
		}},
		{name: "remove list elements by original index", expr: "REMOVE l[0], l[2], l[9]", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["l"] = attr.List(attr.String("b"), attr.String("d"))
			return it
		}},
		{name: "add number", expr: "ADD n :one, fresh :ten", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["n"] = num(t, "6")
			it["fresh"] = num(t, "10")
			return it
		}},
		{name: "add sets", expr: "ADD tags :tags, nums :nums, newset :tags", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["tags"] = ss(t, "red", "blue", "green")
			it["nums"] = ns(t, "1", "2", "3")
			it["newset"] = ss(t, "green")
			return it
		}},
		{name: "delete", expr: "DELETE nums :nums, nope :nums", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["nums"] = ns(t, "1")
			return it
		}},
		{name: "delete to empty removes", expr: "DELETE tags :rb", want: func(t testing.TB) attr.Item {
			it := base(t)
			delete(it, "tags")
			return it
		}},
		{name: "all clauses any order, case-insensitive", expr: "delete nums :nums add n :one remove s set a = :a", want: func(t testing.TB) attr.Item {
			it := base(t)
			it["nums"] = ns(t, "1")
			it["n"] = num(t, "6")
			delete(it, "s")
			it["a"] = attr.String("a")
			return it
		}},
		{name: "placeholders", expr: "SET #st = :a", names: Names{"#st": "status"}, want: func(t testing.TB) attr.Item {
			it := base(t)
			it["status"] = attr.String("a")
			return it
		}},
		{name: "absent item", expr: "SET a = :one ADD c :one", item: func(testing.TB) attr.Item { return nil }, want: func(t testing.TB) attr.Item {
			return attr.Item{"a": num(t, "1"), "c": num(t, "1")}
		}},
		// Runtime errors.
		{name: "missing operand", expr: "SET a = nope", wantErr: "The provided expression refers to an attribute that does not exist in the item"},
		{name: "missing in list_append", expr: "SET a = list_append(nope, :list)", wantErr: "The provided expression refers to an attribute that does not exist in the item"},
		{name: "plus on string", expr: "SET a = s + :one", wantErr: "An operand in the update expression has an incorrect data type"},
		{name: "list_append of non-list", expr: "SET a = list_append(s, :list)", wantErr: "An operand in the update expression has an incorrect data type"},
		{name: "add number to set", expr: "ADD tags :one", wantErr: "An operand in the update expression has an incorrect data type"},
		{name: "add set to number", expr: "ADD n :tags", wantErr: "An operand in the update expression has an incorrect data type"},
		{name: "delete wrong set type", expr: "DELETE tags :nums", wantErr: "An operand in the update expression has an incorrect data type"},
		{name: "set under missing", expr: "SET nope.a = :one", wantErr: "The document path provided in the update expression is invalid for update"},
		{name: "set index of map", expr: "SET m[0] = :one", wantErr: "The document path provided in the update expression is invalid for update"},
		{name: "set member of string", expr: "SET s.a = :one", wantErr: "The document path provided in the update expression is invalid for update"},
		{name: "remove under missing", expr: "REMOVE nope.a", wantErr: "The document path provided in the update expression is invalid for update"},
		{name: "remove index of map", expr: "REMOVE m[1]", wantErr: "The document path provided in the update expression is invalid for update"},
		{name: "add under missing", expr: "ADD nope.a :one", wantErr: "The document path provided in the update expression is invalid for update"},
		{name: "delete under string", expr: "DELETE s.a :tags", wantErr: "The document path provided in the update expression is invalid for update"},
		{name: "overflow", expr: "SET n = :big + :big", wantErr: "Number overflow. Attempting to store a number with magnitude larger than supported range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			values := testValues(t)
			values[":rb"] = ss(t, "red", "blue")
			values[":big"] = num(t, "9e125")
			u, err := ParseUpdate(tt.expr, tt.names, values, nil)
			if err != nil {
				t.Fatalf("ParseUpdate: %v", err)
			}
			item := base(t)
			if tt.item != nil {
				item = tt.item(t)
			}
			before := js(t, item)
			got, err := u.Apply(item)
			if msg := errMessage(t, err); msg != tt.wantErr {
				t.Fatalf("Apply error = %q, want %q", msg, tt.wantErr)
			}
			if js(t, item) != before {
				t.Errorf("Apply modified its input")
			}
			if tt.want != nil {
				if diff := cmp.Diff(js(t, tt.want(t)), js(t, got)); diff != "" {
					t.Errorf("Apply (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestUpdateErrors(t *testing.T) {
	t.Parallel()
	names := Names{"#c": "c", "#d": "[3]", "#a": "a"}
	tests := []struct{ expr, want string }{
		{"", "Invalid UpdateExpression: The expression can not be empty;"},
		{"whatever", `Invalid UpdateExpression: Syntax error; token: "whatever", near: "whatever"`},
		{"set a", `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "a"`},
		{"SET a = :one,", `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ","`},
		{"set a b", `Invalid UpdateExpression: Syntax error; token: "b", near: "a b"`},
		{"remove a = b", `Invalid UpdateExpression: Syntax error; token: "=", near: "a = b"`},
		{"add a b", `Invalid UpdateExpression: Syntax error; token: "b", near: "a b"`},
		{"delete a", `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "a"`},
		{"set :a = b", `Invalid UpdateExpression: Syntax error; token: ":a", near: "set :a ="`},
		{"set a = b * c", `Invalid UpdateExpression: Syntax error; token: "*", near: "b * c"`},
		{"set a = b + c + d", `Invalid UpdateExpression: Syntax error; token: "+", near: "c + d"`},
		{"set a[1] = 1", `Invalid UpdateExpression: Syntax error; token: "1", near: "= 1"`},
		{"set a = :a set b = :a", `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
		{"remove a set b = :a REMOVE c", `Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;`},
		{"add a :one add b :one", `Invalid UpdateExpression: The "ADD" section can only be used once in an update expression;`},
		{"delete a :tags delete b :tags", `Invalid UpdateExpression: The "DELETE" section can only be used once in an update expression;`},
		{"set #c = :c set abOrt = :a", `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
		{" remove Absolute ", "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: Absolute"},
		{"SET status = :a", "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"},
		{"SET #x = :a", "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #x"},
		{"SET #a = if_not_exists(a, :x)", "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :x"},
		{"set #c = if_not_exist(a, :a)", "Invalid UpdateExpression: Invalid function name; function: if_not_exist"},
		{"set a = if_not_exists(c)", "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"},
		{"set a = list_append(c)", "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: list_append, number of operands: 1"},
		{"set a = if_not_exists(:a, c)", "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"},
		{"set a = list_append(:a, a)", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"},
		{"set a = list_append(a, :map)", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: M"},
		{"set a = a + :a", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"},
		{"set a = :tags - a", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: -, operand type: SS"},
		{"add a.b :a", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
		{"add a.b :list", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST"},
		{"add a.b :true", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: BOOLEAN"},
		{"delete a.b :one", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"},
		{"delete a.b :null", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NULL"},
		{"SET a = :one REMOVE a.b", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{"set d[1] = a, d.b = a, c[1].a = a, #c = if_not_exists(a, :a)", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]"},
		{"set #c[3].#d = a, #c[3] = a", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3]]"},
		{"SET a = :one, a = :two", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"set #c[3].#d = a, #c.#d[3] = if_not_exists(a, :a)", "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3], [3]]"},
		{"remove a.#c set a[1] = #d", "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, c], path two: [a, [1]]"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			_, err := ParseUpdate(tt.expr, names, testValues(t), nil)
			if got := errMessage(t, err); got != tt.want {
				t.Errorf("error = %q\nwant    %q", got, tt.want)
			}
		})
	}
}
