package lambda_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
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
	})
	out, res := invoke(t, client, "caller", map[string]any{"action": "list-functions"})
	if out.FunctionError != nil {
		t.Fatalf("the function's own SDK call failed: %v", res)
	}
	if fns, _ := res["functions"].([]any); len(fns) != 1 || fns[0] != "caller" {
		t.Errorf("the function listed %v, want its own account's [caller]", res["functions"])
	}

	bad := lambda.NewFromConfig(n.ConfigFor("AKIDADMIN", "wrong", "us-east-1"), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	_, err := bad.ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("a wrong secret answered %v", err)
	}
}
