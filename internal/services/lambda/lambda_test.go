package lambda_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
)

const role = "arn:aws:iam::000000000000:role/lambda-role"

// createFunction deploys the test function and waits until it is Active.
func createFunction(t *testing.T, client *lambda.Client, name string, opts ...func(*lambda.CreateFunctionInput)) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimeProvidedal2023,
		Handler:      aws.String("bootstrap"),
		Role:         aws.String(role),
		Code:         &types.FunctionCode{ZipFile: nimbustest.FunctionZip(t)},
		Timeout:      aws.Int32(30), // bounds a failure only: nothing here runs for long
	}
	for _, o := range opts {
		o(in)
	}
	out, err := client.CreateFunction(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFunction(%s): %v", name, err)
	}
	waiter := lambda.NewFunctionActiveV2Waiter(client, func(o *lambda.FunctionActiveV2WaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, patience); err != nil {
		t.Fatalf("waiting for %s to be active: %v", name, err)
	}
	return out
}

// invoke calls the function synchronously with ev and decodes the answer.
func invoke(t *testing.T, client *lambda.Client, name string, ev any) (*lambda.InvokeOutput, map[string]any) {
	t.Helper()
	return invokeWith(t, client, &lambda.InvokeInput{FunctionName: aws.String(name)}, ev)
}

// invokeSettled is invoke for a test that calls again and wants the warm
// instance: with the log tail asked for, the answer comes once the
// invocation is over and its instance back in the pool, rather than as
// soon as the function answers.
func invokeSettled(t *testing.T, client *lambda.Client, name string, ev any) (*lambda.InvokeOutput, map[string]any) {
	t.Helper()
	return invokeWith(t, client, &lambda.InvokeInput{FunctionName: aws.String(name), LogType: types.LogTypeTail}, ev)
}

func invokeWith(t *testing.T, client *lambda.Client, in *lambda.InvokeInput, ev any) (*lambda.InvokeOutput, map[string]any) {
	t.Helper()
	payload, _ := json.Marshal(ev)
	in.Payload = payload
	name := aws.ToString(in.FunctionName)
	out, err := client.Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("Invoke(%s, %s): %v", name, payload, err)
	}
	var res map[string]any
	if err := json.Unmarshal(out.Payload, &res); err != nil {
		t.Fatalf("Invoke(%s) payload %q: %v", name, out.Payload, err)
	}
	return out, res
}

// wantAPIError asserts err is the AWS error code with a message containing msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if apiErr.ErrorCode() != code || !strings.Contains(apiErr.ErrorMessage(), msg) {
		t.Fatalf("error = %s: %q, want %s containing %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, msg)
	}
}

func TestFunctionLifecycle(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	ctx := context.Background()

	created := createFunction(t, client, "life", func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(256)
		in.Environment = &types.Environment{Variables: map[string]string{"AA": "1"}}
		in.Tags = map[string]string{"team": "core"}
	})
	if created.State != types.StatePending || created.StateReasonCode != types.StateReasonCodeCreating {
		t.Errorf("CreateFunction state = %s/%s, want Pending/Creating", created.State, created.StateReasonCode)
	}
	if got, want := aws.ToString(created.FunctionArn), "arn:aws:lambda:us-east-1:000000000000:function:life"; got != want {
		t.Errorf("FunctionArn = %s, want %s", got, want)
	}

	got, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("life")})
	if err != nil {
		t.Fatal(err)
	}
	c := got.Configuration
	if diff := cmp.Diff(map[string]string{"AA": "1"}, c.Environment.Variables); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	if c.State != types.StateActive || c.LastUpdateStatus != types.LastUpdateStatusSuccessful || aws.ToInt32(c.MemorySize) != 256 ||
		aws.ToString(c.Version) != "$LATEST" || c.PackageType != types.PackageTypeZip || aws.ToString(c.LoggingConfig.LogGroup) != "/aws/lambda/life" {
		t.Errorf("configuration = %+v", c)
	}
	if got.Tags["team"] != "core" || aws.ToString(got.Code.RepositoryType) != "S3" {
		t.Errorf("tags %v, code %+v", got.Tags, got.Code)
	}

	upd, err := client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("life"), Timeout: aws.Int32(10), Description: aws.String("changed"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.LastUpdateStatus != types.LastUpdateStatusInProgress || aws.ToString(upd.RevisionId) == aws.ToString(c.RevisionId) {
		t.Errorf("update answered %s revision %s", upd.LastUpdateStatus, aws.ToString(upd.RevisionId))
	}
	updated := lambda.NewFunctionUpdatedV2Waiter(client, func(o *lambda.FunctionUpdatedV2WaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := updated.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("life")}, patience); err != nil {
		t.Fatal(err)
	}
	_, err = client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String("life"), ZipFile: nimbustest.FunctionZip(t), RevisionId: aws.String("stale"),
	})
	wantAPIError(t, err, "PreconditionFailedException", "The Revision Id provided does not match")
	if _, err := client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("life"), ZipFile: nimbustest.FunctionZip(t)}); err != nil {
		t.Fatal(err)
	}
	_, res := invoke(t, client, "life", map[string]any{"action": "echo"})
	if res["action"] != "echo" {
		t.Errorf("invoke after update answered %v", res)
	}

	if _, err := client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("life")}); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("life")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) || aws.ToString(notFound.Message) != "Function not found: arn:aws:lambda:us-east-1:000000000000:function:life" {
		t.Fatalf("GetFunction after delete: %v", err)
	}
}

