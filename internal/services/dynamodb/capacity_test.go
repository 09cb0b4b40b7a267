package dynamodb_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

func TestConsumedCapacity(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createOrders(t, c)
	units := func(cc *types.ConsumedCapacity) float64 {
		t.Helper()
		if cc == nil {
			t.Fatal("no ConsumedCapacity")
		}
		if aws.ToString(cc.TableName) != "orders" {
			t.Errorf("ConsumedCapacity.TableName = %q", aws.ToString(cc.TableName))
		}
		return aws.ToFloat64(cc.CapacityUnits)
	}
	// A 2.5 KB item with a status: 3 units on the table, 1 on by-status
	// (keys and amount), 1 on by-total (keys only).
	item, _ := attributevalue.MarshalMap(order{Customer: "ann", ID: 1, Status: "open", Placed: "2026-01-01", Total: 5, Note: strings.Repeat("x", 2500)})
	put, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
	if err != nil {
		t.Fatal(err)
	}
	if got := units(put.ConsumedCapacity); got != 5 {
		t.Errorf("PutItem CapacityUnits = %v, want 5", got)
	}
	wantIdx := map[string]float64{"by-status": 1}
	gotIdx := map[string]float64{}
	for k, v := range put.ConsumedCapacity.GlobalSecondaryIndexes {
		gotIdx[k] = aws.ToFloat64(v.CapacityUnits)
	}
	if d := cmp.Diff(wantIdx, gotIdx); d != "" || aws.ToFloat64(put.ConsumedCapacity.Table.CapacityUnits) != 3 {
		t.Errorf("PutItem INDEXES: table %v, GSIs (-want +got):\n%s", aws.ToFloat64(put.ConsumedCapacity.Table.CapacityUnits), d)
	}
	key := map[string]types.AttributeValue{"customer": &types.AttributeValueMemberS{Value: "ann"}, "id": &types.AttributeValueMemberN{Value: "1"}}
	get, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: key, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if got := units(get.ConsumedCapacity); got != 0.5 || get.ConsumedCapacity.Table != nil {
		t.Errorf("GetItem TOTAL = %v (Table %v), want 0.5 and no Table", got, get.ConsumedCapacity.Table)
	}
	get, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: key, ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if got := units(get.ConsumedCapacity); got != 1 {
		t.Errorf("consistent GetItem = %v, want 1", got)
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("orders"), KeyConditionExpression: aws.String("customer = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: "ann"}}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil {
		t.Fatal(err)
	}
	if got := units(q.ConsumedCapacity); got != 0.5 {
		t.Errorf("Query = %v, want 0.5", got)
	}
	tx, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		TransactItems: []types.TransactWriteItem{{Delete: &types.Delete{TableName: aws.String("orders"), Key: key}}}})
	if err != nil {
		t.Fatal(err)
	}
	// Deleting the 2.5 KB item: 3 units on the table, 1 on each index, doubled.
	if len(tx.ConsumedCapacity) != 1 || units(&tx.ConsumedCapacity[0]) != 10 {
		t.Errorf("TransactWriteItems ConsumedCapacity = %+v, want 10 units", tx.ConsumedCapacity)
	}
	none, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orders"), Key: key})
	if err != nil || none.ConsumedCapacity != nil {
		t.Errorf("GetItem without ReturnConsumedCapacity: %v, %+v", err, none.ConsumedCapacity)
	}
}

func TestUpdatedReturnValuesAreNested(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createTable(t, c, "docs")
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}, "sk": &types.AttributeValueMemberN{Value: "1"}}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("docs"), Item: map[string]types.AttributeValue{
		"pk": key["pk"], "sk": key["sk"], "other": &types.AttributeValueMemberS{Value: "kept"},
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": &types.AttributeValueMemberN{Value: "1"}, "y": &types.AttributeValueMemberN{Value: "2"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	update := func(rv types.ReturnValue) map[string]any {
		out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("docs"), Key: key, ReturnValues: rv,
			UpdateExpression: aws.String("SET m.x = m.x + :one, n = :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}})
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if d := cmp.Diff(map[string]any{"m": map[string]any{"x": 1.0}}, update(types.ReturnValueUpdatedOld)); d != "" {
		t.Errorf("UPDATED_OLD (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]any{"m": map[string]any{"x": 3.0}, "n": 1.0}, update(types.ReturnValueUpdatedNew)); d != "" {
		t.Errorf("UPDATED_NEW (-want +got):\n%s", d)
	}
}
