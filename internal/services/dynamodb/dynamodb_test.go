package dynamodb_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

func client(t *testing.T, n *nimbustest.Nimbus) *dynamodb.Client {
	return dynamodb.NewFromConfig(n.Config(), func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
}

func wantAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (message != "" && ae.ErrorMessage() != message) {
		t.Errorf("error = %s: %q, want %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
}

func createTable(t *testing.T, c *dynamodb.Client, name string) {
	t.Helper()
	_, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := w.Wait(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 10*time.Second); err != nil {
		t.Fatalf("waiting for %s: %v", name, err)
	}
}

func TestTables(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createTable(t, c, "orders")

	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	tab := d.Table
	if tab.TableStatus != types.TableStatusActive || aws.ToString(tab.TableArn) != "arn:aws:dynamodb:us-east-1:000000000000:table/orders" ||
		tab.BillingModeSummary == nil || tab.BillingModeSummary.BillingMode != types.BillingModePayPerRequest || aws.ToInt64(tab.ItemCount) != 0 {
		t.Errorf("DescribeTable = %+v", tab)
	}
	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("orders"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}})
	wantAPIError(t, err, "ResourceInUseException", "Table already exists: orders")
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Errorf("the SDK did not type the error: %T", err)
	}
	_, err = c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("bad"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [id]")
	_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
	wantAPIError(t, err, "ResourceNotFoundException", "Requested resource not found: Table: missing not found")

	arnOrders := aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/orders")
	if _, err := c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: arnOrders, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &dynamodb.UntagResourceInput{ResourceArn: arnOrders, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: arnOrders})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Errorf("ListTagsOfResource = %+v, %v", tags, err)
	}
	if lim, err := c.DescribeLimits(ctx, &dynamodb.DescribeLimitsInput{}); err != nil || aws.ToInt64(lim.TableMaxReadCapacityUnits) != 40000 {
		t.Errorf("DescribeLimits = %+v, %v", lim, err)
	}
	if ep, err := c.DescribeEndpoints(ctx, &dynamodb.DescribeEndpointsInput{}); err != nil || len(ep.Endpoints) != 1 ||
		"http://"+aws.ToString(ep.Endpoints[0].Address) != n.URL() {
		t.Errorf("DescribeEndpoints = %+v, %v", ep, err)
	}

	createTable(t, c, "users")
	list, err := c.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
	if err != nil || !cmp.Equal(list.TableNames, []string{"orders"}) || aws.ToString(list.LastEvaluatedTableName) != "orders" {
		t.Errorf("ListTables page 1 = %+v, %v", list, err)
	}
	list, _ = c.ListTables(ctx, &dynamodb.ListTablesInput{ExclusiveStartTableName: list.LastEvaluatedTableName})
	if !cmp.Equal(list.TableNames, []string{"users"}) {
		t.Errorf("ListTables page 2 = %v", list.TableNames)
	}
	if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("users")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("users")})
	wantAPIError(t, err, "ResourceNotFoundException", "")
}

