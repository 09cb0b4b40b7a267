package lambda_test

import (
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

func TestNodeRuntime(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		testenv.Missing(t, "no node on PATH to run Node.js functions; install Node.js 20")
	}
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	code := zipSources(t, map[string]string{
		"index.mjs": `
let calls = 0;
export const handler = async (event, context) => {
  calls++;
  console.log("esm called", calls);
  return { event, calls, requestId: context.awsRequestId, functionName: context.functionName,
    remaining: context.getRemainingTimeInMillis(), cwd: process.cwd(), taskRoot: process.env.LAMBDA_TASK_ROOT };
};
export const fail = async () => { throw new TypeError("bad type"); };
`,
		"cjs.js":       "exports.handler = function (event, context, callback) { callback(null, 'callback ' + event.x); };\n",
		"sub/deep.cjs": "module.exports.handler = async () => 'deep';\n",
		"broken.mjs":   "export const handler = async ( => 1;\n",
		"bom.js":       "\ufeffexports.handler = async () => 'bom ok';\n",
	})
	fns := sourceFunctions{t: t, client: client, code: code}
	create, call := fns.create, fns.call

	t.Run("ES module, context, console and warm reuse", func(t *testing.T) {
		create("node-esm", "nodejs20.x", "index.handler")
		out, res := call("node-esm", `{"a":1}`, true)
		if out.FunctionError != nil || res["functionName"] != "node-esm" || res["calls"] != 1.0 || res["remaining"].(float64) <= 0 || res["cwd"] != res["taskRoot"] {
			t.Fatalf("esm handler answered %v %s", out.FunctionError, out.Payload)
		}
		log, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if !strings.Contains(string(log), "\tINFO\tesm called 1") {
			t.Errorf("console.log did not reach the log as Lambda formats it: %s", log)
		}
		if _, again := call("node-esm", `{}`, false); again["calls"] != 2.0 {
			t.Errorf("second call counted %v: the instance was not reused", again["calls"])
		}
	})
	t.Run("error", func(t *testing.T) {
		create("node-fail", "nodejs22.x", "index.fail")
		out, res := call("node-fail", `{}`, false)
		if aws.ToString(out.FunctionError) != "Unhandled" || res["errorType"] != "TypeError" || res["errorMessage"] != "bad type" {
			t.Errorf("a thrown TypeError answered %v %s", out.FunctionError, out.Payload)
		}
	})
	t.Run("CommonJS callback, nested .cjs, BOM", func(t *testing.T) {
		create("node-cjs", "nodejs20.x", "cjs.handler")
		if out, _ := call("node-cjs", `{"x":5}`, false); string(out.Payload) != `"callback 5"` {
			t.Errorf("callback handler answered %s", out.Payload)
		}
		create("node-deep", "nodejs20.x", "sub/deep.handler")
		if out, _ := call("node-deep", `{}`, false); string(out.Payload) != `"deep"` {
			t.Errorf("nested .cjs handler answered %s", out.Payload)
		}
		create("node-bom", "nodejs20.x", "bom.handler")
		if out, _ := call("node-bom", `{}`, false); string(out.Payload) != `"bom ok"` {
			t.Errorf("a handler file with a BOM answered %s", out.Payload)
		}
	})
	t.Run("init errors", func(t *testing.T) {
		tests := []struct{ name, handler, errorType, message string }{
			{"node-nomodule", "missing.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'missing'"},
			{"node-nohandler", "index.nothing", "Runtime.HandlerNotFound", "index.nothing is undefined or not exported"},
			{"node-syntax", "broken.handler", "Runtime.UserCodeSyntaxError", "SyntaxError: "},
		}
		for _, tt := range tests {
			create(tt.name, "nodejs20.x", tt.handler)
			out, res := call(tt.name, `{}`, false)
			msg, _ := res["errorMessage"].(string)
			if aws.ToString(out.FunctionError) != "Unhandled" || res["errorType"] != tt.errorType || !strings.HasPrefix(msg, tt.message) {
				t.Errorf("%s answered %v %s", tt.handler, out.FunctionError, out.Payload)
			}
		}
	})
}
