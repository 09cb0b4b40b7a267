package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// pqlEnv is a running Nimbus with the "items" table (pk S, sk N) and
// helpers for statements.
type pqlEnv struct {
	t   *testing.T
	c   *dynamodb.Client
	ctx context.Context
}

func newPQL(t *testing.T) *pqlEnv {
	t.Helper()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	e := &pqlEnv{t: t, c: client(t, n), ctx: context.Background()}
	createTable(t, e.c, "items")
	return e
}

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func nv(n int) types.AttributeValue { return &types.AttributeValueMemberN{Value: fmt.Sprint(n)} }

// exec runs a statement that must succeed.
func (e *pqlEnv) exec(stmt string, params ...types.AttributeValue) *dynamodb.ExecuteStatementOutput {
	e.t.Helper()
	out, err := e.try(stmt, params...)
	if err != nil {
		e.t.Fatalf("%s: %v", stmt, err)
	}
	return out
}

func (e *pqlEnv) try(stmt string, params ...types.AttributeValue) (*dynamodb.ExecuteStatementOutput, error) {
	in := &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt)}
	if len(params) > 0 {
		in.Parameters = params
	}
	return e.c.ExecuteStatement(e.ctx, in)
}

// get reads an item by key through GetItem.
func (e *pqlEnv) get(pk string, sk int) map[string]types.AttributeValue {
	e.t.Helper()
	out, err := e.c.GetItem(e.ctx, &dynamodb.GetItemInput{TableName: aws.String("items"), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": sv(pk), "sk": nv(sk)}})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.Item
}

// keys renders items as pk/sk strings, in order.
func keys(items []map[string]types.AttributeValue) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it["pk"].(*types.AttributeValueMemberS).Value+"/"+it["sk"].(*types.AttributeValueMemberN).Value)
	}
	return out
}

var avCmp = cmpopts.IgnoreUnexported(types.AttributeValueMemberS{}, types.AttributeValueMemberN{}, types.AttributeValueMemberB{},
	types.AttributeValueMemberBOOL{}, types.AttributeValueMemberNULL{}, types.AttributeValueMemberL{}, types.AttributeValueMemberM{},
	types.AttributeValueMemberSS{}, types.AttributeValueMemberNS{}, types.AttributeValueMemberBS{})