func TestListFunctionsPages(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	for _, name := range []string{"c", "a", "b"} {
		createFunction(t, client, name)
	}
	var names []string
	pages := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
		t.Errorf("listed (-want +got):\n%s", diff)
	}
}

func TestCreateFunctionValidation(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	createFunction(t, client, "exists")
	zip := nimbustest.FunctionZip(t)
	tests := []struct {
		name   string
		change func(*lambda.CreateFunctionInput)
		code   string
		msg    string
	}{
		{"memory too small", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) }, "ValidationException",
			"1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"},
		{"memory too large", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(10241) }, "ValidationException",
			"Member must have value less than or equal to 10240"},
		{"timeout too long", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(901) }, "ValidationException",
			"Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"},
		{"role not an arn", func(in *lambda.CreateFunctionInput) { in.Role = aws.String("r1") }, "ValidationException",
			"1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"},
		{"unknown runtime", func(in *lambda.CreateFunctionInput) { in.Runtime = "non-existent-runtime" }, "InvalidParameterValueException",
			"Value non-existent-runtime at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [nodejs20.x"},
		{"name too long", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String(strings.Repeat("a", 65)) }, "InvalidParameterValueException",
			"Value '" + strings.Repeat("a", 65) + "' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"exists", func(in *lambda.CreateFunctionInput) { in.FunctionName = aws.String("exists") }, "ResourceConflictException",
			"Function already exist: exists"},
		{"not a zip", func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = []byte("not a zip") }, "InvalidParameterValueException",
			"Could not unzip uploaded file. Please check your file, then try to upload again."},
		{"no code", func(in *lambda.CreateFunctionInput) { in.Code = &types.FunctionCode{} }, "InvalidParameterValueException",
			"Please provide a source for function code."},
		{"reserved env", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"AWS_REGION": "x"}}
		}, "InvalidParameterValueException", "Reserved keys used in this request: AWS_REGION"},
		{"publish", func(in *lambda.CreateFunctionInput) { in.Publish = true }, "InvalidParameterValueException",
			"Publish is not supported by Nimbus yet"},
		{"layers", func(in *lambda.CreateFunctionInput) {
			in.Layers = []string{"arn:aws:lambda:us-east-1:000000000000:layer:l:1"}
		}, "InvalidParameterValueException", "Layers are not supported by Nimbus yet"},
		{"env over 4KB", func(in *lambda.CreateFunctionInput) {
			in.Environment = &types.Environment{Variables: map[string]string{"BIG": strings.Repeat("x", 4096)}}
		}, "InvalidParameterValueException", "exceeded the 4KB limit"},
		{"file systems", func(in *lambda.CreateFunctionInput) {
			in.FileSystemConfigs = []types.FileSystemConfig{{Arn: aws.String("arn:aws:elasticfilesystem:us-east-1:000000000000:access-point/fsap-0123456789abcdef0"), LocalMountPath: aws.String("/mnt/efs")}}
		}, "InvalidParameterValueException", "FileSystemConfigs are not supported by Nimbus yet"},
		{"snapstart", func(in *lambda.CreateFunctionInput) {
			in.SnapStart = &types.SnapStart{ApplyOn: types.SnapStartApplyOnPublishedVersions}
		}, "InvalidParameterValueException", "SnapStart ApplyOn PublishedVersions is not supported by Nimbus yet"},
		{"snapstart not in the enum", func(in *lambda.CreateFunctionInput) { in.SnapStart = &types.SnapStart{ApplyOn: "invalidOption"} },
			"ValidationException", "1 validation error detected: Value 'invalidOption' at 'snapStart.applyOn' failed to satisfy constraint: Member must satisfy enum value set: [PublishedVersions, None]"},
		{"image config", func(in *lambda.CreateFunctionInput) {
			in.ImageConfig = &types.ImageConfig{Command: []string{"app.handler"}}
		},
			"InvalidParameterValueException", "ImageConfig is not supported by Nimbus yet"},
		{"code signing", func(in *lambda.CreateFunctionInput) {
			in.CodeSigningConfigArn = aws.String("arn:aws:lambda:us-east-1:000000000000:code-signing-config:csc-0123456789abcdef0")
		}, "InvalidParameterValueException", "CodeSigningConfigArn is not supported by Nimbus yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &lambda.CreateFunctionInput{
				FunctionName: aws.String("fn-" + strings.ReplaceAll(tt.name, " ", "-")),
				Runtime:      types.RuntimeProvidedal2023,
				Handler:      aws.String("bootstrap"),
				Role:         aws.String(role),
				Code:         &types.FunctionCode{ZipFile: zip},
			}
			tt.change(in)
			_, err := client.CreateFunction(context.Background(), in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
}

