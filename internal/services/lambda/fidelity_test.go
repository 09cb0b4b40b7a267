package lambda_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

// Answers checked against AWS's recordings (shared/aws-recorded/lambda_).
func TestRecordedAnswers(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	ctx := context.Background()
	created := createFunction(t, client, "fn")
	arn := aws.ToString(created.FunctionArn)

	t.Run("environment omitted when never set", func(t *testing.T) {
		if created.Environment != nil {
			t.Errorf("CreateFunction answered Environment %+v", created.Environment)
		}
	})
	t.Run("invoke names $LATEST when not found", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("doesnotexist")})
		wantAPIError(t, err, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:doesnotexist:$LATEST")
	})
	t.Run("wrong region", func(t *testing.T) {
		_, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:000000000000:function:fn")})
		wantAPIError(t, err, "ResourceNotFoundException", "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')")
	})
	t.Run("tags on a qualified arn", func(t *testing.T) {
		_, err := client.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn + ":$LATEST"), Tags: map[string]string{"a": "b"}})
		wantAPIError(t, err, "InvalidParameterValueException", "Tags on function aliases and versions are not supported. Please specify a function ARN.")
	})
	t.Run("concurrency on a qualified arn", func(t *testing.T) {
		_, err := client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(arn + ":1"), ReservedConcurrentExecutions: aws.Int32(1)})
		wantAPIError(t, err, "InvalidParameterValueException", "This operation is permitted on Lambda functions only.")
	})
	t.Run("concurrency on a missing function", func(t *testing.T) {
		_, err := client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("nope"), ReservedConcurrentExecutions: aws.Int32(1)})
		wantAPIError(t, err, "ResourceNotFoundException", "function:nope:$LATEST")
	})
	t.Run("invalid utf-8 payload", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte("\"n\x87r\"")})
		wantAPIError(t, err, "InvalidRequestContentException", "Could not parse request body into json")
	})
	t.Run("too many tags on create", func(t *testing.T) {
		tags := map[string]string{}
		for i := 0; i < 51; i++ {
			tags[strings.Repeat("k", i+1)] = "v"
		}
		_, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("tagged"), Runtime: types.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Role: aws.String(role), Code: &types.FunctionCode{ZipFile: nimbustest.FunctionZip(t)}, Tags: tags})
		wantAPIError(t, err, "InvalidParameterValueException", "Number of tags exceeds resource tag limit.")
	})
	t.Run("environment measured as json", func(t *testing.T) {
		_, err := client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"),
			Environment: &types.Environment{Variables: map[string]string{"LARGE_VAR": strings.Repeat("x", 4085)}}})
		wantAPIError(t, err, "InvalidParameterValueException", `exceeded the 4KB limit. String measured: {"LARGE_VAR":"xxx`)
	})
	t.Run("custom log group refused by name", func(t *testing.T) {
		_, err := client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fn"),
			LoggingConfig: &types.LoggingConfig{LogGroup: aws.String("/custom")}})
		wantAPIError(t, err, "InvalidParameterValueException", "LoggingConfig LogGroup is not supported by Nimbus yet")
	})
	t.Run("list omits state", func(t *testing.T) {
		out, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{})
		if err != nil || len(out.Functions) != 1 {
			t.Fatalf("ListFunctions = %+v, %v", out, err)
		}
		if f := out.Functions[0]; f.State != "" || f.LastUpdateStatus != "" {
			t.Errorf("listed function has State %q LastUpdateStatus %q; AWS lists neither", f.State, f.LastUpdateStatus)
		}
	})
}

func TestTagsAndConcurrencyKeepTheRevision(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	ctx := context.Background()
	created := createFunction(t, client, "fn")
	_, first := invokeSettled(t, client, "fn", map[string]any{})
	if _, err := client.TagResource(ctx, &lambda.TagResourceInput{Resource: created.FunctionArn, Tags: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("fn"), ReservedConcurrentExecutions: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.RevisionId) != aws.ToString(created.RevisionId) || aws.ToString(got.LastModified) != aws.ToString(created.LastModified) {
		t.Errorf("tagging changed RevisionId %s → %s or LastModified", aws.ToString(created.RevisionId), aws.ToString(got.RevisionId))
	}
	if _, again := invoke(t, client, "fn", map[string]any{}); again["count"].(float64) != first["count"].(float64)+1 {
		t.Errorf("the warm instance was dropped by a tag change: count %v after %v", again["count"], first["count"])
	}
}

func TestUpdateFunctionCodeDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	ctx := context.Background()
	created := createFunction(t, client, "fn")
	other := append([]byte(nil), nimbustest.FunctionZip(t)...)
	other = append(other, 0) // a different package (trailing bytes after a zip are allowed)
	out, err := client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fn"), ZipFile: other, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CodeSha256) == aws.ToString(created.CodeSha256) {
		t.Error("the dry run did not report the new package's hash")
	}
	got, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.CodeSha256) != aws.ToString(created.CodeSha256) || aws.ToString(got.RevisionId) != aws.ToString(created.RevisionId) {
		t.Errorf("a dry run changed the function: %s → %s", aws.ToString(created.CodeSha256), aws.ToString(got.CodeSha256))
	}
}

// Code lost in a crash (its directory gone) is unpacked again from the
// stored zip at the next start; unused code is collected.
func TestCodeIsRestoredAndCollectedAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{DataDir: dir}})
	client := lambda.NewFromConfig(n.Config())
	createFunction(t, client, "kept")
	n.Stop()

	codeDirs, _ := filepath.Glob(filepath.Join(dir, "code", "*"))
	var unpacked string
	for _, d := range codeDirs {
		if !strings.HasSuffix(d, ".zip") {
			unpacked = d
		}
	}
	if unpacked == "" {
		t.Fatalf("no unpacked code in %v", codeDirs)
	}
	os.RemoveAll(unpacked)
	stray := filepath.Join(dir, "code", strings.Repeat("0", 64))
	os.MkdirAll(stray, 0o755)
	// Code a crash caught on its way out (moved aside, not yet removed).
	trash := filepath.Join(dir, "code", ".trash-"+strings.Repeat("1", 64)+"-1")
	os.MkdirAll(trash, 0o755)

	n = nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{DataDir: dir}})
	client = lambda.NewFromConfig(n.Config())
	if out, res := invoke(t, client, "kept", map[string]any{}); out.FunctionError != nil {
		t.Fatalf("invoke after restoring code: %v", res)
	}
	for _, p := range []string{stray, trash} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("unused code %s survived the start", p)
		}
	}
}