func TestItems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := server.Config{DataDir: dir, Isolation: "off"}
	n := nimbustest.StartWith(t, nimbustest.Options{Config: cfg})
	c := client(t, n)
	ctx := context.Background()
	createTable(t, c, "items")
	item := map[string]types.AttributeValue{
		"pk":    &types.AttributeValueMemberS{Value: "user#1"},
		"sk":    &types.AttributeValueMemberN{Value: "1.50"},
		"name":  &types.AttributeValueMemberS{Value: "Ada"},
		"tags":  &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"meta":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "42"}, "empty": &types.AttributeValueMemberS{Value: ""}}},
		"list":  &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberBOOL{Value: true}, &types.AttributeValueMemberNULL{Value: true}}},
		"bytes": &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: item}); err != nil {
		t.Fatal(err)
	}
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "user#1"}, "sk": &types.AttributeValueMemberN{Value: "1.5"}}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Item["sk"].(*types.AttributeValueMemberN); !ok || v.Value != "1.5" {
		t.Errorf("sk = %#v, want the number normalized to 1.5", got.Item["sk"])
	}
	if v, ok := got.Item["meta"].(*types.AttributeValueMemberM); !ok || len(v.Value) != 2 {
		t.Errorf("meta = %#v", got.Item["meta"])
	}
	if len(got.Item) != len(item) {
		t.Errorf("item has %d attributes, want %d", len(got.Item), len(item))
	}

	for _, tt := range []struct {
		name    string
		call    func() error
		code    string
		message string
	}{
		{"missing key attribute", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Missing the key sk in the item"},
		{"empty key string", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: ""}, "sk": &types.AttributeValueMemberN{Value: "1"}}})
			return err
		}, "ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"},
		{"partition key over 2,048 bytes", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: strings.Repeat("k", 2049)}, "sk": &types.AttributeValueMemberN{Value: "1"}}})
			return err
		}, "ValidationException", "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"},
		{"key of the wrong shape", func() error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}})
			return err
		}, "ValidationException", "The provided key element does not match the schema"},
		{"empty set", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "x"}, "sk": &types.AttributeValueMemberN{Value: "1"}, "s": &types.AttributeValueMemberNS{Value: []string{}}}})
			return err
		}, "ValidationException", ""},
		{"a legacy condition is applied, not ignored", func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("items"), Item: item,
				Expected: map[string]types.ExpectedAttributeValue{"pk": {Exists: aws.Bool(false)}}})
			return err
		}, "ConditionalCheckFailedException", "The conditional request failed"},
		{"missing table", func() error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("nope"), Key: key})
			return err
		}, "ResourceNotFoundException", "Requested resource not found: Table: nope not found"},
	} {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code, tt.message) })
	}

	// Items survive a restart on the same data directory.
	n.Stop()
	n = nimbustest.StartWith(t, nimbustest.Options{Config: cfg})
	c = client(t, n)
	got, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: key})
	if err != nil || len(got.Item) != len(item) {
		t.Fatalf("after a restart: %v, %v", got, err)
	}
	del, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("items"), Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || len(del.Attributes) != len(item) {
		t.Fatalf("DeleteItem ALL_OLD = %v, %v", del, err)
	}
	got, _ = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("items"), Key: key})
	if got.Item != nil {
		t.Errorf("deleted, yet GetItem = %v", got.Item)
	}
}

func TestExpressions(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createTable(t, c, "exprs")
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}, "sk": &types.AttributeValueMemberN{Value: "1"}}
	str := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	num := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

	// A conditional put: only when absent.
	put := func() error {
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("exprs"),
			Item:                map[string]types.AttributeValue{"pk": str("k"), "sk": num("1"), "status": str("new"), "count": num("0")},
			ConditionExpression: aws.String("attribute_not_exists(pk)")})
		return err
	}
	if err := put(); err != nil {
		t.Fatal(err)
	}
	err := put()
	wantAPIError(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Errorf("not typed: %T", err)
	}

	// UpdateItem: SET with a reserved word through #name, ADD, REMOVE.
	out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("exprs"), Key: key,
		UpdateExpression:          aws.String("SET #s = :s, tags = list_append(if_not_exists(tags, :empty), :t) ADD #c :one"),
		ConditionExpression:       aws.String("#s = :old"),
		ExpressionAttributeNames:  map[string]string{"#s": "status", "#c": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": str("done"), ":old": str("new"), ":one": num("1"), ":empty": &types.AttributeValueMemberL{}, ":t": &types.AttributeValueMemberL{Value: []types.AttributeValue{str("x")}}},
		ReturnValues:              types.ReturnValueAllNew})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := out.Attributes["status"].(*types.AttributeValueMemberS); v == nil || v.Value != "done" {
		t.Errorf("ALL_NEW = %v", out.Attributes)
	}
	if v, _ := out.Attributes["count"].(*types.AttributeValueMemberN); v == nil || v.Value != "1" {
		t.Errorf("count = %v", out.Attributes["count"])
	}

	for _, tt := range []struct {
		name    string
		in      dynamodb.UpdateItemInput
		message string
	}{
		{"a reserved word", dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET status = :s"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": str("x")}},
			"Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"},
		{"an unused value", dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET a = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": str("x"), ":b": str("y")}},
			"Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}"},
		{"a key attribute", dynamodb.UpdateItemInput{UpdateExpression: aws.String("SET pk = :a"), ExpressionAttributeValues: map[string]types.AttributeValue{":a": str("x")}},
			"One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.TableName, in.Key = aws.String("exprs"), key
			_, err := c.UpdateItem(ctx, &in)
			wantAPIError(t, err, "ValidationException", tt.message)
		})
	}

	// Projection.
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("exprs"), Key: key,
		ProjectionExpression: aws.String("#s, tags[0]"), ExpressionAttributeNames: map[string]string{"#s": "status"}})
	if err != nil || len(got.Item) != 2 {
		t.Errorf("projected item = %v, %v", got.Item, err)
	}

	// Concurrent ADDs on one counter lose nothing.
	const workers, each = 8, 25
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for range each {
				if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("exprs"), Key: key,
					UpdateExpression: aws.String("ADD hits :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": num("1")}}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	got, _ = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("exprs"), Key: key})
	if v, _ := got.Item["hits"].(*types.AttributeValueMemberN); v == nil || v.Value != "200" {
		t.Errorf("hits = %v, want 200", got.Item["hits"])
	}
}