func TestPartiQLWrites(t *testing.T) {
	t.Parallel()
	e := newPQL(t)
	e.exec(`INSERT INTO "items" VALUE {'pk': ?, 'sk': 1, 'n': 5, 'tags': <<'a','b'>>, 'l': [1, 'x'], 'm': {'k': 'v'}, 'z': null}`, sv("p"))
	want := map[string]types.AttributeValue{"pk": sv("p"), "sk": nv(1), "n": nv(5), "tags": &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{nv(1), sv("x")}},
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": sv("v")}}, "z": &types.AttributeValueMemberNULL{Value: true}}
	if diff := cmp.Diff(want, e.get("p", 1), avCmp); diff != "" {
		t.Errorf("after INSERT (-want +got):\n%s", diff)
	}
	_, err := e.try(`INSERT INTO items VALUE {'pk': 'p', 'sk': 1}`)
	wantAPIError(t, err, "DuplicateItemException", "Duplicate primary key exists in table")
	var dup *types.DuplicateItemException
	if !errors.As(err, &dup) {
		t.Errorf("the SDK did not type the error: %T", err)
	}

	out := e.exec(`UPDATE items SET n = n + 2, l = list_append(l, [?]) SET tags = set_add(tags, <<'c'>>) REMOVE z
		WHERE pk = 'p' AND sk = 1 RETURNING MODIFIED NEW *`, sv("y"))
	wantItems := []map[string]types.AttributeValue{{"n": nv(7), "l": &types.AttributeValueMemberL{Value: []types.AttributeValue{nv(1), sv("x"), sv("y")}},
		"tags": &types.AttributeValueMemberSS{Value: []string{"a", "b", "c"}}}}
	if diff := cmp.Diff(wantItems, out.Items, avCmp); diff != "" {
		t.Errorf("UPDATE RETURNING MODIFIED NEW * (-want +got):\n%s", diff)
	}
	if _, ok := e.get("p", 1)["z"]; ok {
		t.Error("REMOVE z left z")
	}
	out = e.exec(`UPDATE items SET m.k = 'w' WHERE pk = 'p' AND sk = 1 RETURNING ALL OLD *`)
	if len(out.Items) != 1 || out.Items[0]["m"].(*types.AttributeValueMemberM).Value["k"].(*types.AttributeValueMemberS).Value != "v" {
		t.Errorf("RETURNING ALL OLD * = %v", out.Items)
	}
	if out := e.exec(`UPDATE items SET q = 1 WHERE pk = 'p' AND sk = 1`); out.Items == nil || len(out.Items) != 0 {
		t.Errorf("a plain UPDATE answered %v, want no items", out.Items)
	}

	// The WHERE's other conditions are the write's condition.
	e.exec(`UPDATE items SET q = 2 WHERE pk = 'p' AND sk = 1 AND (n = 1 OR n = 7)`)
	_, err = e.try(`UPDATE items SET n = 0 WHERE pk = 'p' AND sk = 1 AND n > 100`)
	wantAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	_, err = e.c.ExecuteStatement(e.ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`DELETE FROM items WHERE pk = 'p' AND sk = 1 AND n = 0`),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || ccf.Item["n"] == nil {
		t.Errorf("DELETE with a false condition = %v, want ConditionalCheckFailedException with the item", err)
	}
	// An UPDATE needs the item; a DELETE of a missing one does nothing.
	_, err = e.try(`UPDATE items SET n = 1 WHERE pk = 'none' AND sk = 1`)
	wantAPIError(t, err, "ConditionalCheckFailedException", "")
	if out := e.exec(`DELETE FROM items WHERE pk = 'none' AND sk = 1 AND n = 3 RETURNING ALL OLD *`); len(out.Items) != 0 {
		t.Errorf("DELETE of a missing item returned %v", out.Items)
	}
	out = e.exec(`DELETE FROM items WHERE pk = 'p' AND sk = 1 AND n = 7 RETURNING ALL OLD *`)
	if len(out.Items) != 1 || e.get("p", 1) != nil {
		t.Errorf("DELETE RETURNING ALL OLD * = %v, item left: %v", out.Items, e.get("p", 1))
	}
	e.exec(`INSERT INTO items VALUE {'pk': 'p', 'sk': 1}`) // inserting after a delete works

	for _, tt := range []struct {
		name, stmt, code, msg string
		params                []types.AttributeValue
	}{
		{"syntax", `SELECT * FROM items WHERE`, "ValidationException", "Statement wasn't well formed, can't be processed: Unexpected term", nil},
		{"not a statement", `SLECT * FROM items`, "ValidationException", "Statement wasn't well formed, can't be processed: Expected data manipulation", nil},
		{"partial key", `UPDATE items SET a = 1 WHERE pk = 'p'`, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes", nil},
		{"no where", `DELETE FROM items`, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes", nil},
		{"key type", `DELETE FROM items WHERE pk = 1 AND sk = 1`, "ValidationException", "Key attribute's data type should match its data type in table's schema: Key pk", nil},
		{"missing key", `INSERT INTO items VALUE {'pk': 'x'}`, "ValidationException", "Key attribute should be present in the item: Key sk", nil},
		{"parameters", `SELECT * FROM items WHERE pk = ?`, "ValidationException", "Number of parameters in request and statement don't match.", nil},
		{"unknown table", `SELECT * FROM nothere WHERE pk = 'a'`, "ResourceNotFoundException", "Requested resource not found", nil},
		{"exists outside a transaction", `EXISTS(SELECT * FROM items WHERE pk = 'p' AND sk = 1 AND a = 1)`, "ValidationException",
			"EXISTS can only be used in ExecuteTransaction write requests.", nil},
		{"an expression error keeps its text", `SELECT * FROM items WHERE attribute_exists('a')`, "ValidationException",
			"Operator or function requires a document path; operator or function: attribute_exists", nil},
		{"ordering a bool", `SELECT * FROM items WHERE pk = 'p' AND v < ?`, "ValidationException",
			"Incorrect operand type for operator or function; operator or function: <, operand type: BOOL", []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: true}}},
		{"key attribute", `UPDATE items SET sk = 2 WHERE pk = 'p' AND sk = 1`, "ValidationException",
			"One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key", nil},
	} {
		_, err := e.try(tt.stmt, tt.params...)
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, err, tt.code, tt.msg) })
	}
}

// seed writes pk a and b with sk 1 to 3 and an attribute x mirroring pk.
func (e *pqlEnv) seed() {
	e.t.Helper()
	for _, pk := range []string{"a", "b"} {
		for sk := 1; sk <= 3; sk++ {
			e.exec(`INSERT INTO items VALUE {'pk': ?, 'sk': ?, 'x': ?, 'even': ?}`, sv(pk), nv(sk), sv(pk), &types.AttributeValueMemberBOOL{Value: sk%2 == 0})
		}
	}
}

// all reads every page of a SELECT, limit items evaluated per page, and
// returns the items and the page count.
func (e *pqlEnv) all(t *testing.T, stmt string, limit int32, params ...types.AttributeValue) ([]map[string]types.AttributeValue, int) {
	t.Helper()
	var items []map[string]types.AttributeValue
	in := &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt)}
	if limit > 0 {
		in.Limit = aws.Int32(limit)
	}
	if len(params) > 0 {
		in.Parameters = params
	}
	for pages := 1; ; pages++ {
		out, err := e.c.ExecuteStatement(e.ctx, in)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		items = append(items, out.Items...)
		if out.NextToken == nil {
			return items, pages
		}
		if pages > 50 {
			t.Fatal("more than 50 pages")
		}
		in.NextToken = out.NextToken
	}
}

