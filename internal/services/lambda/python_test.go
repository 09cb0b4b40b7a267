package lambda_test

import (
	"encoding/base64"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

const pythonHandlers = `
import os
calls = 0

def echo(event, context):
    global calls
    calls += 1
    print("echo called", calls)
    return {"event": event, "calls": calls, "requestId": context.aws_request_id,
            "functionName": context.function_name, "version": context.function_version,
            "memory": context.memory_limit_in_mb, "arn": context.invoked_function_arn,
            "logGroup": context.log_group_name, "remaining": context.get_remaining_time_in_millis(),
            "cwd": os.getcwd(), "taskRoot": os.environ["LAMBDA_TASK_ROOT"]}

def fail(event, context):
    raise ValueError("bad value: " + str(event.get("x")))
`

func TestPythonRuntime(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Missing(t, "no python3 on PATH to run Python functions; install Python 3")
	}
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	code := zipSources(t, map[string]string{
		"app.py":                 pythonHandlers,
		"pkg/__init__.py":        "",
		"pkg/nested/__init__.py": "",
		"pkg/nested/mod.py":      "def handler(event, context):\n    return 'nested'\n",
		"bom.py":                 "\ufeffdef handler(event, context):\n    return 'bom ok'\n",
		"broken.py":              "def handler(event, context)\n    return 1\n",
	})
	fns := sourceFunctions{t: t, client: client, code: code}
	create, call := fns.create, fns.call

	t.Run("handler, context and warm reuse", func(t *testing.T) {
		create("py-echo", "python3.12", "app.echo")
		out, res := call("py-echo", `{"a":1}`, true)
		if out.FunctionError != nil {
			t.Fatalf("echo failed: %s", out.Payload)
		}
		if res["functionName"] != "py-echo" || res["version"] != "$LATEST" || res["memory"] != "128" ||
			res["logGroup"] != "/aws/lambda/py-echo" || res["calls"] != 1.0 || res["remaining"].(float64) <= 0 ||
			!strings.HasSuffix(res["arn"].(string), ":function:py-echo") || res["cwd"] != res["taskRoot"] {
			t.Errorf("echo answered %v", res)
		}
		log, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if !strings.Contains(string(log), "echo called 1") {
			t.Errorf("print did not reach the invocation's log: %s", log)
		}
		if _, again := call("py-echo", `{}`, false); again["calls"] != 2.0 {
			t.Errorf("second call counted %v: the instance was not reused", again["calls"])
		}
	})
	t.Run("handler error", func(t *testing.T) {
		create("py-fail", "python3.12", "app.fail")
		out, res := call("py-fail", `{"x":7}`, false)
		if aws.ToString(out.FunctionError) != "Unhandled" || res["errorType"] != "ValueError" || res["errorMessage"] != "bad value: 7" {
			t.Errorf("a raised ValueError answered %v %s", out.FunctionError, out.Payload)
		}
		if stack, _ := res["stackTrace"].([]any); len(stack) == 0 {
			t.Errorf("no stackTrace in %s", out.Payload)
		}
	})
	t.Run("nested package and BOM", func(t *testing.T) {
		create("py-nested", "python3.12", "pkg.nested.mod.handler")
		if out, _ := call("py-nested", `{}`, false); string(out.Payload) != `"nested"` {
			t.Errorf("nested handler answered %s", out.Payload)
		}
		create("py-bom", "python3.12", "bom.handler")
		if out, _ := call("py-bom", `{}`, false); string(out.Payload) != `"bom ok"` {
			t.Errorf("a handler file with a BOM answered %s", out.Payload)
		}
	})
	t.Run("boto3 reaches Nimbus", func(t *testing.T) {
		// The function's interpreter (python3.12) need not have boto3: the
		// host's python3 must.
		if exec.Command("python3", "-c", "import boto3").Run() != nil {
			testenv.Missing(t, "the host's python3 has no boto3; apt-get install python3-boto3")
		}
		createFunction(t, client, "py-boto3", func(in *lambda.CreateFunctionInput) {
			in.Runtime = types.RuntimePython312
			in.Handler = aws.String("sdk.handler")
			in.Timeout = aws.Int32(30)
			in.Code = &types.FunctionCode{ZipFile: zipSources(t, map[string]string{"sdk.py": `
import boto3

def handler(event, context):
    functions = boto3.client("lambda").list_functions()["Functions"]
    return sorted(f["FunctionName"] for f in functions)
`})}
		})
		out, _ := call("py-boto3", `{}`, false)
		if out.FunctionError != nil || !strings.Contains(string(out.Payload), `"py-boto3"`) {
			t.Errorf("a boto3 call from inside the function answered %s", out.Payload)
		}
	})
	t.Run("init errors", func(t *testing.T) {
		tests := []struct{ name, handler, errorType, message string }{
			{"py-nomodule", "missing.handler", "Runtime.ImportModuleError", "Unable to import module 'missing': No module named 'missing'"},
			{"py-nohandler", "app.nothing", "Runtime.HandlerNotFound", "Handler 'nothing' missing on module 'app'"},
			{"py-syntax", "broken.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'broken'"},
		}
		for _, tt := range tests {
			create(tt.name, "python3.12", tt.handler)
			out, res := call(tt.name, `{}`, false)
			msg, _ := res["errorMessage"].(string)
			if aws.ToString(out.FunctionError) != "Unhandled" || res["errorType"] != tt.errorType || !strings.HasPrefix(msg, tt.message) {
				t.Errorf("%s answered %v %s", tt.handler, out.FunctionError, out.Payload)
			}
		}
	})
}

// A boto3 older than AWS_ENDPOINT_URL support (Debian 12's 1.26) reaches
// Nimbus too: the bootstrap points botocore at it.
func TestPythonOldBoto3(t *testing.T) {
	t.Parallel()
	const interp = "/usr/bin/python3.11"
	out, err := exec.Command(interp, "-c", "import boto3; print(boto3.__version__)").Output()
	if err != nil {
		testenv.Missing(t, "%s with boto3 is not installed (apt-get install python3-boto3)", interp)
	}
	version := strings.TrimSpace(string(out))
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil || major > 1 || minor >= 28 {
		t.Skipf("skip: %s has boto3 %s, which reads AWS_ENDPOINT_URL itself", interp, version)
	}
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Interpreters: map[string]string{"python3.11": interp}}})
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	createFunction(t, client, "py-old-boto3", func(in *lambda.CreateFunctionInput) {
		in.Runtime = types.RuntimePython311
		in.Handler = aws.String("sdk.handler")
		in.Timeout = aws.Int32(30)
		in.Code = &types.FunctionCode{ZipFile: zipSources(t, map[string]string{"sdk.py": `
import boto3

def handler(event, context):
    functions = boto3.client("lambda").list_functions()["Functions"]
    return {"boto3": boto3.__version__, "names": sorted(f["FunctionName"] for f in functions)}
`})}
	})
	res, err := client.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String("py-old-boto3")})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"boto3": "` + version + `", "names": ["py-old-boto3"]}`
	if res.FunctionError != nil || string(res.Payload) != want {
		t.Errorf("boto3 %s from inside the function answered %s, want %s", version, res.Payload, want)
	}
}
