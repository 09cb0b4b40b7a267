package lambda_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"testing"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/nodesdk"
	"github.com/nimbus-dev/nimbus/internal/server"
	"github.com/nimbus-dev/nimbus/internal/testenv"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Node.js handlers import the AWS SDK v3 without bundling it, from ES
// modules and CommonJS alike, and reach Nimbus with it; a function that
// bundles its own SDK gets its own.
func TestNodeSDK(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		testenv.Missing(t, "no node on PATH to run Node.js functions; install Node.js 20")
	}
	if nodesdk.NodeModules() == "" {
		testenv.Missing(t, "the AWS SDK for JavaScript is not installed here; run: go run ./cmd/nimbus setup node-sdk")
	}
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	list := `const out = await new LambdaClient({}).send(new ListFunctionsCommand({}));
  return out.Functions.map((f) => f.FunctionName).sort();`
	fns := sourceFunctions{t: t, client: client, code: zipSources(t, map[string]string{
		"esm.mjs": `import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
export const handler = async () => {
  ` + list + `
};`,
		"cjs.js": `const { LambdaClient, ListFunctionsCommand } = require("@aws-sdk/client-lambda");
exports.handler = async () => {
  ` + list + `
};`,
	})}
	for _, fn := range []struct{ name, runtime, handler string }{
		{"sdk-esm", "nodejs20.x", "esm.handler"},
		{"sdk-cjs", "nodejs22.x", "cjs.handler"},
	} {
		t.Run(fn.name, func(t *testing.T) {
			fns.create(fn.name, fn.runtime, fn.handler)
			out, _ := fns.call(fn.name, `{}`, false)
			var names []string
			if out.FunctionError != nil || jsonInto(out.Payload, &names) != nil || !slices.Contains(names, fn.name) {
				t.Fatalf("ListFunctions from inside %s answered %s", fn.name, out.Payload)
			}
		})
	}
	t.Run("unsandboxed", func(t *testing.T) {
		// Without a view the code runs from the data directory, where a link
		// to the SDK sits on the modules' walk-up path.
		plain := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
		pc := lambda.NewFromConfig(plain.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
		pf := sourceFunctions{t: t, client: pc, code: fns.code}
		pf.create("sdk-plain", "nodejs20.x", "esm.handler")
		out, _ := pf.call("sdk-plain", `{}`, false)
		var names []string
		if out.FunctionError != nil || jsonInto(out.Payload, &names) != nil || !slices.Contains(names, "sdk-plain") {
			t.Fatalf("ListFunctions from an unsandboxed ES module answered %s", out.Payload)
		}
	})
	t.Run("a bundled SDK wins", func(t *testing.T) {
		bundled := sourceFunctions{t: t, client: client, code: zipSources(t, map[string]string{
			"node_modules/@aws-sdk/client-lambda/package.json": `{"name":"@aws-sdk/client-lambda","version":"0.0.1","main":"index.js"}`,
			"node_modules/@aws-sdk/client-lambda/index.js":     "exports.bundled = true;\n",
			"app.mjs": `import * as sdk from "@aws-sdk/client-lambda";
export const handler = async () => sdk.bundled === true ? "bundled" : "shared";`,
		})}
		bundled.create("sdk-bundled", "nodejs20.x", "app.handler")
		if out, _ := bundled.call("sdk-bundled", `{}`, false); string(out.Payload) != `"bundled"` {
			t.Errorf("a function with its own SDK got %s", out.Payload)
		}
	})
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }
