package lambda_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// zipSources zips source files (name → content) in memory.
func zipSources(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sourceFunctions deploys functions of a managed runtime from one source
// zip and invokes them, for the Python and Node.js tests.
type sourceFunctions struct {
	t      *testing.T
	client *lambda.Client
	code   []byte
}

// create deploys name with runtime and handler from the source zip.
func (s sourceFunctions) create(name, runtime, handler string) {
	s.t.Helper()
	createFunction(s.t, s.client, name, func(in *lambda.CreateFunctionInput) {
		in.Runtime = types.Runtime(runtime)
		in.Handler = aws.String(handler)
		in.Code = &types.FunctionCode{ZipFile: s.code}
	})
}

// call invokes name synchronously, with the log tail when tail is set, and
// decodes an object answer.
func (s sourceFunctions) call(name, payload string, tail bool) (*lambda.InvokeOutput, map[string]any) {
	s.t.Helper()
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(payload)}
	if tail {
		in.LogType = types.LogTypeTail
	}
	out, err := s.client.Invoke(context.Background(), in)
	if err != nil {
		s.t.Fatalf("Invoke(%s): %v", name, err)
	}
	var res map[string]any
	json.Unmarshal(out.Payload, &res)
	return out, res
}