// TestAcceptsWhatAsksForNothing checks that the zero values of refused
// parameters, as SDKs and SAM send them, are accepted.
func TestAcceptsWhatAsksForNothing(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	ctx := context.Background()
	createFunction(t, client, "plain", func(in *lambda.CreateFunctionInput) {
		in.SnapStart = &types.SnapStart{ApplyOn: types.SnapStartApplyOnNone}
		in.FileSystemConfigs = []types.FileSystemConfig{}
		in.ImageConfig = &types.ImageConfig{}
	})
	out, err := client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("plain"),
		SnapStart: &types.SnapStart{ApplyOn: types.SnapStartApplyOnNone}, FileSystemConfigs: []types.FileSystemConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	if out.SnapStart == nil || out.SnapStart.ApplyOn != types.SnapStartApplyOnNone || len(out.FileSystemConfigs) != 0 {
		t.Errorf("configuration = SnapStart %+v, FileSystemConfigs %v", out.SnapStart, out.FileSystemConfigs)
	}
	for _, tt := range []struct {
		name string
		in   lambda.UpdateFunctionConfigurationInput
		msg  string
	}{
		{"snapstart", lambda.UpdateFunctionConfigurationInput{SnapStart: &types.SnapStart{ApplyOn: types.SnapStartApplyOnPublishedVersions}},
			"SnapStart ApplyOn PublishedVersions is not supported by Nimbus yet"},
		{"file systems", lambda.UpdateFunctionConfigurationInput{FileSystemConfigs: []types.FileSystemConfig{{
			Arn: aws.String("arn:aws:elasticfilesystem:us-east-1:000000000000:access-point/fsap-0123456789abcdef0"), LocalMountPath: aws.String("/mnt/efs")}}},
			"FileSystemConfigs are not supported by Nimbus yet"},
		{"image config", lambda.UpdateFunctionConfigurationInput{ImageConfig: &types.ImageConfig{EntryPoint: []string{"/bin/sh"}}},
			"ImageConfig is not supported by Nimbus yet"},
	} {
		t.Run("update refuses "+tt.name, func(t *testing.T) {
			in := tt.in
			in.FunctionName = aws.String("plain")
			_, err := client.UpdateFunctionConfiguration(ctx, &in)
			wantAPIError(t, err, "InvalidParameterValueException", tt.msg)
		})
	}
}

