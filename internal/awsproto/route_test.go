package awsproto

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoute(t *testing.T) {
	spec := &Spec{Protocol: RestJSON, Operations: []Operation{
		{Name: "Invoke", Method: "POST", Path: "/2015-03-31/functions/{FunctionName}/invocations"},
		{Name: "ListFunctions", Method: "GET", Path: "/2015-03-31/functions/"},
		{Name: "GetFunction", Method: "GET", Path: "/2015-03-31/functions/{FunctionName}"},
		{Name: "GetObject", Method: "GET", Path: "/{Bucket}/{Key+}"},
		{Name: "ListObjectsV2", Method: "GET", Path: "/{Bucket}?list-type=2"},
		{Name: "GetBucketAcl", Method: "GET", Path: "/{Bucket}?acl"},
		{Name: "ListObjects", Method: "GET", Path: "/{Bucket}"},
	}}
	tests := []struct {
		method, target string
		wantOp         string
		wantLabels     map[string]string
	}{
		{"POST", "/2015-03-31/functions/my%20fn/invocations", "Invoke", map[string]string{"FunctionName": "my fn"}},
		{"GET", "/2015-03-31/functions", "ListFunctions", nil},
		{"GET", "/2015-03-31/functions/", "ListFunctions", nil},
		{"GET", "/2015-03-31/functions/arn%3Aaws%3Alambda", "GetFunction", map[string]string{"FunctionName": "arn:aws:lambda"}},
		{"GET", "/bucket/a/b%2Fc/d", "GetObject", map[string]string{"Bucket": "bucket", "Key": "a/b/c/d"}},
		{"GET", "/bucket?list-type=2", "ListObjectsV2", map[string]string{"Bucket": "bucket"}},
		{"GET", "/bucket?list-type=1", "ListObjects", map[string]string{"Bucket": "bucket"}},
		{"GET", "/bucket?acl", "GetBucketAcl", map[string]string{"Bucket": "bucket"}},
		{"DELETE", "/2015-03-31/functions", "", nil},
		{"POST", "/2015-03-31/functions//invocations", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			u, _ := url.ParseRequestURI(tt.target)
			op, labels := spec.Route(&http.Request{Method: tt.method, URL: u})
			got := ""
			if op != nil {
				got = op.Name
			}
			if got != tt.wantOp {
				t.Fatalf("routed to %q, want %q", got, tt.wantOp)
			}
			if diff := cmp.Diff(tt.wantLabels, labels); op != nil && diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitHeaderList(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"a", []string{"a"}},
		{"a, b,c", []string{"a", "b", "c"}},
		{`"a,b", c`, []string{"a,b", "c"}},
		{`"say \"hi\"",x`, []string{`say "hi"`, "x"}},
		{"", nil},
		{`"unterminated`, []string{"unterminated"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, splitHeaderList(tt.line)); diff != "" {
			t.Errorf("splitHeaderList(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
	for _, item := range []string{"plain", "with,comma", `with "quote"`, `back\slash,`} {
		got := splitHeaderList(quoteHeaderItem(item))
		if len(got) != 1 || got[0] != item {
			t.Errorf("round trip of %q gave %q", item, got)
		}
	}
}
