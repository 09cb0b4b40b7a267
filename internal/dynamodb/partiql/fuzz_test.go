package partiql

import (
	"strings"
	"testing"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/expr"
)

// fuzzSeeds are statements of every kind, well formed and not, from the
// tables above and DynamoDB's documentation.
var fuzzSeeds = []string{
	`SELECT * FROM "Music" WHERE Artist = 'Acme Band' AND SongTitle = 'PartiQL Rocks'`,
	`SELECT OrderID, Total FROM "Orders" WHERE OrderID IN [100, 300, 234]`,
	`SELECT * FROM "Orders" WHERE OrderID = 100 OR OrderID = 200`,
	`SELECT a.b[1].c, d FROM "T"."idx" WHERE x = ? AND y BETWEEN 1 AND ? ORDER BY x DESC`,
	`SELECT * FROM t WHERE a IS NOT MISSING AND b IS NULL AND NOT begins_with(s, 'x') AND size(l) > 2`,
	`SELECT * FROM t WHERE attribute_type(a, 'S') OR contains(ss, ?) AND c <> -1.5e3`,
	`INSERT INTO "Music" value {'Artist' : 'Acme Band','SongTitle' : 'PartiQL Rocks', 'l': [1, <<'a'>>, {'m': null}]}`,
	`UPDATE "Music" SET AwardsWon=1 SET AwardDetail={'Grammys':[2020, 2018]} WHERE Artist='Acme Band' AND SongTitle='PartiQL Rocks'`,
	`UPDATE t SET a = a + 1, l = list_append(l, [?]) REMOVE b[0] SET s = set_add(s, <<'x'>>) WHERE pk = ? RETURNING MODIFIED OLD *`,
	`DELETE FROM "Music" WHERE "Artist" = 'Acme Band' AND "SongTitle" = 'PartiQL Rocks' RETURNING ALL OLD *`,
	`EXISTS(SELECT * FROM "Music" WHERE "Artist" = 'Acme Band' AND "SongTitle" = 'PartiQL Rocks' AND "Awards" > 1)`,
	`SELECT * FROM "S" WHERE pk = 'p1' AND`, `SELECT * FROM t LIMIT 5`, `DELETE FROM`, `SELECT * FROM "t"."i"."x"`,
	"-- c\nSELECT /* x */ * FROM t;", `SELECT * FROM t WHERE a = 1e2147483648`, `SELECT 'it''s', "q""q" FROM t`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	params := []attr.Value{attr.String("s"), mustNumber(f, "7"), attr.List(attr.String("x")), attr.Bool(true)}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := Parse(s)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q) returned %T, want *Error", s, err)
			}
			return
		}
		p := params
		if st.Params() <= len(params) {
			p = params[:st.Params()]
		}
		// Whatever renders must be an expression DynamoDB's grammar reads:
		// semantic refusals are fine, syntax errors are a rendering bug.
		check := func(what, rendered string, err error, compile func(string, *Renderer) error, r *Renderer) {
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("%s of %q returned %T: %v", what, s, err, err)
				}
				return
			}
			if err := compile(rendered, r); err != nil && strings.Contains(err.Error(), "Syntax error") {
				t.Fatalf("%s of %q rendered %q, which does not parse: %v", what, s, rendered, err)
			}
		}
		cond := func(e string, r *Renderer) error {
			_, err := expr.ParseCondition(e, r.Names, r.Values, nil)
			return err
		}
		var where Expr
		switch st := st.(type) {
		case *Select:
			where = st.Where
		case *Update:
			where = st.Where
			r := &Renderer{Params: p}
			u, err := r.Update(st.Actions)
			check("Update", u, err, func(e string, r *Renderer) error {
				_, err := expr.ParseUpdate(e, r.Names, r.Values, nil)
				return err
			}, r)
		case *Delete:
			where = st.Where
		case *Exists:
			where = st.Select.Where
		case *Insert:
			if _, err := Item(st.Item, p); err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("Item of %q returned %T", s, err)
				}
			}
		}
		if where != nil {
			r := &Renderer{Params: p}
			c, err := r.Condition(where)
			check("Condition", c, err, cond, r)
		}
	})
}
