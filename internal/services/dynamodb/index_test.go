package dynamodb_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// order is an item of the orders table the index tests use: customer
// orders, keyed by customer and order id, with a status and a total.
type order struct {
	Customer string `dynamodbav:"customer"`
	ID       int    `dynamodbav:"id"`
	Status   string `dynamodbav:"status,omitempty"`
	Placed   string `dynamodbav:"placed,omitempty"`
	Total    int    `dynamodbav:"amount"`
	Note     string `dynamodbav:"note,omitempty"`
}

func keyElem(name string, kt types.KeyType) types.KeySchemaElement {
	return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
}

func attrDef(name string, at types.ScalarAttributeType) types.AttributeDefinition {
	return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: at}
}

// createOrders creates the orders table with a global index by status
// (sorted by placed, KEYS_ONLY plus total) and a local index by total
// (KEYS_ONLY).
func createOrders(t *testing.T, c *dynamodb.Client) {
	t.Helper()
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:   aws.String("orders"),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   []types.KeySchemaElement{keyElem("customer", types.KeyTypeHash), keyElem("id", types.KeyTypeRange)},
		AttributeDefinitions: []types.AttributeDefinition{attrDef("customer", types.ScalarAttributeTypeS), attrDef("id", types.ScalarAttributeTypeN),
			attrDef("status", types.ScalarAttributeTypeS), attrDef("placed", types.ScalarAttributeTypeS), attrDef("amount", types.ScalarAttributeTypeN)},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String("by-status"),
			KeySchema:  []types.KeySchemaElement{keyElem("status", types.KeyTypeHash), keyElem("placed", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"amount"}},
		}},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{{
			IndexName:  aws.String("by-total"),
			KeySchema:  []types.KeySchemaElement{keyElem("customer", types.KeyTypeHash), keyElem("amount", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
}

func putOrder(t *testing.T, c *dynamodb.Client, o order) {
	t.Helper()
	item, err := attributevalue.MarshalMap(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item}); err != nil {
		t.Fatalf("PutItem %+v: %v", o, err)
	}
}

// queryIndex runs a key condition on an index, all pages of at most limit
// items, and returns the orders in the order read.
func queryIndex(t *testing.T, c *dynamodb.Client, index string, kc expression.KeyConditionBuilder, limit int32, forward bool) []order {
	t.Helper()
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		t.Fatal(err)
	}
	p := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{
		TableName: aws.String("orders"), IndexName: aws.String(index), KeyConditionExpression: e.KeyCondition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), Limit: aws.Int32(limit), ScanIndexForward: aws.Bool(forward),
	})
	var got []order
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 100 {
			t.Fatal("more than 100 pages")
		}
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("Query %s: %v", index, err)
		}
		var page []order
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &page); err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
	}
	return got
}