func TestInvokeOutcomes(t *testing.T) {
	t.Parallel()
	// Deadlines run on a fake clock: an invocation times out when the test
	// says so, and never because the machine is slow.
	clk := clock.NewFake(time.Now())
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Clock: clk}})
	client := lambda.NewFromConfig(n.Config())
	createFunction(t, client, "fn")
	ctx := context.Background()

	t.Run("echo and warm reuse", func(t *testing.T) {
		out, res := invokeSettled(t, client, "fn", map[string]any{"action": "echo", "any": "hi"})
		if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" || res["any"] != "hi" {
			t.Fatalf("echo: status %d, error %v, version %v, result %v", out.StatusCode, out.FunctionError, out.ExecutedVersion, res)
		}
		_, again := invoke(t, client, "fn", map[string]any{"action": "echo"})
		if again["count"].(float64) <= res["count"].(float64) {
			t.Errorf("second call's count %v is not past the first's %v: instance not reused", again["count"], res["count"])
		}
	})
	t.Run("function error", func(t *testing.T) {
		out, res := invoke(t, client, "fn", map[string]any{"action": "error", "text": "boom"})
		if aws.ToString(out.FunctionError) != "Unhandled" || res["errorMessage"] != "boom" || res["errorType"] != "errorString" {
			t.Fatalf("function error: %v %v", out.FunctionError, res)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		type answer struct {
			out *lambda.InvokeOutput
			res map[string]any
		}
		createFunction(t, client, "slow", func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(7) })
		done := make(chan answer, 1)
		start := clk.Now()
		go func() {
			out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(`{"action":"sleep","ms":600000}`)})
			if err != nil {
				t.Errorf("Invoke: %v", err)
				done <- answer{}
				return
			}
			var res map[string]any
			json.Unmarshal(out.Payload, &res)
			done <- answer{out, res}
		}()
		// The invocation's deadline is armed once the function has its event;
		// seven seconds is no other timer's.
		waitTimer(t, clk, "the invocation's deadline", start.Add(7*time.Second))
		clk.Advance(7 * time.Second)
		a := <-done
		if a.out == nil {
			t.FailNow()
		}
		out, res := a.out, a.res
		msg, _ := res["errorMessage"].(string)
		if aws.ToString(out.FunctionError) != "Unhandled" || res["errorType"] != "Sandbox.Timedout" || !strings.HasSuffix(msg, "Error: Task timed out after 7.00 seconds") {
			t.Fatalf("timeout answered %v %v", out.FunctionError, res)
		}
	})
	t.Run("crash then recovery", func(t *testing.T) {
		// Its own function: its one instance is the one that crashes.
		createFunction(t, client, "crashy")
		out, res := invoke(t, client, "crashy", map[string]any{"action": "exit"})
		if aws.ToString(out.FunctionError) != "Unhandled" || res["errorType"] != "Runtime.ExitError" {
			t.Fatalf("crash answered %v %v", out.FunctionError, res)
		}
		_, res = invoke(t, client, "crashy", map[string]any{"action": "echo"})
		if res["count"] != 1.0 {
			t.Errorf("after a crash the next call should start a fresh instance, count = %v", res["count"])
		}
	})
	t.Run("log tail", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), LogType: types.LogTypeTail,
			Payload: []byte(`{"action":"print","text":"hello log"}`)})
		if err != nil {
			t.Fatal(err)
		}
		log, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"START RequestId: ", "hello log", "END RequestId: ", "REPORT RequestId: ", "Billed Duration: "} {
			if !strings.Contains(string(log), want) {
				t.Errorf("log tail %q lacks %q", log, want)
			}
		}
	})
	t.Run("invalid json", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Payload: []byte("{not json")})
		var e *types.InvalidRequestContentException
		if !errors.As(err, &e) || !strings.HasPrefix(aws.ToString(e.Message), "Could not parse request body into json") {
			t.Fatalf("invalid JSON answered %v", err)
		}
	})
	t.Run("payload too large", func(t *testing.T) {
		big := []byte(`"` + strings.Repeat("x", 6291456) + `"`)
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Payload: big})
		wantAPIError(t, err, "RequestEntityTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
	})
	t.Run("response too large", func(t *testing.T) {
		createFunction(t, client, "big")
		out, res := invoke(t, client, "big", map[string]any{"action": "echo", "size": 6300000})
		if aws.ToString(out.FunctionError) != "Unhandled" || res["errorType"] != "Function.ResponseSizeTooLarge" {
			t.Fatalf("oversized response answered %v %v", out.FunctionError, res)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), InvocationType: types.InvocationTypeDryRun})
		if err != nil || out.StatusCode != 204 {
			t.Fatalf("dry run: %v, status %d", err, out.StatusCode)
		}
	})
	t.Run("unknown function", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
		wantAPIError(t, err, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope")
	})
	t.Run("qualified arn", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST"), Payload: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("fn"), Qualifier: aws.String("7")})
		wantAPIError(t, err, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:000000000000:function:fn:7")
	})
}

