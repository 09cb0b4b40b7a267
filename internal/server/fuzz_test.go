package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
)

// FuzzEdge sends arbitrary requests to a whole Nimbus: whatever the method,
// path, target, signature or body, the answer is an AWS-shaped client error
// or success, never a 5xx other than NotImplemented (a panic or an internal
// failure would answer 500).
func FuzzEdge(f *testing.F) {
	seeds := []struct{ method, path, target, auth, body string }{
		{"POST", "/2015-03-31/functions", "", "lambda", `{"FunctionName":"f","Runtime":"provided.al2023","Handler":"b","Role":"arn:aws:iam::000000000000:role/r","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="}}`},
		{"POST", "/2015-03-31/functions/f/invocations", "", "lambda", `{"a":1}`},
		{"GET", "/2015-03-31/functions/?MaxItems=0&Marker=%zz", "", "lambda", ""},
		{"PUT", "/2015-03-31/functions/f/configuration", "", "lambda", `{"MemorySize":"lots"}`},
		{"DELETE", "/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:f?tagKeys=a", "", "lambda", ""},
		{"POST", "/", "Logs_20140328.PutLogEvents", "logs", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1,"message":"m"}]}`},
		{"POST", "/", "Logs_20140328.FilterLogEvents", "logs", `{"logGroupName":"g","filterPattern":"{ $.a = "}`},
		{"POST", "/", "Logs_20140328.GetLogEvents", "logs", `{"logGroupName":"g","logStreamName":"s","nextToken":"f/garbage"}`},
		{"POST", "/", "Nope.Op", "", `[]`},
		{"POST", "/?Action=ListQueues", "", "sqs", "Action=ListQueues"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.target, s.auth, s.body)
	}
	n := nimbustest.Start(f)
	h := n.Handler()
	f.Fuzz(func(t *testing.T, method, path, target, scope, body string) {
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/_nimbus/") {
			return
		}
		req, err := http.NewRequest(method, "http://nimbus"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		}
		if scope != "" {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/"+scope+"/aws4_request, SignedHeaders=host, Signature=00")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s (target %q, scope %q, body %q) answered %d: %s", method, path, target, scope, body, rec.Code, rec.Body)
		}
		if rec.Header().Get("X-Amzn-Requestid") == "" {
			t.Fatalf("%s %s answered without a request id", method, path)
		}
	})
}
