package lambda_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
)

// Every invocation carries an X-Amzn-Trace-Id whose Lineage counts the hops
// of the chain of events it belongs to, for loop detection: a call without
// one starts a chain, a call that carries one continues it.
func TestTraceHeaderCountsHops(t *testing.T) {
	t.Parallel()
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	createFunction(t, client, "traced")

	_, res := invoke(t, client, "traced", map[string]any{"action": "env"})
	first, _ := res["env"].(map[string]any)["_X_AMZN_TRACE_ID"].(string)
	if !strings.HasPrefix(first, "Root=1-") || !strings.Contains(first, ":1") || !strings.Contains(first, "Lineage=") {
		t.Fatalf("first hop's trace header = %q", first)
	}

	root := strings.SplitN(strings.TrimPrefix(first, "Root="), ";", 2)[0]
	incoming := "Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=0;Lineage=6e696d62:3"
	withHeader := func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Build.Add(middleware.BuildMiddlewareFunc("trace", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set("X-Amzn-Trace-Id", incoming)
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
	out, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("traced"), Payload: []byte(`{"action":"env"}`)}, withHeader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out.Payload), "Root="+root) || !strings.Contains(string(out.Payload), "Lineage=6e696d62:4") {
		t.Errorf("a call carrying hop 3 ran with %s, want the same root at hop 4", out.Payload)
	}
}
