package dynamodb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// account is a Go struct stored with the attributevalue codec, as users
// write their models.
type account struct {
	PK      string            `dynamodbav:"pk"`
	SK      int               `dynamodbav:"sk"`
	Owner   string            `dynamodbav:"owner"`
	Balance float64           `dynamodbav:"balance"`
	Tags    []string          `dynamodbav:"tags,stringset,omitempty"`
	Limits  map[string]int    `dynamodbav:"limits,omitempty"`
	History []string          `dynamodbav:"history"`
	Meta    map[string]string `dynamodbav:"meta,omitempty"`
}

// TestExpressionBuilders drives conditions, updates, projections, filters
// and key conditions as a user writes them with the SDK's expression
// builder (whose placeholders are #0, :0, …) and the attributevalue codec.
func TestExpressionBuilders(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := client(t, n)
	ctx := context.Background()
	createTable(t, c, "accounts")
	tbl := aws.String("accounts")

	for i, owner := range []string{"ann", "bob", "cy"} {
		item, err := attributevalue.MarshalMap(account{PK: "acct", SK: i + 1, Owner: owner, Balance: 100, Tags: []string{"new"},
			Limits: map[string]int{"daily": 50}, History: []string{"opened"}})
		if err != nil {
			t.Fatal(err)
		}
		cond, err := expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name("pk"))).Build()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: tbl, Item: item, ConditionExpression: cond.Condition(),
			ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values()}); err != nil {
			t.Fatalf("conditional PutItem: %v", err)
		}
	}
	key, _ := attributevalue.MarshalMap(map[string]any{"pk": "acct", "sk": 1})

	// Withdraw 30 if the balance allows it and the daily limit is not
	// exceeded; tag the account and append to its history.
	update := expression.Set(expression.Name("balance"), expression.Name("balance").Minus(expression.Value(30))).
		Add(expression.Name("tags"), expression.Value(&types.AttributeValueMemberSS{Value: []string{"active"}})).
		Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value([]string{"withdrew 30"}))).
		Set(expression.Name("meta.source"), expression.IfNotExists(expression.Name("meta.source"), expression.Value("atm")))
	cond := expression.Name("balance").GreaterThanEqual(expression.Value(30)).
		And(expression.Name("limits.daily").GreaterThanEqual(expression.Value(30)))
	e, err := expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: key, UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	// meta does not exist: setting meta.source is refused as on DynamoDB.
	wantAPIError(t, err, "ValidationException", "The document path provided in the update expression is invalid for update")

	update = expression.Set(expression.Name("balance"), expression.Name("balance").Minus(expression.Value(30))).
		Add(expression.Name("tags"), expression.Value(&types.AttributeValueMemberSS{Value: []string{"active"}})).
		Set(expression.Name("history"), expression.ListAppend(expression.Name("history"), expression.Value([]string{"withdrew 30"})))
	e, err = expression.NewBuilder().WithUpdate(update).WithCondition(cond).Build()
	if err != nil {
		t.Fatal(err)
	}
	for i, wantFail := range []bool{false, false, false, true} {
		out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: tbl, Key: key, UpdateExpression: e.Update(), ConditionExpression: e.Condition(),
			ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(), ReturnValues: types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
		var ccf *types.ConditionalCheckFailedException
		if wantFail {
			if !errors.As(err, &ccf) {
				t.Fatalf("withdrawal %d: err = %v, want ConditionalCheckFailedException", i, err)
			}
			var old account
			if err := attributevalue.UnmarshalMap(ccf.Item, &old); err != nil || old.Balance != 10 {
				t.Errorf("the failed check's item = %+v (%v), want balance 10", old, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("withdrawal %d: %v", i, err)
		}
		var got account
		if err := attributevalue.UnmarshalMap(out.Attributes, &got); err != nil {
			t.Fatal(err)
		}
		if got.Balance != 100-30*float64(i+1) || len(got.History) != i+2 || len(got.Tags) != 2 {
			t.Errorf("after withdrawal %d: %+v", i, got)
		}
	}

	// Query with a key condition, a filter and a projection.
	kc := expression.Key("pk").Equal(expression.Value("acct")).And(expression.Key("sk").Between(expression.Value(1), expression.Value(3)))
	filter := expression.Name("balance").Equal(expression.Value(100)).And(expression.Contains(expression.Name("tags"), "new"))
	proj := expression.NamesList(expression.Name("owner"), expression.Name("limits.daily"))
	e, err = expression.NewBuilder().WithKeyCondition(kc).WithFilter(filter).WithProjection(proj).Build()
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: tbl, KeyConditionExpression: e.KeyCondition(), FilterExpression: e.Filter(),
		ProjectionExpression: e.Projection(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := attributevalue.UnmarshalListOfMaps(q.Items, &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"owner": "bob", "limits": map[string]any{"daily": 50.0}},
		{"owner": "cy", "limits": map[string]any{"daily": 50.0}},
	}
	if d := cmp.Diff(want, got); d != "" || q.ScannedCount != 3 {
		t.Errorf("Query (ScannedCount %d) (-want +got):\n%s", q.ScannedCount, d)
	}

	// A Scan filtered with OR, NOT, IN, size and attribute_type.
	filter = expression.Name("owner").In(expression.Value("ann"), expression.Value("cy")).
		Or(expression.Not(expression.Name("balance").GreaterThan(expression.Value(50)))).
		And(expression.Name("history").Size().LessThan(expression.Value(10))).
		And(expression.Name("tags").AttributeType(expression.StringSet))
	e, err = expression.NewBuilder().WithFilter(filter).Build()
	if err != nil {
		t.Fatal(err)
	}
	scan, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: tbl, FilterExpression: e.Filter(), ExpressionAttributeNames: e.Names(),
		ExpressionAttributeValues: e.Values(), Select: types.SelectCount})
	if err != nil {
		t.Fatal(err)
	}
	if scan.Count != 2 {
		t.Errorf("Scan count = %d, want 2 (ann and cy)", scan.Count)
	}
}