func TestSecondaryIndexes(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createOrders(t, c)

	putOrder(t, c, order{Customer: "ann", ID: 1, Status: "open", Placed: "2026-01-03", Total: 30, Note: "gift"})
	putOrder(t, c, order{Customer: "ann", ID: 2, Status: "shipped", Placed: "2026-01-01", Total: 10})
	putOrder(t, c, order{Customer: "bob", ID: 1, Status: "open", Placed: "2026-01-02", Total: 20})
	putOrder(t, c, order{Customer: "bob", ID: 2, Total: 5}) // no status: not in by-status (sparse)
	putOrder(t, c, order{Customer: "cy", ID: 1, Status: "open", Placed: "2026-01-04", Total: 40})

	// The global index, in placed order, projecting its keys, the table's
	// and total.
	open := queryIndex(t, c, "by-status", expression.Key("status").Equal(expression.Value("open")), 2, true)
	want := []order{
		{Customer: "bob", ID: 1, Status: "open", Placed: "2026-01-02", Total: 20},
		{Customer: "ann", ID: 1, Status: "open", Placed: "2026-01-03", Total: 30},
		{Customer: "cy", ID: 1, Status: "open", Placed: "2026-01-04", Total: 40},
	}
	if d := cmp.Diff(want, open); d != "" {
		t.Errorf("by-status open (-want +got):\n%s", d)
	}
	back := queryIndex(t, c, "by-status", expression.Key("status").Equal(expression.Value("open")).
		And(expression.Key("placed").GreaterThan(expression.Value("2026-01-02"))), 1, false)
	if len(back) != 2 || back[0].Customer != "cy" || back[1].Customer != "ann" {
		t.Errorf("by-status backwards after 01-02 = %+v", back)
	}

	// Writes move entries: a status change leaves the old partition, a
	// delete leaves the index, an update that adds the key enters it.
	if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("orders"),
		Key:                      map[string]types.AttributeValue{"customer": &types.AttributeValueMemberS{Value: "ann"}, "id": &types.AttributeValueMemberN{Value: "1"}},
		UpdateExpression:         aws.String("SET #s = :s"),
		ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "shipped"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("orders"),
		Key: map[string]types.AttributeValue{"customer": &types.AttributeValueMemberS{Value: "cy"}, "id": &types.AttributeValueMemberN{Value: "1"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("orders"),
		Key:                      map[string]types.AttributeValue{"customer": &types.AttributeValueMemberS{Value: "bob"}, "id": &types.AttributeValueMemberN{Value: "2"}},
		UpdateExpression:         aws.String("SET #s = :s, placed = :p"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "shipped"},
			":p": &types.AttributeValueMemberS{Value: "2026-01-05"}},
	}); err != nil {
		t.Fatal(err)
	}
	open = queryIndex(t, c, "by-status", expression.Key("status").Equal(expression.Value("open")), 10, true)
	if len(open) != 1 || open[0].Customer != "bob" {
		t.Errorf("open after the writes = %+v", open)
	}
	shipped := queryIndex(t, c, "by-status", expression.Key("status").Equal(expression.Value("shipped")), 10, true)
	var who []string
	for _, o := range shipped {
		who = append(who, fmt.Sprintf("%s/%d", o.Customer, o.ID))
	}
	if d := cmp.Diff([]string{"ann/2", "ann/1", "bob/2"}, who); d != "" {
		t.Errorf("shipped (-want +got):\n%s", d)
	}

	// The local index sorts a customer's orders by total; it projects only
	// keys, so asking for everything reads the table.
	byTotal := queryIndex(t, c, "by-total", expression.Key("customer").Equal(expression.Value("ann")), 10, true)
	if d := cmp.Diff([]order{{Customer: "ann", ID: 2, Total: 10}, {Customer: "ann", ID: 1, Total: 30}}, byTotal); d != "" {
		t.Errorf("by-total keys only (-want +got):\n%s", d)
	}
	all, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("orders"), IndexName: aws.String("by-total"),
		KeyConditionExpression: aws.String("customer = :c AND amount > :t"), Select: types.SelectAllAttributes, ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: "ann"}, ":t": &types.AttributeValueMemberN{Value: "15"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 1 || all.Items[0]["note"] == nil {
		t.Errorf("by-total ALL_ATTRIBUTES = %+v, want ann/1 with its note", all.Items)
	}
	// LastEvaluatedKey of an index holds the table's keys and the index's.
	page, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("orders"), IndexName: aws.String("by-status"),
		KeyConditionExpression: aws.String("#s = :s"), Limit: aws.Int32(1), ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberS{Value: "shipped"}}})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range page.LastEvaluatedKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if d := cmp.Diff([]string{"customer", "id", "placed", "status"}, keys); d != "" {
		t.Errorf("LastEvaluatedKey attributes (-want +got):\n%s", d)
	}

	// Scan of an index, with a filter on a projected attribute.
	scan, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("orders"), IndexName: aws.String("by-status"),
		FilterExpression: aws.String("amount >= :t"), ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberN{Value: "20"}}})
	if err != nil {
		t.Fatal(err)
	}
	if scan.Count != 2 || scan.ScannedCount != 4 {
		t.Errorf("Scan by-status = Count %d ScannedCount %d, want 2 of 4", scan.Count, scan.ScannedCount)
	}

	// DescribeTable counts the entries of each index.
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	g := d.Table.GlobalSecondaryIndexes
	if len(g) != 1 || g[0].IndexStatus != types.IndexStatusActive || aws.ToInt64(g[0].ItemCount) != 4 ||
		aws.ToString(g[0].IndexArn) != "arn:aws:dynamodb:us-east-1:000000000000:table/orders/index/by-status" {
		t.Errorf("GlobalSecondaryIndexes = %+v", g)
	}
	if l := d.Table.LocalSecondaryIndexes; len(l) != 1 || aws.ToInt64(l[0].ItemCount) != 4 {
		t.Errorf("LocalSecondaryIndexes = %+v", l)
	}

	// Batch writes and transactions maintain the indexes too.
	item := func(cust string, id int, status, placed string) map[string]types.AttributeValue {
		m, _ := attributevalue.MarshalMap(order{Customer: cust, ID: id, Status: status, Placed: placed, Total: 1})
		return m
	}
	if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"orders": {
		{PutRequest: &types.PutRequest{Item: item("dee", 1, "held", "2026-02-01")}},
		{PutRequest: &types.PutRequest{Item: item("dee", 2, "held", "2026-02-02")}},
	}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: aws.String("orders"), Key: map[string]types.AttributeValue{"customer": &types.AttributeValueMemberS{Value: "dee"}, "id": &types.AttributeValueMemberN{Value: "1"}}}},
		{Put: &types.Put{TableName: aws.String("orders"), Item: item("dee", 3, "held", "2026-02-03")}},
	}}); err != nil {
		t.Fatal(err)
	}
	held := queryIndex(t, c, "by-status", expression.Key("status").Equal(expression.Value("held")), 10, true)
	if len(held) != 2 || held[0].ID != 2 || held[1].ID != 3 {
		t.Errorf("held = %+v, want dee/2 and dee/3", held)
	}
}

