package auth

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/clock"
)

var (
	ok = result{Status: http.StatusOK}
	// JSON services.
	badSignature = result{Status: 403, Code: "InvalidSignatureException", Message: msgMismatch}
	unknownKey   = result{Status: 403, Code: "UnrecognizedClientException", Message: msgInvalidToken}
	// Query services.
	queryMismatch   = result{Status: 403, Code: "SignatureDoesNotMatch", Message: msgMismatch}
	queryUnknownKey = result{Status: 403, Code: "InvalidClientTokenId", Message: msgInvalidToken}
	// S3.
	s3Mismatch   = result{Status: 403, Code: "SignatureDoesNotMatch", Message: msgS3Mismatch}
	s3UnknownKey = result{Status: 403, Code: "InvalidAccessKeyId", Message: msgS3UnknownKey}
)

func TestVerifySignedHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lambda := spec{
		path:   "/2015-03-31/functions/my-fn/invocations",
		header: map[string]string{"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"},
		body:   `{"hello":"world"}`,
	}
	with := func(s spec, f func(*spec)) spec { f(&s); return s }
	tests := []struct {
		name   string
		spec   spec
		tamper func(*http.Request)
		want   result
	}{
		{name: "lambda invoke", spec: lambda, want: ok},
		{name: "json target", spec: spec{service: "dynamodb", header: map[string]string{
			"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}, body: `{}`}, want: ok},
		{name: "get without body", spec: spec{method: http.MethodGet, path: "/2015-03-31/functions/"}, want: ok},
		{name: "path with spaces", spec: spec{path: "/2015-03-31/functions/my fn/a b"}, want: ok},
		{name: "path with unicode", spec: spec{path: "/ünïcødé/日本語/ü"}, want: ok},
		{name: "path with plus", spec: spec{path: "/a+b/c+"}, want: ok},
		{name: "path with encoded plus", spec: spec{path: "/a+b", rawPath: "/a%2Bb"}, want: ok},
		{name: "path with reserved characters", spec: spec{path: "/a=b/c:d/e@f/!$'()*,;"}, want: ok},
		{name: "path with double slash", spec: spec{path: "/a//b///c/"}, want: ok},
		{name: "path with dot segments", spec: spec{path: "/a/./b/../c"}, want: ok},
		{name: "path normalised by signer, sent with double slash", spec: spec{signedPath: "/a/b", path: "/a//b"}, want: ok},
		{name: "path normalised by signer, sent with dot segments", spec: spec{signedPath: "/a/c", path: "/a/./b/../c"}, want: ok},
		{name: "query with repeated keys and empty values",
			spec: spec{method: http.MethodGet, rawQuery: "b=2&a=&a=1&a=0&c&d=x%20y&e=%2F%2B~&f=%E6%97%A5"}, want: ok},
		{name: "query reordered on the wire",
			spec:   spec{method: http.MethodGet, rawQuery: "b=2&a=1&a=0"},
			tamper: func(r *http.Request) { r.URL.RawQuery = "a=0&b=2&a=1" }, want: ok},
		{name: "unsigned header changed", spec: lambda,
			tamper: func(r *http.Request) { r.Header.Set("User-Agent", "other"); r.Header.Set("X-Amzn-Trace-Id", "x") }, want: ok},
		{name: "header with inner spaces", spec: spec{header: map[string]string{"X-Amz-Meta-Note": "  a   b  c "}}, want: ok},
		{name: "header with several values", spec: spec{header: map[string]string{"X-Amz-Meta-List": "one"},
			addHeader: map[string]string{"X-Amz-Meta-List": " two  too "}}, want: ok},
		{name: "one of several header values changed", spec: spec{header: map[string]string{"X-Amz-Meta-List": "one"},
			addHeader: map[string]string{"X-Amz-Meta-List": "two"}},
			tamper: func(r *http.Request) { r.Header["X-Amz-Meta-List"][1] = "three" }, want: badSignature},

		{name: "method changed", spec: lambda, tamper: func(r *http.Request) { r.Method = http.MethodPut }, want: badSignature},
		{name: "path changed", spec: lambda, tamper: func(r *http.Request) { r.URL.Path = "/2015-03-31/functions/other/invocations" }, want: badSignature},
		{name: "path re-encoded after signing", spec: spec{path: "/a+b"},
			tamper: func(r *http.Request) { r.URL.RawPath = "/a%2Bb" }, want: badSignature},
		{name: "query value changed", spec: spec{rawQuery: "Qualifier=1"},
			tamper: func(r *http.Request) { r.URL.RawQuery = "Qualifier=2" }, want: badSignature},
		{name: "query parameter added", spec: spec{rawQuery: "Qualifier=1"},
			tamper: func(r *http.Request) { r.URL.RawQuery += "&x=" }, want: badSignature},
		{name: "repeated query value dropped", spec: spec{rawQuery: "a=1&a=2"},
			tamper: func(r *http.Request) { r.URL.RawQuery = "a=1" }, want: badSignature},
		{name: "signed header changed", spec: lambda,
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Invocation-Type", "DryRun") }, want: badSignature},
		{name: "signed header removed", spec: lambda,
			tamper: func(r *http.Request) { r.Header.Del("Content-Type") }, want: badSignature},
		{name: "body changed", spec: lambda,
			tamper: func(r *http.Request) { setBody(r, `{"hello":"wOrld"}`) }, want: badSignature},
		{name: "time changed", spec: lambda,
			tamper: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20240101T000001Z") }, want: badSignature},
		{name: "wrong secret", spec: with(lambda, func(s *spec) {
			s.creds = aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "not-the-secret"}
		}), want: badSignature},
		{name: "unknown key", spec: with(lambda, func(s *spec) {
			s.creds = aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: testSecret}
		}), want: unknownKey},
		{name: "signature not hex", spec: lambda, tamper: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.LastIndex(a, "=")+1]+"zz")
		}, want: badSignature},
		{name: "region changed in scope", spec: lambda, tamper: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/eu-west-1/", 1))
		}, want: badSignature},
		{name: "host not signed", spec: lambda, tamper: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SignedHeaders=content-length;content-type;host;", "SignedHeaders=content-length;content-type;", 1))
		}, want: result{Status: 403, Code: "InvalidSignatureException", Message: msgHostNotSigned}},
		{name: "wrong terminator", spec: lambda, tamper: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/aws4_request", "/aws5_request", 1))
		}, want: result{Status: 403, Code: "InvalidSignatureException", Message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "}},
		{name: "scope date differs", spec: lambda, tamper: func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20240101/", "/20231231/", 1))
		}, want: result{Status: 403, Code: "InvalidSignatureException",
			Message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20231231' != '20240101', from '20240101T000000Z'."}},

		{name: "query service wrong secret", spec: spec{service: "sts", body: "Action=GetCallerIdentity&Version=2011-06-15",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			creds:  aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "nope"}}, want: queryMismatch},
		{name: "query service unknown key", spec: spec{service: "sns", body: "Action=ListTopics",
			creds: aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "nope"}}, want: queryUnknownKey},

		{name: "s3 put object", spec: spec{s3: true, service: "s3", method: http.MethodPut,
			path: "/bucket/dir//my key+ü(1).txt", body: "data"}, want: ok},
		{name: "s3 key sent strictly encoded", spec: spec{s3: true, service: "s3", method: http.MethodPut,
			path: "/bucket/a+b c", rawPath: "/bucket/a%2Bb%20c", body: "data"}, want: ok},
		{name: "s3 list with query", spec: spec{s3: true, service: "s3", method: http.MethodGet, path: "/bucket",
			rawQuery: "list-type=2&prefix=a%2Fb&delimiter=%2F&encoding-type=url&start-after="}, want: ok},
		{name: "s3 unsigned payload", spec: spec{s3: true, unsignedPayload: true, service: "s3", method: http.MethodPut,
			path: "/bucket/key", body: "anything"}, tamper: func(r *http.Request) { setBody(r, "ANYTHING") }, want: ok},
		{name: "s3 streaming payload taken verbatim", spec: spec{service: "s3", s3: true, method: http.MethodPut, path: "/bucket/key",
			header: map[string]string{"X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding": "aws-chunked",
				"X-Amz-Decoded-Content-Length": "4", "X-Amz-Trailer": "x-amz-checksum-crc32"},
			body: "4\r\ndata\r\n0\r\nx-amz-checksum-crc32:rfWHGw==\r\n\r\n"}, want: ok},
		{name: "s3 path not normalised", spec: spec{s3: true, service: "s3", method: http.MethodGet, signedPath: "/bucket/a/b", path: "/bucket/a//b"},
			want: s3Mismatch},
		{name: "s3 path changed", spec: spec{s3: true, service: "s3", method: http.MethodGet, path: "/bucket/a"},
			tamper: func(r *http.Request) { r.URL.Path = "/bucket/b" }, want: s3Mismatch},
		{name: "s3 body changed", spec: spec{s3: true, service: "s3", method: http.MethodPut, path: "/bucket/a", body: "data"},
			tamper: func(r *http.Request) { setBody(r, "DATA") },
			want:   result{Status: 400, Code: "XAmzContentSHA256Mismatch", Message: msgS3ContentSHA}},
		{name: "s3 wrong secret", spec: spec{s3: true, service: "s3", method: http.MethodGet, path: "/bucket",
			creds: aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "nope"}}, want: s3Mismatch},
		{name: "s3 unknown key", spec: spec{s3: true, service: "s3", method: http.MethodGet, path: "/bucket",
			creds: aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "nope"}}, want: s3UnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := h.sign(t, tt.spec)
			if tt.tamper != nil {
				tt.tamper(req)
			}
			if diff := cmp.Diff(tt.want, h.do(t, req)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func setBody(r *http.Request, body string) {
	r.Body = http.NoBody
	r.GetBody = nil
	if body != "" {
		r.Body = readCloser{strings.NewReader(body)}
	}
	r.ContentLength = int64(len(body))
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestVerifyClockSkew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		service string
		offset  time.Duration // of the server's clock from the signing time
		want    result
	}{
		{name: "just inside the past window", offset: 15 * time.Minute, want: ok},
		{name: "just inside the future window", offset: -15 * time.Minute, want: ok},
		{name: "signed too long ago", offset: 16 * time.Minute, want: result{Status: 403, Code: "InvalidSignatureException",
			Message: "Signature expired: 20240101T000000Z is now earlier than 20240101T000100Z (20240101T001600Z - 15 min.)"}},
		{name: "signed in the future", offset: -16 * time.Minute, want: result{Status: 403, Code: "InvalidSignatureException",
			Message: "Signature not yet current: 20240101T000000Z is still later than 20231231T235900Z (20231231T234400Z + 15 min.)"}},
		{name: "query service signed too long ago", service: "sts", offset: time.Hour, want: result{Status: 403, Code: "SignatureDoesNotMatch",
			Message: "Signature expired: 20240101T000000Z is now earlier than 20240101T004500Z (20240101T010000Z - 15 min.)"}},
		{name: "s3 signed too long ago", service: "s3", offset: time.Hour,
			want: result{Status: 403, Code: "RequestTimeTooSkewed", Message: msgS3Skewed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.clock = clock.NewFake(signTime.Add(tt.offset))
			h.verifier = NewVerifier(h.accounts, h.clock)
			s := spec{method: http.MethodGet, service: tt.service}
			if tt.service == "s3" {
				s.s3, s.path = true, "/bucket"
			}
			if diff := cmp.Diff(tt.want, h.do(t, h.sign(t, s))); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyPresigned(t *testing.T) {
	t.Parallel()
	s3Get := spec{s3: true, service: "s3", method: http.MethodGet, path: "/bucket/my key+ü.txt", rawQuery: "X-Amz-Expires=300&x-id=GetObject"}
	tests := []struct {
		name   string
		spec   spec
		offset time.Duration
		tamper func(*http.Request)
		want   result
	}{
		{name: "s3 get", spec: s3Get, offset: 4 * time.Minute, want: ok},
		{name: "s3 put with body", spec: spec{s3: true, service: "s3", method: http.MethodPut, path: "/bucket/k",
			rawQuery: "X-Amz-Expires=60", body: "payload"}, want: ok},
		{name: "s3 get reordered query", spec: s3Get, tamper: func(r *http.Request) {
			parts := strings.Split(r.URL.RawQuery, "&")
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
			r.URL.RawQuery = strings.Join(parts, "&")
		}, want: ok},
		{name: "s3 get expired", spec: s3Get, offset: 6 * time.Minute,
			want: result{Status: 403, Code: "AccessDenied", Message: msgS3Expired}},
		{name: "s3 get path changed", spec: s3Get, tamper: func(r *http.Request) { r.URL.Path = "/bucket/other" }, want: s3Mismatch},
		{name: "s3 get query changed", spec: s3Get, tamper: func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "x-id=GetObject", "x-id=PutObject", 1)
		}, want: s3Mismatch},
		{name: "s3 get expiry extended", spec: s3Get, tamper: func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=300", "X-Amz-Expires=3000", 1)
		}, want: s3Mismatch},
		{name: "s3 get method changed", spec: s3Get, tamper: func(r *http.Request) { r.Method = http.MethodDelete }, want: s3Mismatch},
		{name: "sts get caller identity", spec: spec{service: "sts", method: http.MethodGet,
			rawQuery: "Action=GetCallerIdentity&Version=2011-06-15"}, offset: 14 * time.Minute, want: ok},
		{name: "sts without expiry lasts 15 minutes", spec: spec{service: "sts", method: http.MethodGet,
			rawQuery: "Action=GetCallerIdentity&Version=2011-06-15"}, offset: 16 * time.Minute,
			want: result{Status: 403, Code: "SignatureDoesNotMatch",
				Message: "Signature expired: 20240101T000000Z is now earlier than 20240101T000100Z (20240101T001600Z - 15 min.)"}},
		{name: "json service past its expiry", spec: spec{method: http.MethodGet, rawQuery: "X-Amz-Expires=60"}, offset: 2 * time.Minute,
			want: result{Status: 403, Code: "InvalidSignatureException",
				Message: "Signature expired: 20240101T000000Z is now earlier than 20240101T000100Z (20240101T000200Z - 1 min.)"}},
		{name: "signed in the future", spec: s3Get, offset: -20 * time.Minute,
			want: result{Status: 403, Code: "AccessDenied", Message: msgS3NotYetValid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.clock = clock.NewFake(signTime.Add(tt.offset))
			h.verifier = NewVerifier(h.accounts, h.clock)
			req := h.presign(t, tt.spec)
			if tt.tamper != nil {
				tt.tamper(req)
			}
			if diff := cmp.Diff(tt.want, h.do(t, req)); diff != "" {
				t.Errorf("answer (-want +got):\n%s\nURL %s", diff, req.URL)
			}
		})
	}
}

func TestVerifyIssuedCredentials(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	issued := h.accounts.Issue("123456789012")
	revoked := h.accounts.Issue("123456789012")
	h.accounts.Revoke(revoked.AccessKeyID)
	creds := func(c Credentials, token string) aws.Credentials {
		return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: token}
	}
	tests := []struct {
		name    string
		creds   aws.Credentials
		presign bool
		service string
		want    result
	}{
		{name: "with its token", creds: creds(issued, issued.SessionToken), want: ok},
		{name: "presigned with its token", creds: creds(issued, issued.SessionToken), presign: true, want: ok},
		{name: "without a token", creds: creds(issued, ""), want: unknownKey},
		{name: "with another token", creds: creds(issued, issued.SessionToken+"x"), want: unknownKey},
		{name: "presigned with another token", creds: creds(issued, "bogus"), presign: true, want: unknownKey},
		{name: "revoked", creds: creds(revoked, revoked.SessionToken), want: unknownKey},
		{name: "s3 without a token", creds: creds(issued, ""), service: "s3", want: s3UnknownKey},
		{name: "s3 with another token", creds: creds(issued, "bogus"), service: "s3",
			want: result{Status: 400, Code: "InvalidToken", Message: msgS3BadToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := spec{method: http.MethodGet, creds: tt.creds, service: tt.service}
			if tt.service == "s3" {
				s.s3, s.path = true, "/bucket"
			}
			req := h.sign
			if tt.presign {
				req = h.presign
			}
			if diff := cmp.Diff(tt.want, h.do(t, req(t, s))); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyMissingSignature(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+"/2015-03-31/functions/", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := result{Status: 403, Code: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"}
	if diff := cmp.Diff(want, h.do(t, req)); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
}

func TestVerifyDialects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req := h.sign(t, spec{method: http.MethodGet, creds: aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "nope"}})
	sig, err := ParseRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	type shape struct {
		Status          int
		Code, QueryCode string
		Fields          []string
	}
	tests := []struct {
		dialect Dialect
		want    shape
	}{
		{DialectJSON, shape{Status: 403, Code: "InvalidSignatureException", QueryCode: "SignatureDoesNotMatch"}},
		{DialectQuery, shape{Status: 403, Code: "SignatureDoesNotMatch"}},
		{DialectS3, shape{Status: 403, Code: "SignatureDoesNotMatch", Fields: []string{
			"AWSAccessKeyId", "CanonicalRequest", "CanonicalRequestBytes", "SignatureProvided", "StringToSign", "StringToSignBytes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.dialect.String(), func(t *testing.T) {
			t.Parallel()
			err := h.verifier.VerifyDialect(req, sig, sha256Hex(""), tt.dialect)
			e, ok := awserr.As(err)
			if !ok {
				t.Fatalf("error %v is not an *awserr.Error", err)
			}
			got := shape{Status: e.Status, Code: e.Code, QueryCode: e.QueryCode}
			for k := range e.Fields {
				got.Fields = append(got.Fields, k)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyS3StringToSign(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req := h.sign(t, spec{s3: true, service: "s3", method: http.MethodGet, path: "/bucket/key",
		creds: aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "nope"}})
	sig, err := ParseRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := awserr.As(h.verifier.Verify(req, sig, ""))
	if e == nil {
		t.Fatal("Verify accepted a bad secret")
	}
	sts, _ := e.Fields["StringToSign"].(string)
	if want := "AWS4-HMAC-SHA256\n20240101T000000Z\n20240101/us-east-1/s3/aws4_request\n"; !strings.HasPrefix(sts, want) {
		t.Errorf("StringToSign = %q, want prefix %q", sts, want)
	}
	canonical, _ := e.Fields["CanonicalRequest"].(string)
	if want := "GET\n/bucket/key\n\n"; !strings.HasPrefix(canonical, want) {
		t.Errorf("CanonicalRequest = %q, want prefix %q", canonical, want)
	}
}
