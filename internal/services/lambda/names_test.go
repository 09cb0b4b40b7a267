package lambda_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
)

// The cases and answers of AWS's own recording of function-name and
// qualifier validation (shared/aws-recorded/lambda_, test_lambda_api).
func TestFunctionNameAndQualifierValidation(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	long := strings.Repeat("a", 65)
	tests := []struct {
		name       string
		function   string
		qualifier  string
		invokeCode string
		invokeMsg  string
		createCode string
		createMsg  string
	}{
		// The recording's patterns are a newer model's (with "(eusc-)?"); ours come from the model we generate from.
		{"single invalid", "*", "", "ValidationException", "Value '*' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:",
			"ValidationException", "Value '*' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:"},
		{"invalid characters", "my-function!", "", "ValidationException", "Value 'my-function!' at 'functionName'",
			"ValidationException", "Value 'my-function!' at 'functionName'"},
		{"invalid qualifier", "my-function", "invalid!", "ValidationException", "Value 'invalid!' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: \\$(LATEST(\\.PUBLISHED)?)|[a-zA-Z0-9-_$]+", "", ""},
		{"name too long", long, "", "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:" + long,
			"InvalidParameterValueException", "Value '" + long + "' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"qualifier too long", "my-function", strings.Repeat("a", 129), "ValidationException", "at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128", "", ""},
		{"multiple qualifiers", "arn:aws:lambda:us-east-1:000000000000:function:my-function:1:2", "", "ValidationException", "Member must satisfy regular expression pattern",
			"ValidationException", "Member must satisfy regular expression pattern"},
		{"qualifier mismatch", "arn:aws:lambda:us-east-1:000000000000:function:my-function:$LATEST", "1", "InvalidParameterValueException",
			"The derived qualifier from the function name does not match the specified qualifier.", "", ""},
		{"missing region", "arn:aws:lambda::000000000000:function:my-function", "", "ValidationException", "Member must satisfy regular expression pattern",
			"ValidationException", "Member must satisfy regular expression pattern"},
		{"invalid account", "invalid-account:function:my-function", "", "ValidationException", "Member must satisfy regular expression pattern",
			"ValidationException", "Member must satisfy regular expression pattern"},
	}
	zip := nimbustest.FunctionZip(t)
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &lambda.InvokeInput{FunctionName: aws.String(tt.function)}
			if tt.qualifier != "" {
				in.Qualifier = aws.String(tt.qualifier)
			}
			_, err := client.Invoke(ctx, in)
			wantAPIError(t, err, tt.invokeCode, tt.invokeMsg)
			if tt.createCode == "" {
				return
			}
			_, err = client.CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String(tt.function), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
				Role: aws.String(role), Code: &types.FunctionCode{ZipFile: zip},
			})
			wantAPIError(t, err, tt.createCode, tt.createMsg)
		})
	}
}
