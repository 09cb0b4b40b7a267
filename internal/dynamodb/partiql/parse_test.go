package partiql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// show renders a statement compactly, positions left out, for the tables
// below.
func show(st Statement) string {
	switch st := st.(type) {
	case *Select:
		var b strings.Builder
		b.WriteString("SELECT ")
		if st.Projection == nil {
			b.WriteString("*")
		}
		for i, p := range st.Projection {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(showExpr(p))
		}
		b.WriteString(" FROM " + st.Table)
		if st.Index != "" {
			b.WriteString("." + st.Index)
		}
		if st.Where != nil {
			b.WriteString(" WHERE " + showExpr(st.Where))
		}
		for _, k := range st.OrderBy {
			fmt.Fprintf(&b, " ORDER %s desc=%v", k.Name, k.Desc)
		}
		return b.String()
	case *Insert:
		return "INSERT " + st.Table + " " + showExpr(st.Item)
	case *Update:
		var acts []string
		for _, a := range st.Actions {
			if a.Remove {
				acts = append(acts, "REMOVE "+showExpr(a.Path))
			} else {
				acts = append(acts, "SET "+showExpr(a.Path)+"="+showExpr(a.Value))
			}
		}
		s := "UPDATE " + st.Table + " " + strings.Join(acts, ",")
		if st.Where != nil {
			s += " WHERE " + showExpr(st.Where)
		}
		if st.Returning != ReturnNone {
			s += " RETURNING " + st.Returning.String()
		}
		return s
	case *Delete:
		s := "DELETE " + st.Table + " WHERE " + showExpr(st.Where)
		if st.Returning != ReturnNone {
			s += " RETURNING " + st.Returning.String()
		}
		return s
	case *Exists:
		return "EXISTS(" + show(st.Select) + ")"
	}
	return "?"
}

func showExprs(es []Expr) string {
	var s []string
	for _, e := range es {
		s = append(s, showExpr(e))
	}
	return strings.Join(s, ",")
}