func TestQueryAndScan(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createTable(t, c, "reads")
	str := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	num := func(i int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(i)} }
	for i := 1; i <= 30; i++ {
		c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("reads"), Item: map[string]types.AttributeValue{
			"pk": str("p1"), "sk": num(i), "even": &types.AttributeValueMemberBOOL{Value: i%2 == 0}}})
	}
	for i := 1; i <= 5; i++ {
		c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("reads"), Item: map[string]types.AttributeValue{"pk": str("p2"), "sk": num(i)}})
	}
	sks := func(items []map[string]types.AttributeValue) []int {
		var out []int
		for _, it := range items {
			v, _ := strconv.Atoi(it["sk"].(*types.AttributeValueMemberN).Value)
			out = append(out, v)
		}
		return out
	}
	query := func(in dynamodb.QueryInput) *dynamodb.QueryOutput {
		t.Helper()
		in.TableName = aws.String("reads")
		out, err := c.Query(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	p1 := map[string]types.AttributeValue{":p": str("p1")}
	out := query(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: p1})
	if got := sks(out.Items); len(got) != 30 || got[0] != 1 || got[29] != 30 || out.LastEvaluatedKey != nil {
		t.Errorf("query = %v (LastEvaluatedKey %v)", got, out.LastEvaluatedKey)
	}
	out = query(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :a AND :b"), ScanIndexForward: aws.Bool(false),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str("p1"), ":a": num(5), ":b": num(10)}})
	if got := sks(out.Items); !cmp.Equal(got, []int{10, 9, 8, 7, 6, 5}) {
		t.Errorf("BETWEEN, backwards = %v", got)
	}
	out = query(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p AND sk > :a"), FilterExpression: aws.String("even = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str("p1"), ":a": num(20), ":t": &types.AttributeValueMemberBOOL{Value: true}}})
	if got := sks(out.Items); !cmp.Equal(got, []int{22, 24, 26, 28, 30}) || out.Count != 5 || out.ScannedCount != 10 {
		t.Errorf("filtered = %v, Count %d, ScannedCount %d", got, out.Count, out.ScannedCount)
	}
	out = query(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: p1, Select: types.SelectCount})
	if out.Count != 30 || out.Items != nil {
		t.Errorf("COUNT = %d, items %v", out.Count, out.Items)
	}

	// Pages of 7, through the SDK's paginator.
	var all []int
	pages := dynamodb.NewQueryPaginator(c, &dynamodb.QueryInput{TableName: aws.String("reads"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: p1, Limit: aws.Int32(7)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, sks(page.Items)...)
	}
	if len(all) != 30 || all[29] != 30 || !sort.IntsAreSorted(all) {
		t.Errorf("paginated = %v", all)
	}

	// Scan: everything, and four segments that share it out.
	scanned, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("reads")})
	if err != nil || len(scanned.Items) != 35 {
		t.Fatalf("Scan = %d items, %v", len(scanned.Items), err)
	}
	seen := 0
	for seg := int32(0); seg < 4; seg++ {
		part, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("reads"), Segment: aws.Int32(seg), TotalSegments: aws.Int32(4)})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(part.Items)
	}
	if seen != 35 {
		t.Errorf("segments held %d items, want 35", seen)
	}

	// A page ends at 1 MB read.
	big := strings.Repeat("x", 300*1024)
	for i := 1; i <= 5; i++ {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("reads"), Item: map[string]types.AttributeValue{
			"pk": str("big"), "sk": num(i), "blob": str(big)}}); err != nil {
			t.Fatal(err)
		}
	}
	out = query(dynamodb.QueryInput{KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": str("big")}})
	if len(out.Items) != 4 || out.LastEvaluatedKey == nil {
		t.Errorf("1 MB page held %d items, LastEvaluatedKey %v", len(out.Items), out.LastEvaluatedKey)
	}
}

func TestBatchesAndTransactions(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createTable(t, c, "tx")
	str := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	num := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }
	key := func(pk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": str(pk), "sk": num("0")}
	}
	tbl := aws.String("tx")

	var writes []types.WriteRequest
	for _, pk := range []string{"a", "b", "c"} {
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": str(pk), "sk": num("0"), "v": num("10")}}})
	}
	if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"tx": writes}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"tx": {Keys: []map[string]types.AttributeValue{key("a"), key("c"), key("zz")}}}})
	if err != nil || len(got.Responses["tx"]) != 2 || len(got.UnprocessedKeys) != 0 {
		t.Fatalf("BatchGetItem = %+v, %v", got, err)
	}
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"tx": {writes[0], writes[0]}}})
	wantAPIError(t, err, "ValidationException", "Provided list of item keys contains duplicates")

	// A failed condition cancels the whole transaction.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: tbl, Key: key("a"), ConditionExpression: aws.String("v > :x"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":x": num("100")}}},
		{Put: &types.Put{TableName: tbl, Item: map[string]types.AttributeValue{"pk": str("d"), "sk": num("0")}}},
	}})
	wantAPIError(t, err, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]")
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 2 || aws.ToString(tce.CancellationReasons[0].Code) != "ConditionalCheckFailed" ||
		aws.ToString(tce.CancellationReasons[1].Code) != "None" {
		t.Errorf("cancellation reasons: %+v", tce)
	}
	if g, _ := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: tbl, Key: key("d")}); g.Item != nil {
		t.Error("a cancelled transaction wrote an item")
	}
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: tbl, Key: key("a")}},
		{Update: &types.Update{TableName: tbl, Key: key("a"), UpdateExpression: aws.String("SET v = :x"), ExpressionAttributeValues: map[string]types.AttributeValue{":x": num("1")}}},
	}})
	wantAPIError(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item")

	// Idempotent with a ClientRequestToken.
	move := func(token string, amount string) error {
		_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(token), TransactItems: []types.TransactWriteItem{
			{Update: &types.Update{TableName: tbl, Key: key("a"), UpdateExpression: aws.String("ADD v :m"), ExpressionAttributeValues: map[string]types.AttributeValue{":m": num("-" + amount)}}},
			{Update: &types.Update{TableName: tbl, Key: key("b"), UpdateExpression: aws.String("ADD v :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": num(amount)}}},
		}})
		return err
	}
	for range 2 {
		if err := move("once", "1"); err != nil {
			t.Fatal(err)
		}
	}
	wantAPIError(t, move("once", "2"), "IdempotentParameterMismatchException", "")

	// Concurrent transfers conserve the total.
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			for i := range 10 {
				if err := move(fmt.Sprintf("w%d-%d", w, i), "1"); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: tbl, Key: key("a")}}, {Get: &types.Get{TableName: tbl, Key: key("b")}}}})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Responses[0].Item["v"].(*types.AttributeValueMemberN).Value
	b := res.Responses[1].Item["v"].(*types.AttributeValueMemberN).Value
	if a != "-71" || b != "91" {
		t.Errorf("after 81 transfers: a = %s, b = %s; want -71 and 91", a, b)
	}
}
