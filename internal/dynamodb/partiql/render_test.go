package partiql

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
)

func mustNumber(t testing.TB, s string) attr.Value {
	t.Helper()
	v, err := attr.Number(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func where(t *testing.T, stmt string) Expr {
	t.Helper()
	st, err := Parse(stmt)
	if err != nil {
		t.Fatalf("Parse(%q): %v", stmt, err)
	}
	return st.(*Select).Where
}

func TestRenderCondition(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, where, want string
		params            []attr.Value
		names             map[string]string
		values            map[string]attr.Value
	}{
		{name: "comparison", where: "a.b[2] >= 5", want: "#n0.#n1[2] >= :v0",
			names: map[string]string{"#n0": "a", "#n1": "b"}, values: map[string]attr.Value{":v0": mustNumber(t, "5")}},
		{name: "names are shared", where: "a = ? AND (a <> 'x' OR b < 1)", params: []attr.Value{attr.Bool(true)},
			want:   "#n0 = :v0 AND (#n0 <> :v1 OR #n1 < :v2)",
			names:  map[string]string{"#n0": "a", "#n1": "b"},
			values: map[string]attr.Value{":v0": attr.Bool(true), ":v1": attr.String("x"), ":v2": mustNumber(t, "1")}},
		{name: "not of and", where: "NOT (a = 1 AND b = 2)", want: "NOT (#n0 = :v0 AND #n1 = :v1)"},
		{name: "is missing", where: "a IS MISSING AND b IS NOT MISSING", want: "attribute_not_exists(#n0) AND attribute_exists(#n1)"},
		{name: "is types", where: "a IS NULL AND b IS NOT STRING", want: "attribute_type(#n0, :v0) AND NOT attribute_type(#n1, :v1)",
			values: map[string]attr.Value{":v0": attr.String("NULL"), ":v1": attr.String("S")}},
		{name: "in list", where: "a IN [1, 2] AND b NOT IN ?", params: []attr.Value{attr.List(attr.String("x"))},
			want: "#n0 IN (:v0, :v1) AND NOT #n1 IN (:v2)"},
		{name: "between and functions", where: "a BETWEEN 1 AND 2 AND begins_with(s, 'x') AND size(l) > 1 AND contains(ss, 'q')",
			want: "#n0 BETWEEN :v0 AND :v1 AND begins_with(#n1, :v2) AND size(#n2) > :v3 AND contains(#n3, :v4)"},
		{name: "negative number", where: "a = -5", want: "#n0 = :v0", values: map[string]attr.Value{":v0": mustNumber(t, "-5")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Renderer{Params: tt.params}
			got, err := r.Condition(where(t, "SELECT * FROM t WHERE "+tt.where))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Condition = %q, want %q", got, tt.want)
			}
			if tt.names != nil {
				if diff := cmp.Diff(tt.names, r.Names); diff != "" {
					t.Errorf("Names (-want +got):\n%s", diff)
				}
			}
			if tt.values != nil {
				if diff := cmp.Diff(tt.values, r.Values, cmp.Comparer(attr.Equal)); diff != "" {
					t.Errorf("Values (-want +got):\n%s", diff)
				}
			}
			var used expr.Usage
			if _, err := expr.ParseCondition(got, r.Names, r.Values, &used); err != nil {
				t.Errorf("the rendered condition does not compile: %v", err)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, stmt, want string
		params           []attr.Value
	}{
		{"exists is not a condition function", `SELECT * FROM t WHERE pk = 'a' AND EXISTS(ss)`, "Unrecognized function: exists at 1:36:6", nil},
		{"set_add in a where", `SELECT * FROM t WHERE pk = 'a' AND set_add(ss, <<'x'>>) = ss`, "Unrecognized function: set_add at 1:36:7", nil},
		{"missing compared", `SELECT * FROM t WHERE a = MISSING`, "MISSING must be compared using IS operator", nil},
		{"not a boolean", `SELECT * FROM t WHERE a`, "WHERE clause must contain an expression that resolves to a boolean", nil},
		{"ordering a bool", `SELECT pk FROM t WHERE pk = 'x' AND val < ?`,
			"Incorrect operand type for operator or function; operator or function: <, operand type: BOOL", []attr.Value{attr.Bool(true)}},
		{"number overflow", `SELECT * FROM t WHERE pk = 1e126`,
			"Number overflow. Attempting to store a number with magnitude larger than supported range under root", nil},
		{"number underflow", `SELECT * FROM t WHERE pk = 1e-131`,
			"Number underflow. Attempting to store a number with magnitude smaller than supported range under root", nil},
		{"39 digits", `SELECT * FROM t WHERE pk = 123456789012345678901234567890123456789`,
			"Attempting to store more than 38 significant digits in a Number under root", nil},
		{"empty in", `SELECT * FROM t WHERE a IN []`, msgInOperands, nil},
		{"is on a literal", `SELECT * FROM t WHERE 1 IS NULL`, msgIsOperand, nil},
		{"is integer", `SELECT * FROM t WHERE a IS INTEGER`,
			"Unsupported data type for IS operator: INTEGER. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]", nil},
		{"too few parameters", `SELECT * FROM t WHERE a = ? AND b = ?`, "Number of parameters in request and statement don't match.", []attr.Value{attr.Null()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Renderer{Params: tt.params}
			st, err := Parse(tt.stmt)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Condition(st.(*Select).Where)
			if pe, ok := err.(*Error); !ok || pe.Message != tt.want {
				t.Errorf("Condition = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRenderUpdate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, stmt, want, err string }{
		{name: "set remove add delete", stmt: `UPDATE t SET a = 1, b = b + 2 REMOVE c SET s = set_add(s, <<'x'>>), n = set_delete(n, <<1>>), l = list_append(l, [1]) WHERE pk = 1`,
			want: "SET #n0 = :v0, #n1 = #n1 + :v1, #n5 = list_append(#n5, :v4) REMOVE #n2 ADD #n3 :v2 DELETE #n4 :v3"},
		{name: "nested target", stmt: `UPDATE t SET a.b[1] = 'x' WHERE pk = 1`, want: "SET #n0.#n1[1] = :v0"},
		{name: "set_add to another attribute", stmt: `UPDATE "T" SET t = set_add(ss, <<'x'>>) WHERE pk = 'k'`,
			err: "The first argument to SET_ADD must equal the assignment value at 1:20:7"},
		{name: "set_add of a string", stmt: `UPDATE "T" SET ss = set_add(ss, 'x') WHERE pk = 'k'`,
			err: "The second argument to SET_ADD must be a value with type SET at 1:29:2"},
		{name: "set_add of one argument", stmt: `UPDATE "T" SET ss = set_add(ss) WHERE pk = 'k'`,
			err: "SET_ADD must have exactly two arguments at 1:21:7"},
		{name: "set_delete of a list", stmt: `UPDATE "T" SET ss = set_delete(ss, ['a']) WHERE pk = 'k'`,
			err: "The second argument to SET_DELETE must be a value with type SET at 1:32:2"},
		{name: "duplicate bag member", stmt: `UPDATE "T" SET ss = set_add(ss, <<'x', 'x'>>) WHERE pk = 'k'`,
			err: "One or more parameter values were invalid: Input collection [x, x] contains duplicates."},
		{name: "empty bag", stmt: `UPDATE "T" SET ss = set_add(ss, <<>>) WHERE pk = 'k'`, err: "Empty bags are not supported"},
		{name: "mixed bag", stmt: `UPDATE "T" SET ss = <<'a', 1>> WHERE pk = 'k'`, err: msgBagType},
		{name: "underflow in set", stmt: `UPDATE "N" SET a = 1e-131 WHERE pk = 970005`,
			err: "Number underflow. Attempting to store a number with magnitude smaller than supported range under root"},
		{name: "is in update", stmt: `UPDATE "N" SET a = b IS NULL WHERE pk = 1`, err: "IS operator is not supported in update expressions"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.stmt)
			if err != nil {
				t.Fatal(err)
			}
			r := &Renderer{}
			got, err := r.Update(st.(*Update).Actions)
			if tt.err != "" {
				if pe, ok := err.(*Error); !ok || pe.Message != tt.err {
					t.Errorf("Update = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Update = %q, want %q", got, tt.want)
			}
			if _, err := expr.ParseUpdate(got, r.Names, r.Values, &expr.Usage{}); err != nil {
				t.Errorf("the rendered update does not compile: %v", err)
			}
		})
	}
}

func TestItem(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, stmt, want, err string }{
		{name: "every literal", stmt: `INSERT INTO t VALUE {'s': 'x', 'n': 1.50, 'b': true, 'z': null, 'l': [1, 'a'], 'm': {'k': -2}, 'ss': <<'a','b'>>, 'ns': <<1, 2>>}`,
			want: `{"b":{"BOOL":true},"l":{"L":[{"N":"1"},{"S":"a"}]},"m":{"M":{"k":{"N":"-2"}}},"n":{"N":"1.5"},"ns":{"NS":["1","2"]},"s":{"S":"x"},"ss":{"SS":["a","b"]},"z":{"NULL":true}}`},
		{name: "overflow in a map", stmt: `INSERT INTO "N" VALUE {'pk': 970006, 'm': {'x': 1e126}}`,
			err: "Number overflow. Attempting to store a number with magnitude larger than supported range under root.x"},
		{name: "overflow in a list", stmt: `INSERT INTO "N" VALUE {'pk': 970007, 'l': [1, 1e126]}`,
			err: "Number overflow. Attempting to store a number with magnitude larger than supported range under root[1]"},
		{name: "function in an item", stmt: `INSERT INTO "T" VALUE {'pk': 'x', 'ss': set_add(<<'a'>>, <<'b'>>)}`,
			err: "Unsupported data type: set_add under key root at 1:41:7"},
		{name: "duplicate key", stmt: `INSERT INTO t VALUE {'a': 1, 'a': 2}`, err: "Duplicate keys in tuple. Key: a under root"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.stmt)
			if err != nil {
				t.Fatal(err)
			}
			item, err := Item(st.(*Insert).Item, nil)
			if tt.err != "" {
				if pe, ok := err.(*Error); !ok || pe.Message != tt.err {
					t.Errorf("Item = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := item.MarshalJSON()
			if string(b) != tt.want {
				t.Errorf("Item = %s, want %s", b, tt.want)
			}
		})
	}
}
