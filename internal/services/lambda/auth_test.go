package lambda_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/nimbus-dev/nimbus/internal/auth"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// Under --auth verify, callers need real signatures, and a function's own
// SDK calls are signed with the credentials Nimbus issued to its instance.
func TestVerifiedAuthAndFunctionCredentials(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{
		VerifyAuth:  true,
		Credentials: []auth.Credentials{{AccessKeyID: "AKIDADMIN", SecretAccessKey: "admin-secret", Account: "123456789012"}},
	}})
	client := lambda.NewFromConfig(n.ConfigFor("AKIDADMIN", "admin-secret", "us-east-1"))
	createFunction(t, client, "caller", func(in *lambda.CreateFunctionInput) {
		in.Role = aws.String("arn:aws:iam::123456789012:role/r")
		in.Code = &types.FunctionCode{ZipFile: nimbustest.SDKFunctionZip(t)}
	})
	out, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("caller")})
	if err != nil {
		t.Fatal(err)
	}
	if out.FunctionError != nil || string(out.Payload) != `["caller"]` {
		t.Fatalf("the function's own SDK call answered %s (error %v); want its own account's [\"caller\"]", out.Payload, out.FunctionError)
	}

	bad := lambda.NewFromConfig(n.ConfigFor("AKIDADMIN", "wrong", "us-east-1"), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	_, err = bad.ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("a wrong secret answered %v", err)
	}
}
