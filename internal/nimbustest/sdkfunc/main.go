// Command sdkfunc is a Lambda function that calls Lambda with the AWS SDK,
// as a function using its role would: it finds Nimbus through
// AWS_ENDPOINT_URL and signs with the credentials Nimbus issued to its
// instance. It answers the names of the functions it can see.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
)

func handle(ctx context.Context) ([]string, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	out, err := awslambda.NewFromConfig(cfg).ListFunctions(ctx, &awslambda.ListFunctionsInput{})
	if err != nil {
		return nil, err
	}
	names := []string{}
	for _, f := range out.Functions {
		names = append(names, *f.FunctionName)
	}
	return names, nil
}

func main() { lambda.Start(handle) }
