package dynamodb_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// BenchmarkPutItem puts 1 KB items through the SDK against an in-process
// server, in parallel: client and server share the CPU, so this is for
// profiling the write path (go test -bench PutItem -cpuprofile), not for
// the figures in the README (bench/ measures those).
func BenchmarkPutItem(b *testing.B) {
	n := nimbustest.StartWith(b, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	c := dynamodb.NewFromConfig(n.Config())
	ctx := context.Background()
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("bench"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}}}); err != nil {
		b.Fatal(err)
	}
	payload := &types.AttributeValueMemberS{Value: strings.Repeat("x", 1000)}
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench"), Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: fmt.Sprint("item-", seq.Add(1)%10000)}, "payload": payload}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