func TestSecondaryIndexErrors(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createOrders(t, c)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	num := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"),
		Item: map[string]types.AttributeValue{"customer": s("ann"), "id": num("1"), "status": num("3")}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: by-status")
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"),
		Item: map[string]types.AttributeValue{"customer": s("ann"), "id": num("1"), "placed": s("")}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: by-status, IndexKey: placed")
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("orders"),
		Key:              map[string]types.AttributeValue{"customer": s("ann"), "id": num("1")},
		UpdateExpression: aws.String("SET amount = :t"), ExpressionAttributeValues: map[string]types.AttributeValue{":t": s("ten")}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key amount Expected: N Actual: S IndexName: by-total")

	query := func(in *dynamodb.QueryInput) error {
		in.TableName = aws.String("orders")
		if in.KeyConditionExpression == nil {
			in.KeyConditionExpression = aws.String("#s = :s")
			in.ExpressionAttributeNames = map[string]string{"#s": "status"}
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":s": s("open")}
		}
		_, err := c.Query(ctx, in)
		return err
	}
	wantAPIError(t, query(&dynamodb.QueryInput{IndexName: aws.String("nope")}), "ValidationException", "The table does not have the specified index: nope")
	wantAPIError(t, query(&dynamodb.QueryInput{IndexName: aws.String("by-status"), ConsistentRead: aws.Bool(true)}),
		"ValidationException", "Consistent reads are not supported on global secondary indexes")
	wantAPIError(t, query(&dynamodb.QueryInput{IndexName: aws.String("by-status"), Select: types.SelectAllAttributes}),
		"ValidationException", "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index by-status because its projection type is not ALL")
	wantAPIError(t, query(&dynamodb.QueryInput{Select: types.SelectAllProjectedAttributes, KeyConditionExpression: aws.String("customer = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": s("ann")}}),
		"ValidationException", "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
	wantAPIError(t, query(&dynamodb.QueryInput{IndexName: aws.String("by-status"), KeyConditionExpression: aws.String("placed = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("2026")}}),
		"ValidationException", "Query condition missed key schema element: status")
	wantAPIError(t, query(&dynamodb.QueryInput{IndexName: aws.String("by-total"), KeyConditionExpression: aws.String("customer = :c AND amount > :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": s("ann"), ":t": s("1")}}),
		"ValidationException", "One or more parameter values were invalid: Condition parameter type does not match schema type")

	create := func(mod func(*dynamodb.CreateTableInput)) error {
		in := &dynamodb.CreateTableInput{TableName: aws.String("t2"), BillingMode: types.BillingModePayPerRequest,
			KeySchema:            []types.KeySchemaElement{keyElem("pk", types.KeyTypeHash)},
			AttributeDefinitions: []types.AttributeDefinition{attrDef("pk", types.ScalarAttributeTypeS), attrDef("x", types.ScalarAttributeTypeS)},
		}
		mod(in)
		_, err := c.CreateTable(ctx, in)
		return err
	}
	lsi := []types.LocalSecondaryIndex{{IndexName: aws.String("lsi"), KeySchema: []types.KeySchemaElement{keyElem("pk", types.KeyTypeHash), keyElem("x", types.KeyTypeRange)},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
	wantAPIError(t, create(func(in *dynamodb.CreateTableInput) { in.LocalSecondaryIndexes = lsi }), "ValidationException",
		"One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
	gsi := func(name string, p *types.Projection) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{IndexName: aws.String(name), KeySchema: []types.KeySchemaElement{keyElem("x", types.KeyTypeHash)}, Projection: p}
	}
	wantAPIError(t, create(func(in *dynamodb.CreateTableInput) {
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{gsi("gi1", &types.Projection{ProjectionType: types.ProjectionTypeAll}), gsi("gi1", &types.Projection{ProjectionType: types.ProjectionTypeAll})}
	}), "ValidationException", "One or more parameter values were invalid: Duplicate index name: gi1")
	wantAPIError(t, create(func(in *dynamodb.CreateTableInput) {
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{gsi("gi1", &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly, NonKeyAttributes: []string{"a"}})}
	}), "ValidationException", "One or more parameter values were invalid: ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified")
	wantAPIError(t, create(func(in *dynamodb.CreateTableInput) {
		g := gsi("gi1", &types.Projection{ProjectionType: types.ProjectionTypeAll})
		g.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{g}
	}), "ValidationException", "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: gi1 when BillingMode is PAY_PER_REQUEST")
}

// waitIndexActive polls DescribeTable until index is ACTIVE.
func waitIndexActive(t *testing.T, c *dynamodb.Client, table, index string) *types.TableDescription {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := c.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range d.Table.GlobalSecondaryIndexes {
			if aws.ToString(g.IndexName) == index && g.IndexStatus == types.IndexStatusActive {
				return d.Table
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("index %s of %s not ACTIVE after 60 s: %+v", index, table, d.Table.GlobalSecondaryIndexes)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestUpdateTableBackfillsIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := server.Config{DataDir: dir, Isolation: "off"}
	n := nimbustest.StartWith(t, nimbustest.Options{Config: cfg})
	c := client(t, n)
	ctx := context.Background()
	createTable(t, c, "events")
	// 600 items, every third without the index key (sparse), written while
	// the backfill runs too.
	const items = 600
	put := func(i int) {
		item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("p%d", i%7)},
			"sk": &types.AttributeValueMemberN{Value: fmt.Sprint(i)}}
		if i%3 != 0 {
			item["kind"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("k%d", i%2)}
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("events"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range items / 2 {
		put(i)
	}
	out, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("events"),
		AttributeDefinitions: []types.AttributeDefinition{attrDef("kind", types.ScalarAttributeTypeS)},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
			IndexName: aws.String("by-kind"), KeySchema: []types.KeySchemaElement{keyElem("kind", types.KeyTypeHash), keyElem("sk", types.KeyTypeRange)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}}})
	if err != nil {
		t.Fatalf("UpdateTable: %v", err)
	}
	if g := out.TableDescription.GlobalSecondaryIndexes; len(g) != 1 || aws.ToString(g[0].IndexName) != "by-kind" {
		t.Errorf("UpdateTable's GlobalSecondaryIndexes = %+v", g)
	}
	for i := items / 2; i < items; i++ {
		put(i)
	}
	desc := waitIndexActive(t, c, "events", "by-kind")
	wantEntries := int64(0)
	for i := range items {
		if i%3 != 0 {
			wantEntries++
		}
	}
	if got := aws.ToInt64(desc.GlobalSecondaryIndexes[0].ItemCount); got != wantEntries {
		t.Errorf("by-kind ItemCount = %d, want %d", got, wantEntries)
	}
	count := func() int32 {
		q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("events"), IndexName: aws.String("by-kind"), Select: types.SelectCount,
			KeyConditionExpression: aws.String("kind = :k"), ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "k1"}}})
		if err != nil {
			t.Fatal(err)
		}
		return q.Count
	}
	want := int32(0)
	for i := range items {
		if i%3 != 0 && i%2 == 1 {
			want++
		}
	}
	if got := count(); got != want {
		t.Errorf("by-kind k1 count = %d, want %d", got, want)
	}

	// A second create or delete in one call is refused; so is an index
	// name in use.
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("events"), GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
		{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("by-kind")}},
		{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: aws.String("other"), KeySchema: []types.KeySchemaElement{keyElem("sk", types.KeyTypeHash)},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}},
	}})
	wantAPIError(t, err, "LimitExceededException", "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table")
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("events")})
	wantAPIError(t, err, "ValidationException", "")

	// The index survives a restart.
	n.Stop()
	n = nimbustest.StartWith(t, nimbustest.Options{Config: cfg})
	c = client(t, n)
	if got := count(); got != want {
		t.Errorf("by-kind k1 count after a restart = %d, want %d", got, want)
	}

	// Deleting it removes it and its definition.
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("events"), GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
		{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("by-kind")}}}}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("events")})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Table.GlobalSecondaryIndexes) != 0 || len(d.Table.AttributeDefinitions) != 2 {
		t.Errorf("after deleting the index: %+v, %+v", d.Table.GlobalSecondaryIndexes, d.Table.AttributeDefinitions)
	}
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("events"), IndexName: aws.String("by-kind"),
		KeyConditionExpression: aws.String("kind = :k"), ExpressionAttributeValues: map[string]types.AttributeValue{":k": &types.AttributeValueMemberS{Value: "k1"}}})
	wantAPIError(t, err, "ValidationException", "The table does not have the specified index: by-kind")

	// Billing mode and deletion protection.
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("events"), BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput:     &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(7)},
		DeletionProtectionEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	d, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("events")})
	if err != nil {
		t.Fatal(err)
	}
	if pt := d.Table.ProvisionedThroughput; pt == nil || aws.ToInt64(pt.WriteCapacityUnits) != 7 || !aws.ToBool(d.Table.DeletionProtectionEnabled) {
		t.Errorf("after UpdateTable: %+v, protection %v", d.Table.ProvisionedThroughput, aws.ToBool(d.Table.DeletionProtectionEnabled))
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("events"),
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(7)}})
	wantAPIError(t, err, "ValidationException", "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: 5. Requested ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the table: 7. Requested WriteCapacityUnits: 7. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.")
}

func TestQueryFilterOnKeyAttributeIsRefused(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	createOrders(t, c)
	_, err := c.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String("orders"),
		KeyConditionExpression: aws.String("customer = :c"), FilterExpression: aws.String("id > :i"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: "ann"}, ":i": &types.AttributeValueMemberN{Value: "1"}}})
	wantAPIError(t, err, "ValidationException", "Filter Expression can only contain non-primary key attributes: Primary key attribute: id")
	// A Scan may filter on keys; so may a Query on an index, on the table's.
	if _, err := c.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("orders"), FilterExpression: aws.String("id > :i"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":i": &types.AttributeValueMemberN{Value: "1"}}}); err != nil {
		t.Errorf("Scan filtering on a key: %v", err)
	}
	if _, err := c.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String("orders"), IndexName: aws.String("by-total"),
		KeyConditionExpression: aws.String("customer = :c"), FilterExpression: aws.String("id > :i"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: "ann"}, ":i": &types.AttributeValueMemberN{Value: "1"}}}); err != nil {
		t.Errorf("index Query filtering on the table's sort key: %v", err)
	}
}