func TestPartiQLSelect(t *testing.T) {
	t.Parallel()
	e := newPQL(t)
	e.seed()
	page := func(stmt string, limit int32) *dynamodb.ExecuteStatementOutput {
		t.Helper()
		out, err := e.c.ExecuteStatement(e.ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt), Limit: aws.Int32(limit)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// A WHERE on the partition key is a Query: the first item evaluated
	// is in the partition. The same condition on another attribute is a
	// Scan, whose first item evaluated (a/1) is filtered out.
	if got := keys(page(`SELECT * FROM items WHERE pk = 'b'`, 1).Items); !cmp.Equal(got, []string{"b/1"}) {
		t.Errorf("Query, Limit 1 = %v", got)
	}
	if out := page(`SELECT * FROM items WHERE x = 'b'`, 1); len(out.Items) != 0 || out.NextToken == nil || out.LastEvaluatedKey == nil {
		t.Errorf("Scan, Limit 1 = %v, NextToken %v", keys(out.Items), out.NextToken)
	}
	// A sort key condition joins the key condition; a filter would have
	// evaluated a/1 first.
	if got := keys(page(`SELECT * FROM items WHERE pk = 'a' AND sk > 1`, 1).Items); !cmp.Equal(got, []string{"a/2"}) {
		t.Errorf("sort key condition, Limit 1 = %v", got)
	}
	for _, tt := range []struct {
		name, stmt string
		limit      int32
		want       []string
		pages      int
	}{
		{"scan", `SELECT * FROM items`, 0, []string{"a/1", "a/2", "a/3", "b/1", "b/2", "b/3"}, 1},
		{"scan in pages", `SELECT * FROM "items" WHERE even = false`, 2, []string{"a/1", "a/3", "b/1", "b/3"}, 4},
		{"in, in the list's order", `SELECT * FROM items WHERE pk IN ['b', 'a'] AND sk <= 2`, 0, []string{"b/1", "b/2", "a/1", "a/2"}, 1},
		{"or of equalities, in pages", `SELECT * FROM items WHERE pk = 'b' OR pk = 'a'`, 2, []string{"b/1", "b/2", "b/3", "a/1", "a/2", "a/3"}, 4},
		{"order by sort key", `SELECT * FROM items WHERE pk = 'a' ORDER BY sk DESC`, 0, []string{"a/3", "a/2", "a/1"}, 1},
		{"order by both", `SELECT * FROM items WHERE pk IN ['a', 'b'] ORDER BY pk DESC, sk DESC`, 0, []string{"b/3", "b/2", "b/1", "a/3", "a/2", "a/1"}, 1},
		{"between and begins_with", `SELECT * FROM items WHERE pk = 'a' AND sk BETWEEN 2 AND 3 AND begins_with(x, 'a')`, 0, []string{"a/2", "a/3"}, 1},
		{"not and or", `SELECT * FROM items WHERE NOT (sk = 2 OR pk = 'b')`, 0, []string{"a/1", "a/3"}, 1},
		{"two sort key conditions", `SELECT * FROM items WHERE pk = 'a' AND sk > 1 AND sk < 3`, 0, []string{"a/2"}, 1},
		{"or with another attribute scans", `SELECT * FROM items WHERE pk = 'a' OR x = 'b' AND sk = 1`, 0, []string{"a/1", "a/2", "a/3", "b/1"}, 1},
		{"not between, not in", `SELECT * FROM items WHERE pk = 'b' AND sk NOT BETWEEN 2 AND 3 OR pk = 'a' AND sk NOT IN [1, 2]`, 0, []string{"a/3", "b/1"}, 1},
		{"parameters", `SELECT * FROM items WHERE pk IN ? AND sk = ?`, 0, nil, 0},
		{"is missing", `SELECT * FROM items WHERE absent IS MISSING AND x IS NOT MISSING AND x IS STRING AND sk = 3`, 0, []string{"a/3", "b/3"}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.pages == 0 { // with parameters
				items, _ := e.all(t, tt.stmt, 0, &types.AttributeValueMemberL{Value: []types.AttributeValue{sv("b"), sv("zz")}}, nv(2))
				if got := keys(items); !cmp.Equal(got, []string{"b/2"}) {
					t.Errorf("%s = %v", tt.stmt, got)
				}
				return
			}
			items, pages := e.all(t, tt.stmt, tt.limit)
			if got := keys(items); !cmp.Equal(got, tt.want) || pages != tt.pages {
				t.Errorf("%s = %v in %d pages, want %v in %d", tt.stmt, got, pages, tt.want, tt.pages)
			}
		})
	}

	cc, err := e.c.ExecuteStatement(e.ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM items WHERE pk IN ['a', 'b']`),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || cc.ConsumedCapacity == nil || aws.ToFloat64(cc.ConsumedCapacity.CapacityUnits) != 1 {
		t.Errorf("ConsumedCapacity of two partitions = %+v, %v; want 1 (two eventually consistent reads)", cc.ConsumedCapacity, err)
	}

	// Projections answer each path under its last name.
	e.exec(`UPDATE items SET m = {'inside': {'deep': 'v'}, 'l': [10, 20, 30]} WHERE pk = 'a' AND sk = 1`)
	out := e.exec(`SELECT sk, m.inside.deep, m.l[1], m.l[2], nope FROM items WHERE pk = ? AND sk = ?`, sv("a"), nv(1))
	want := []map[string]types.AttributeValue{{"sk": nv(1), "deep": sv("v"), "l[1]": nv(20), "l[2]": nv(30)}}
	if diff := cmp.Diff(want, out.Items, avCmp); diff != "" {
		t.Errorf("projection (-want +got):\n%s", diff)
	}

	// NextToken belongs to its statement.
	first := page(`SELECT * FROM items`, 1)
	_, err = e.c.ExecuteStatement(e.ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM items WHERE sk = 1`), NextToken: first.NextToken})
	wantAPIError(t, err, "ValidationException", "NextToken does not match request")
	_, err = e.c.ExecuteStatement(e.ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM items`), NextToken: aws.String("garbage!")})
	wantAPIError(t, err, "ValidationException", "Invalid NextToken")

	for _, tt := range []struct{ name, stmt, msg string }{
		{"order by without where", `SELECT * FROM items ORDER BY sk`, "Must have WHERE clause in the statement when using ORDER BY clause."},
		{"order by a scan", `SELECT * FROM items WHERE x = 'a' ORDER BY sk`, "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."},
		{"order by not a key", `SELECT * FROM items WHERE pk = 'a' ORDER BY x`, "Variable reference x in ORDER BY clause must be part of the primary key"},
		{"order by partitions", `SELECT * FROM items WHERE pk IN ['a', 'b'] ORDER BY sk`, "Must have hash key in ORDER BY clause when more than one hash key condition specified in WHERE clause."},
		{"no such index", `SELECT * FROM "items"."nope" WHERE pk = 'a'`, "The table does not have the specified index"},
		{"limit", `SELECT * FROM items LIMIT 5`, "Unsupported clause: LIMIT at 1:27:1"},
	} {
		_, err := e.try(tt.stmt)
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, err, "ValidationException", tt.msg) })
	}
}

func TestPartiQLIndex(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createOrders(t, c)
	for _, o := range []order{
		{Customer: "ann", ID: 1, Status: "open", Placed: "2024-03", Total: 30},
		{Customer: "bob", ID: 2, Status: "open", Placed: "2024-01", Total: 10},
		{Customer: "ann", ID: 3, Status: "shipped", Placed: "2024-02", Total: 20},
		{Customer: "cid", ID: 4, Status: "open", Placed: "2024-02", Total: 40},
	} {
		putOrder(t, c, o)
	}
	run := func(stmt string, consistent bool) ([]map[string]types.AttributeValue, error) {
		out, err := c.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(stmt), ConsistentRead: aws.Bool(consistent)})
		if err != nil {
			return nil, err
		}
		return out.Items, nil
	}
	items, err := run(`SELECT customer, id, amount FROM "orders"."by-status" WHERE status = 'open' AND placed >= '2024-02'`, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []order
	if err := attributevalue.UnmarshalListOfMaps(items, &got); err != nil {
		t.Fatal(err)
	}
	want := []order{{Customer: "cid", ID: 4, Total: 40}, {Customer: "ann", ID: 1, Total: 30}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SELECT on the global index (-want +got):\n%s", diff)
	}
	// The local index reads the table for what it does not project.
	items, err = run(`SELECT id, status FROM "orders"."by-total" WHERE customer = 'ann' ORDER BY amount DESC`, true)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	attributevalue.UnmarshalListOfMaps(items, &got)
	if want := []order{{ID: 1, Status: "open"}, {ID: 3, Status: "shipped"}}; !cmp.Equal(want, got) {
		t.Errorf("SELECT on the local index = %+v, want %+v", got, want)
	}
	_, err = run(`SELECT * FROM "orders"."by-status" WHERE status = 'open'`, true)
	wantAPIError(t, err, "ValidationException", "Strongly consistent read is not supported on Global Secondary Indexes")
}

// TestPartiQLMatchesExpressions reads and writes the same data with PartiQL
// and with the equivalent expression API calls, and compares.
func TestPartiQLMatchesExpressions(t *testing.T) {
	t.Parallel()
	e := newPQL(t)
	e.seed()
	values := func(kv ...any) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(types.AttributeValue)
		}
		return m
	}
	for _, tt := range []struct {
		name, stmt string
		query      *dynamodb.QueryInput
		scan       *dynamodb.ScanInput
	}{
		{"query with a filter", `SELECT * FROM items WHERE pk = 'a' AND sk >= 2 AND even = true`,
			&dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk >= :s"), FilterExpression: aws.String("even = :t"),
				ExpressionAttributeValues: values(":p", sv("a"), ":s", nv(2), ":t", &types.AttributeValueMemberBOOL{Value: true})}, nil},
		{"query backwards", `SELECT pk, sk FROM items WHERE pk = 'b' ORDER BY sk DESC`,
			&dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ScanIndexForward: aws.Bool(false), ProjectionExpression: aws.String("pk, sk"),
				ExpressionAttributeValues: values(":p", sv("b"))}, nil},
		{"scan with a filter", `SELECT * FROM items WHERE sk IN [1, 3] OR NOT begins_with(x, 'a')`, nil,
			&dynamodb.ScanInput{FilterExpression: aws.String("sk IN (:a, :b) OR NOT begins_with(x, :x)"),
				ExpressionAttributeValues: values(":a", nv(1), ":b", nv(3), ":x", sv("a"))}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := e.all(t, tt.stmt, 0)
			var want []map[string]types.AttributeValue
			if tt.query != nil {
				tt.query.TableName = aws.String("items")
				out, err := e.c.Query(e.ctx, tt.query)
				if err != nil {
					t.Fatal(err)
				}
				want = out.Items
			} else {
				tt.scan.TableName = aws.String("items")
				out, err := e.c.Scan(e.ctx, tt.scan)
				if err != nil {
					t.Fatal(err)
				}
				want = out.Items
			}
			if diff := cmp.Diff(want, got, avCmp); diff != "" {
				t.Errorf("PartiQL and the expression API differ (-api +partiql):\n%s", diff)
			}
		})
	}

	// The same update through UpdateItem and through UPDATE, on twin items.
	twin := `INSERT INTO items VALUE {'pk': ?, 'sk': 9, 'n': 1, 'l': [1], 's': <<'a'>>, 'm': {'k': 'v'}}`
	e.exec(twin, sv("api"))
	e.exec(twin, sv("pql"))
	_, err := e.c.UpdateItem(e.ctx, &dynamodb.UpdateItemInput{TableName: aws.String("items"), Key: values("pk", sv("api"), "sk", nv(9)),
		UpdateExpression:          aws.String("SET n = n + :one, l = list_append(l, :l), m.k = :w REMOVE x ADD s :s"),
		ConditionExpression:       aws.String("attribute_exists(pk) AND n = :one"),
		ExpressionAttributeValues: values(":one", nv(1), ":l", &types.AttributeValueMemberL{Value: []types.AttributeValue{nv(2)}}, ":w", sv("w"), ":s", &types.AttributeValueMemberSS{Value: []string{"b"}})})
	if err != nil {
		t.Fatal(err)
	}
	e.exec(`UPDATE items SET n = n + 1, l = list_append(l, [2]), m.k = 'w' REMOVE x SET s = set_add(s, <<'b'>>) WHERE pk = 'pql' AND sk = 9 AND n = 1`)
	api, pql := e.get("api", 9), e.get("pql", 9)
	delete(api, "pk")
	delete(pql, "pk")
	if diff := cmp.Diff(api, pql, avCmp); diff != "" {
		t.Errorf("UPDATE and UpdateItem differ (-api +partiql):\n%s", diff)
	}
}

func TestPartiQLBatch(t *testing.T) {
	t.Parallel()
	e := newPQL(t)
	e.seed()
	stmt := func(s string, params ...types.AttributeValue) types.BatchStatementRequest {
		r := types.BatchStatementRequest{Statement: aws.String(s)}
		if len(params) > 0 {
			r.Parameters = params
		}
		return r
	}
	out, err := e.c.BatchExecuteStatement(e.ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		stmt(`INSERT INTO items VALUE {'pk': 'c', 'sk': 1}`),
		stmt(`INSERT INTO items VALUE {'pk': 'a', 'sk': 1}`),
		stmt(`UPDATE items SET y = 1 WHERE pk = ? AND sk = ? AND x = 'wrong'`, sv("b"), nv(1)),
		stmt(`UPDATE items SET y = 2 WHERE pk = 'b' AND sk = 2 RETURNING ALL NEW *`),
		stmt(`DELETE FROM items WHERE pk = 'a'`),
		stmt(`DELETE FROM nothere WHERE pk = 'a' AND sk = 1`),
		stmt(`SLECT`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	type result struct{ Table, Code, Message, Item string }
	summarize := func(rs []types.BatchStatementResponse) []result {
		var out []result
		for _, r := range rs {
			res := result{Table: aws.ToString(r.TableName)}
			if r.Error != nil {
				res.Code, res.Message = string(r.Error.Code), aws.ToString(r.Error.Message)
			}
			if r.Item != nil {
				res.Item = strings.Join(keys([]map[string]types.AttributeValue{r.Item}), "")
			}
			out = append(out, res)
		}
		return out
	}
	want := []result{
		{Table: "items"},
		{Table: "items", Code: "DuplicateItem", Message: "Duplicate primary key exists in table"},
		{Table: "items", Code: "ConditionalCheckFailed", Message: "The conditional request failed"},
		{Table: "items", Item: "b/2"},
		{Code: "ValidationError", Message: "Where clause does not contain a mandatory equality on all key attributes"},
		{Code: "ResourceNotFound", Message: "Requested resource not found"},
		{Code: "ValidationError", Message: "Statement wasn't well formed, can't be processed: Expected data manipulation"},
	}
	if diff := cmp.Diff(want, summarize(out.Responses)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if e.get("c", 1) == nil {
		t.Error("the batch's INSERT did not land")
	}

	out, err = e.c.BatchExecuteStatement(e.ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		stmt(`SELECT * FROM items WHERE pk = 'a' AND sk = 2`),
		stmt(`SELECT pk, sk FROM items WHERE sk = ? AND pk = ?`, nv(3), sv("b")),
		stmt(`SELECT * FROM items WHERE pk = 'zz' AND sk = 1`),
		stmt(`SELECT * FROM items WHERE pk = 'a'`),
		stmt(`SELECT * FROM items WHERE pk = 'a' AND sk = 1 AND x = 'a'`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	const keyMsg = "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
	want = []result{{Table: "items", Item: "a/2"}, {Table: "items", Item: "b/3"}, {Table: "items"},
		{Code: "ValidationError", Message: keyMsg}, {Code: "ValidationError", Message: keyMsg}}
	if diff := cmp.Diff(want, summarize(out.Responses)); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}

	_, err = e.c.BatchExecuteStatement(e.ctx, &dynamodb.BatchExecuteStatementInput{Statements: []types.BatchStatementRequest{
		stmt(`SELECT * FROM items WHERE pk = 'a' AND sk = 2`), stmt(`DELETE FROM items WHERE pk = 'a' AND sk = 2`)}})
	wantAPIError(t, err, "ValidationException", "Read and write requests together in the same batch is not supported.")
}

func TestPartiQLTransaction(t *testing.T) {
	t.Parallel()
	e := newPQL(t)
	e.seed()
	tx := func(token string, stmts ...string) error {
		in := &dynamodb.ExecuteTransactionInput{}
		if token != "" {
			in.ClientRequestToken = aws.String(token)
		}
		for _, s := range stmts {
			in.TransactStatements = append(in.TransactStatements, types.ParameterizedStatement{Statement: aws.String(s)})
		}
		_, err := e.c.ExecuteTransaction(e.ctx, in)
		return err
	}
	if err := tx("", `INSERT INTO items VALUE {'pk': 'c', 'sk': 1}`, `UPDATE items SET n = 1 WHERE pk = 'a' AND sk = 1`,
		`DELETE FROM items WHERE pk = 'a' AND sk = 2`, `EXISTS(SELECT * FROM items WHERE pk = 'b' AND sk = 1 AND x = 'b')`); err != nil {
		t.Fatal(err)
	}
	if e.get("c", 1) == nil || e.get("a", 1)["n"] == nil || e.get("a", 2) != nil {
		t.Error("the transaction's writes did not all land")
	}

	// All or nothing, with a reason per statement.
	err := tx("", `INSERT INTO items VALUE {'pk': 'd', 'sk': 1}`, `UPDATE items SET n = 1 WHERE pk = 'none' AND sk = 1`,
		`INSERT INTO items VALUE {'pk': 'a', 'sk': 1}`, `EXISTS(SELECT * FROM items WHERE pk = 'b' AND sk = 1 AND x = 'a')`)
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		t.Fatalf("error = %v, want TransactionCanceledException", err)
	}
	var codes []string
	for _, r := range canceled.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code)+":"+aws.ToString(r.Message))
	}
	wantCodes := []string{"None:", "ConditionalCheckFailed:The conditional request failed",
		"ValidationError:Duplicate primary key exists in table", "ConditionalCheckFailed:The conditional request failed"}
	if !cmp.Equal(codes, wantCodes) {
		t.Errorf("reasons = %q, want %q", codes, wantCodes)
	}
	wantAPIError(t, err, "TransactionCanceledException",
		"Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, ValidationError, ConditionalCheckFailed]")
	if e.get("d", 1) != nil {
		t.Error("a canceled transaction's INSERT landed")
	}

	// ReturnValuesOnConditionCheckFailure returns the item in its reason.
	_, err = e.c.ExecuteTransaction(e.ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{{
		Statement:                           aws.String(`DELETE FROM items WHERE pk = 'b' AND sk = 1 AND x = 'no'`),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}}})
	if !errors.As(err, &canceled) || len(canceled.CancellationReasons) != 1 || canceled.CancellationReasons[0].Item["x"] == nil {
		t.Errorf("error = %v, want a reason with the item", err)
	}

	// A ClientRequestToken makes a retry a no-op, and refuses other statements.
	upd := `UPDATE items SET n = n + 1 WHERE pk = 'a' AND sk = 1`
	for range 2 {
		if err := tx("tok-1", upd); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.get("a", 1)["n"].(*types.AttributeValueMemberN).Value; n != "2" {
		t.Errorf("n = %s after a retried transaction, want 2", n)
	}
	wantAPIError(t, tx("tok-1", `DELETE FROM items WHERE pk = 'a' AND sk = 1`), "IdempotentParameterMismatchException", "")

	// Reads.
	out, err := e.c.ExecuteTransaction(e.ctx, &dynamodb.ExecuteTransactionInput{TransactStatements: []types.ParameterizedStatement{
		{Statement: aws.String(`SELECT * FROM items WHERE pk = 'b' AND sk = 3`)},
		{Statement: aws.String(`SELECT sk, x FROM items WHERE pk = ? AND sk = 1`), Parameters: []types.AttributeValue{sv("b")}},
		{Statement: aws.String(`SELECT * FROM items WHERE pk = 'none' AND sk = 1`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Responses) != 3 || keys([]map[string]types.AttributeValue{out.Responses[0].Item})[0] != "b/3" ||
		!cmp.Equal(map[string]types.AttributeValue{"sk": nv(1), "x": sv("b")}, out.Responses[1].Item, avCmp) || out.Responses[2].Item != nil {
		t.Errorf("read transaction = %+v", out.Responses)
	}

	for _, tt := range []struct {
		name  string
		stmts []string
		msg   string
	}{
		{"mixed", []string{`SELECT * FROM items WHERE pk = 'b' AND sk = 3`, `DELETE FROM items WHERE pk = 'b' AND sk = 3`},
			"ExecuteTransaction API does not support both read and write operations in the same request."},
		{"returning", []string{`UPDATE items SET v = 'v' WHERE pk = 'x' AND sk = 1 RETURNING ALL NEW *`},
			"Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction."},
		{"read not by key", []string{`SELECT * FROM items WHERE pk = 'b' AND sk = 3`, `SELECT * FROM items WHERE pk = 'b' AND attribute_exists(x)`},
			"Validation failed in TransactStatements[1]: Select statements within ExecuteTransaction must specify the primary key in the where clause."},
		{"read on an index", []string{`SELECT * FROM "items"."ix" WHERE pk = 'b'`},
			"Validation failed in TransactStatements[0]: Reads on indices are not supported within transactions."},
		{"exists without a condition", []string{`EXISTS(SELECT * FROM items WHERE pk = 'b' AND sk = 3)`, `DELETE FROM items WHERE pk = 'b' AND sk = 2`},
			"Validation failed in TransactStatements[0]: EXISTS() must contain a single item read with additional condition"},
		{"malformed", []string{`SELECT * FROM items WHERE`},
			"Validation failed in TransactStatements[0]: Statement wasn't well formed, can't be processed: Unexpected term"},
		{"one item twice", []string{`DELETE FROM items WHERE pk = 'b' AND sk = 2`, `UPDATE items SET q = 1 WHERE pk = 'b' AND sk = 2`},
			"Transaction request cannot include multiple operations on one item"},
	} {
		err := tx("", tt.stmts...)
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, err, "ValidationException", tt.msg) })
	}
}