func TestThrottling(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	createFunction(t, client, "limited")
	ctx := context.Background()
	if _, err := client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("limited"), ReservedConcurrentExecutions: aws.Int32(0),
	}); err != nil {
		t.Fatal(err)
	}
	_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("limited")})
	var throttled *types.TooManyRequestsException
	if !errors.As(err, &throttled) || throttled.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Fatalf("reserved 0 answered %v", err)
	}
	got, err := client.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("limited")})
	if err != nil || aws.ToInt32(got.ReservedConcurrentExecutions) != 0 || got.ReservedConcurrentExecutions == nil {
		t.Fatalf("GetFunctionConcurrency = %+v, %v", got, err)
	}
	if _, err := client.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("limited")}); err != nil {
		t.Fatal(err)
	}
	invoke(t, client, "limited", map[string]any{})

	_, err = client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("limited"), ReservedConcurrentExecutions: aws.Int32(950),
	})
	wantAPIError(t, err, "InvalidParameterValueException", "UnreservedConcurrentExecution below its minimum value of [100]")
	if _, err := client.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("limited"), ReservedConcurrentExecutions: aws.Int32(900),
	}); err != nil {
		t.Fatal(err)
	}
	settings, err := client.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil || settings.AccountLimit.ConcurrentExecutions != 1000 || aws.ToInt32(settings.AccountLimit.UnreservedConcurrentExecutions) != 100 ||
		settings.AccountUsage.FunctionCount != 1 {
		t.Fatalf("GetAccountSettings = %+v, %v", settings, err)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	fnARN := createFunction(t, client, "tagged").FunctionArn
	ctx := context.Background()
	if _, err := client.TagResource(ctx, &lambda.TagResourceInput{Resource: fnARN, Tags: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.UntagResource(ctx, &lambda.UntagResourceInput{Resource: fnARN, TagKeys: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	got, err := client.ListTags(ctx, &lambda.ListTagsInput{Resource: fnARN})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"b": "2"}, got.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
}

func TestAccountsAndRegionsAreIsolated(t *testing.T) {
	t.Parallel()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{AccountMap: []string{"AKIDOTHER=111111111111"}}})
	mine := lambda.NewFromConfig(n.Config())
	createFunction(t, mine, "mine")
	ctx := context.Background()
	other := lambda.NewFromConfig(n.ConfigFor("AKIDOTHER", "secret", "us-east-1"))
	_, err := other.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("mine")})
	wantAPIError(t, err, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:111111111111:function:mine")
	list, err := other.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 0 {
		t.Fatalf("other account lists %v, %v", list, err)
	}
	elsewhere := lambda.NewFromConfig(n.ConfigFor("AKIDTEST", "secret", "eu-west-1"))
	_, err = elsewhere.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("mine")})
	wantAPIError(t, err, "ResourceNotFoundException", "function:mine")
}

func TestNotImplementedOperation(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	_, err := client.ListLayers(context.Background(), &lambda.ListLayersInput{})
	wantAPIError(t, err, "NotImplemented", "The operation ListLayers of service Lambda is not implemented by Nimbus yet")
}