func showExpr(e Expr) string {
	switch e := e.(type) {
	case nil:
		return "<nil>"
	case *Path:
		return "$" + e.String()
	case *Literal:
		switch e.Kind {
		case LitString:
			return "'" + e.Text + "'"
		case LitMissing:
			return "MISSING"
		}
		return e.Text
	case *Param:
		return fmt.Sprintf("?%d", e.N)
	case *Binary:
		return "(" + showExpr(e.L) + " " + e.Op + " " + showExpr(e.R) + ")"
	case *Not:
		return "(NOT " + showExpr(e.X) + ")"
	case *Neg:
		return "-" + showExpr(e.X)
	case *Between:
		return fmt.Sprintf("(%s BETWEEN%s %s %s)", showExpr(e.X), map[bool]string{true: "!"}[e.Not], showExpr(e.Lo), showExpr(e.Hi))
	case *In:
		return fmt.Sprintf("(%s IN%s %s)", showExpr(e.X), map[bool]string{true: "!"}[e.Not], showExpr(e.Set))
	case *Is:
		return fmt.Sprintf("(%s IS%s %s)", showExpr(e.X), map[bool]string{true: "!"}[e.Not], e.Type)
	case *Call:
		return e.Name + "(" + showExprs(e.Args) + ")"
	case *List:
		return "[" + showExprs(e.Elems) + "]"
	case *Bag:
		return "<<" + showExprs(e.Elems) + ">>"
	case *Tuple:
		var s []string
		for _, f := range e.Fields {
			s = append(s, showExpr(f.Key)+":"+showExpr(f.Value))
		}
		return "{" + strings.Join(s, ",") + "}"
	}
	return "?"
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, in, want string
		params         int
	}{
		{"select star", `SELECT * FROM "Music"`, "SELECT * FROM Music", 0},
		{"lower case and semicolon", `select * from Music where Artist = 'a';`, "SELECT * FROM Music WHERE ($Artist = 'a')", 0},
		{"index", `SELECT a, b.c[1].d FROM "T"."by-x" WHERE x = ?`, "SELECT $a,$b.c[1].d FROM T.by-x WHERE ($x = ?0)", 1},
		{"comments", "-- lead\nSELECT * /* mid */ FROM t", "SELECT * FROM t", 0},
		{"and binds tighter than or", `SELECT * FROM t WHERE a = 1 OR b = 2 AND NOT c = 3`,
			"SELECT * FROM t WHERE (($a = 1) OR (($b = 2) AND (NOT ($c = 3))))", 0},
		{"in lists", `SELECT * FROM t WHERE pk IN ['a', ?] AND x NOT IN (1, 2) AND y IN ?`,
			"SELECT * FROM t WHERE ((($pk IN ['a',?0]) AND ($x IN! [1,2])) AND ($y IN ?1))", 2},
		{"between and functions", `SELECT * FROM t WHERE sk BETWEEN 1 AND 5 AND begins_with("s", 'x') AND size(l) > 2 AND EXISTS(a)`,
			"SELECT * FROM t WHERE (((($sk BETWEEN 1 5) AND begins_with($s,'x')) AND (size($l) > 2)) AND exists($a))", 0},
		{"is", `SELECT * FROM t WHERE a IS MISSING AND b IS NOT NULL AND c IS BOOL AND d IS DOUBLE PRECISION`,
			"SELECT * FROM t WHERE (((($a IS MISSING) AND ($b IS! NULL)) AND ($c IS BOOLEAN)) AND ($d IS DOUBLE_PRECISION))", 0},
		{"not equal spellings", `SELECT * FROM t WHERE a != 1 AND b <> -2.5e3`, "SELECT * FROM t WHERE (($a <> 1) AND ($b <> -2.5e3))", 0},
		{"order by", `SELECT * FROM t WHERE pk = 1 ORDER BY sk DESC, pk`, "SELECT * FROM t WHERE ($pk = 1) ORDER sk desc=true ORDER pk desc=false", 0},
		{"quoted names keep case and quotes", `SELECT "a""b" FROM "t" WHERE "key" = 'it''s'`, `SELECT $a"b FROM t WHERE ($key = 'it's')`, 0},
		{"insert", `INSERT INTO "Music" value {'Artist': ?, 'n': 1.50, 'l': [true, null], 'm': {'x': <<'a','b'>>}}`,
			"INSERT Music {'Artist':?0,'n':1.50,'l':[true,null],'m':{'x':<<'a','b'>>}}", 1},
		{"update", `UPDATE t SET a = ?, b = b + 1 REMOVE c, d[0] SET e = list_append(e, [1]) WHERE pk = 'x' RETURNING MODIFIED NEW *`,
			"UPDATE t SET $a=?0,SET $b=($b + 1),REMOVE $c,REMOVE $d[0],SET $e=list_append($e,[1]) WHERE ($pk = 'x') RETURNING MODIFIED NEW *", 1},
		{"delete", `DELETE FROM t WHERE pk = ? AND sk = ? RETURNING ALL OLD *`, "DELETE t WHERE (($pk = ?0) AND ($sk = ?1)) RETURNING ALL OLD *", 2},
		{"exists", `EXISTS(SELECT * FROM t WHERE pk = 'a' AND x > 1)`, "EXISTS(SELECT * FROM t WHERE (($pk = 'a') AND ($x > 1)))", 0},
		{"size is a function keyword", `SELECT * FROM t WHERE SIZE(a) = 1`, "SELECT * FROM t WHERE (size($a) = 1)", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, show(st)); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if st.Params() != tt.params {
				t.Errorf("Params() = %d, want %d", st.Params(), tt.params)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const m = MsgMalformed
	for _, tt := range []struct{ name, in, want string }{
		{"leftover token", `SELECT * FROM "N" WHERE pk = 1 foo`, m + "Unexpected token after expression"},
		{"split exponent", `SELECT * FROM "N" WHERE pk = 1 e5`, m + "Unexpected token after expression"},
		{"stray paren", `SELECT * FROM "N" WHERE pk = 1)`, m + "Unexpected token after expression"},
		{"order by on delete", `DELETE FROM "N" WHERE pk = 1 ORDER BY pk`, m + "Unexpected token after expression"},
		{"order by before where", `SELECT * FROM "N" ORDER BY pk WHERE pk = 1`, m + "Unexpected token after expression"},
		{"insert alias", `INSERT INTO "S" t VALUE {'pk': 'x'}`, m + "Unexpected token after expression"},
		{"huge exponent", `SELECT * FROM "N" WHERE pk = 1e2147483648`, m},
		{"huge scale", `SELECT * FROM "N" WHERE pk = 1.5e-2147483647`, m},
		{"hash comment", `SELECT * FROM "N" WHERE pk = 1 # note`, m},
		{"open block comment", `SELECT * FROM "N" WHERE pk = 1 /* note`, m},
		{"open quote", `SELECT * FROM "N`, m},
		{"select alias", `SELECT * FROM "S" t WHERE pk = 'x'`, "Aliasing is not supported"},
		{"select as alias", `SELECT * FROM "S" AS t WHERE pk = 'x'`, "Aliasing is not supported"},
		{"update alias", `UPDATE "S" t SET a = 3 WHERE pk = 'x'`, "Aliasing is not supported"},
		{"delete alias", `DELETE FROM "S" t WHERE pk = 'x'`, "Aliasing is not supported"},
		{"projection alias", `SELECT s AS x FROM t`, "Aliasing is not supported"},
		{"where at end", `SELECT * FROM "S" WHERE`, m + "Unexpected term"},
		{"where semicolon", `SELECT * FROM "S" WHERE;`, m + "Unexpected term"},
		{"where not", `SELECT * FROM "S" WHERE NOT`, m + "Unexpected term"},
		{"where paren", `SELECT * FROM "S" WHERE (`, m + "Unexpected term"},
		{"update where at end", `UPDATE "S" SET a = 1 WHERE`, m + "Unexpected term"},
		{"delete where at end", `DELETE FROM "S" WHERE`, m + "Unexpected term"},
		{"ends in and", `SELECT * FROM "S" WHERE pk = 'p1' AND`, m + "Missing right-hand side expression of infix operator"},
		{"ends in or", `SELECT * FROM "S" WHERE pk = 'p1' OR`, m + "Missing right-hand side expression of infix operator"},
		{"where order by", `SELECT * FROM "S" WHERE ORDER BY pk`, m + "Unexpected keyword"},
		{"reserved word", `SELECT * FROM t WHERE pad = 'none'`, m + "Unexpected keyword"},
		{"is not a type", `SELECT * FROM "S" WHERE pk = 'a' AND x IS FOO`, m + "Expected type name"},
		{"is where a term starts", `SELECT * FROM "S" WHERE IS NULL`, m + "Unexpected operator"},
		{"like as operand", `SELECT * FROM "S" WHERE pk = LIKE`, m + "Unexpected operator"},
		{"delete from nothing", `DELETE FROM`, m + "Expected identifier for simple path"},
		{"delete from semicolon", `DELETE FROM;`, m + "Expected identifier for simple path"},
		{"delete from where", `DELETE FROM WHERE pk = 'a'`, m + "Expected identifier for simple path"},
		{"select from nothing", `SELECT * FROM`, m + "Unexpected term"},
		{"not a statement", `SLECT * FROM "T" WHERE pk = 'x'`, m + "Expected data manipulation"},
		{"keyword after dot", `SELECT * FROM t WHERE pk = 'a' AND attribute_exists(m.inner)`, m + "Invalid path dot component"},
		{"three components", `SELECT * FROM "t"."i"."x" WHERE pk = 'p'`, "A path may contain at most 2 components in the FROM clause"},
		{"empty index", `SELECT * FROM "t"."" WHERE pk = 'p'`, "Path component cannot be an empty string"},
		{"empty table", `SELECT * FROM "" WHERE pk = 'p'`, "Path component cannot be an empty string"},
		{"function projection", `SELECT attribute_exists(ss) FROM "T" WHERE pk = 'x'`, "Unexpected path component at 1:8:16"},
		{"limit", `SELECT id FROM dbimp_page LIMIT 5`, "Unsupported clause: LIMIT at 1:33:1"},
		{"distinct", `SELECT DISTINCT a FROM t`, "Unsupported token in expression: DISTINCT"},
		{"star and more", `SELECT *, a FROM t`, "Other attributes should not be present in the projection when '*' is used."},
		{"two tables", `SELECT * FROM a, b`, "Only select from a single table or index is supported."},
		{"delete returning modified", `DELETE FROM "T" WHERE pk = 'x' RETURNING MODIFIED OLD *`,
			"Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in DELETE statements."},
		{"delete returning all new", `DELETE FROM "T" WHERE pk = 'x' RETURNING ALL NEW *`,
			"Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements."},
		{"returning without star", `UPDATE t SET a = 1 WHERE pk = 1 RETURNING ALL NEW`,
			"Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"},
		{"insert returning", `INSERT INTO t VALUE {'pk': 1} RETURNING ALL OLD *`, "RETURNING is not supported in INSERT"},
		{"insert a list", `INSERT INTO t VALUE ['pk']`, msgItemFormat},
		{"two columns with one name", `SELECT s, m.s FROM t WHERE pk = 't1'`, "Duplicate identifiers in select clause: s"},
		{"wildcard", `SELECT a[*].b FROM t`, "Wildcard path component like a[*].b are not supported"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			pe, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse(%q) = %v, want *Error %q", tt.in, err, tt.want)
			}
			if pe.Message != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", tt.in, pe.Message, tt.want)
			}
		})
	}
}
