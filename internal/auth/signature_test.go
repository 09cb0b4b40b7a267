package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/clock"
)

// parsed is ParseRequest's answer in a comparable form.
type parsed struct {
	Sig *Signature
	Err *errShape
}

type errShape struct {
	Status                   int
	Code, QueryCode, Message string
}

func parse(r *http.Request) parsed {
	sig, err := ParseRequest(r)
	if err == nil {
		return parsed{Sig: sig}
	}
	e, ok := err.(*awserr.Error)
	if !ok {
		return parsed{Err: &errShape{Message: "not an *awserr.Error: " + err.Error()}}
	}
	return parsed{Err: &errShape{Status: e.Status, Code: e.Code, QueryCode: e.QueryCode, Message: e.Message}}
}

func incomplete(msg string) parsed {
	return parsed{Err: &errShape{Status: 400, Code: "IncompleteSignatureException", QueryCode: "IncompleteSignature", Message: msg}}
}

// sdkSigned returns a request signed by the SDK's signer.
func sdkSigned(t testing.TB, target string, creds aws.Credentials, service string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, nil)
	r.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
	err := v4.NewSigner().SignHTTP(context.Background(), creds, r, sha256Hex(""), service, "eu-west-1", signTime)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseRequest(t *testing.T) {
	t.Parallel()
	const amzDate = "20240101T000000Z"
	const v4Header = "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
	const v4aHeader = "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045"
	const presignBase = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2F"
	const presignRest = "%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abc"
	sdk := sdkSigned(t, "http://localhost/", aws.Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s", SessionToken: "tok"}, "sqs")
	tests := []struct {
		name   string
		target string
		header map[string]string
		want   parsed
	}{
		{name: "unsigned", want: parsed{}},
		{name: "unsigned with an unrelated query", target: "/?X-Amz-Meta=1&a=b", want: parsed{}},
		{name: "sdk signed", header: map[string]string{
			"Authorization": sdk.Header.Get("Authorization"), "X-Amz-Date": sdk.Header.Get("X-Amz-Date"),
			"X-Amz-Security-Token": "tok"},
			want: parsed{Sig: &Signature{Algorithm: AlgorithmV4, Credential: "AKIA1/20240101/eu-west-1/sqs/aws4_request",
				AccessKeyID: "AKIA1", Date: "20240101", Region: "eu-west-1", Service: "sqs",
				SignedHeaders: []string{"host", "x-amz-date", "x-amz-security-token", "x-amz-target"},
				Signature:     sdk.Header.Get("Authorization")[len(sdk.Header.Get("Authorization"))-64:],
				Time:          signTime, SecurityToken: "tok"}}},
		{name: "no spaces between parameters", header: map[string]string{"X-Amz-Date": amzDate,
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request,SignedHeaders=host,Signature=abc"},
			want: parsed{Sig: &Signature{Algorithm: AlgorithmV4, Credential: "AKID/20240101/us-east-1/lambda/aws4_request",
				AccessKeyID: "AKID", Date: "20240101", Region: "us-east-1", Service: "lambda",
				SignedHeaders: []string{"host"}, Signature: "abc", Time: signTime}}},
		{name: "date header instead of x-amz-date", header: map[string]string{"Authorization": v4Header, "Date": "Mon, 01 Jan 2024 00:00:00 GMT"},
			want: parsed{Sig: &Signature{Algorithm: AlgorithmV4, Credential: "AKID/20240101/us-east-1/lambda/aws4_request",
				AccessKeyID: "AKID", Date: "20240101", Region: "us-east-1", Service: "lambda",
				SignedHeaders: []string{"host", "x-amz-date"}, Signature: "abc", Time: signTime}}},
		{name: "trailing slash in credential", header: map[string]string{"X-Amz-Date": amzDate,
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request/, SignedHeaders=host, Signature=abc"},
			want: parsed{Sig: &Signature{Algorithm: AlgorithmV4, Credential: "AKID/20240101/us-east-1/lambda/aws4_request/",
				AccessKeyID: "AKID", Date: "20240101", Region: "us-east-1", Service: "lambda",
				SignedHeaders: []string{"host"}, Signature: "abc", Time: signTime}}},
		{name: "sigv4a with a region set", header: map[string]string{"Authorization": v4aHeader, "X-Amz-Date": amzDate,
			"X-Amz-Region-Set": "us-west-2, us-east-1"},
			want: parsed{Sig: &Signature{Algorithm: AlgorithmV4A, Credential: "AKID/20240101/s3/aws4_request",
				AccessKeyID: "AKID", Date: "20240101", Region: "us-west-2", RegionSet: []string{"us-west-2", "us-east-1"}, Service: "s3",
				SignedHeaders: []string{"host", "x-amz-date", "x-amz-region-set"}, Signature: "3045", Time: signTime}}},
		{name: "sigv4a with any region", header: map[string]string{"Authorization": v4aHeader, "X-Amz-Date": amzDate, "X-Amz-Region-Set": "*"},
			want: parsed{Sig: &Signature{Algorithm: AlgorithmV4A, Credential: "AKID/20240101/s3/aws4_request",
				AccessKeyID: "AKID", Date: "20240101", RegionSet: []string{"*"}, Service: "s3",
				SignedHeaders: []string{"host", "x-amz-date", "x-amz-region-set"}, Signature: "3045", Time: signTime}}},

		{name: "nothing but the algorithm", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256"},
			want: incomplete("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=AWS4-HMAC-SHA256")},
		{name: "missing signature", header: map[string]string{"X-Amz-Date": amzDate,
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host"},
			want: incomplete("Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256")},
		{name: "missing equal sign", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential, Signature=x"},
			want: incomplete("'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential, Signature=x'.")},
		{name: "bearer token", header: map[string]string{"Authorization": "Bearer eyJhbGciOi.x.y"},
			want: incomplete("Unsupported AWS 'algorithm': 'Bearer' (only AWS4-HMAC-SHA256 for now). ")},
		{name: "signature version 2", header: map[string]string{"Authorization": "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="},
			want: incomplete(msgSigV2)},
		{name: "date not in basic format", header: map[string]string{"Authorization": v4Header, "X-Amz-Date": "2024-01-01T00:00:00Z"},
			want: incomplete("Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601")},
		{name: "credential with four elements", header: map[string]string{"X-Amz-Date": amzDate,
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda, SignedHeaders=host, Signature=abc"},
			want: incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240101/us-east-1/lambda'")},
		{name: "s3 credential with six elements", header: map[string]string{"X-Amz-Date": amzDate,
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/x/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc"},
			want: parsed{Err: &errShape{Status: 400, Code: "AuthorizationHeaderMalformed", Message: msgS3HeaderCred}}},
		{name: "s3 credential with four elements", header: map[string]string{"X-Amz-Date": amzDate,
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3, SignedHeaders=host, Signature=abc"},
			want: parsed{Err: &errShape{Status: 400, Code: "AuthorizationHeaderMalformed", Message: msgS3HeaderCred}}},
		{name: "header and query signature", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256",
			header: map[string]string{"Authorization": v4Header, "X-Amz-Date": amzDate},
			want:   parsed{Err: &errShape{Status: 400, Code: "InvalidSignatureException", QueryCode: "SignatureDoesNotMatch", Message: msgBoth}}},

		{name: "presigned", target: "/fn?" + presignBase + "lambda" + presignRest + "&X-Amz-Expires=60&X-Amz-Security-Token=a%2Bb",
			want: parsed{Sig: &Signature{Algorithm: AlgorithmV4, Credential: "AKID/20240101/us-east-1/lambda/aws4_request",
				AccessKeyID: "AKID", Date: "20240101", Region: "us-east-1", Service: "lambda",
				SignedHeaders: []string{"host"}, Signature: "abc", Presigned: true, Time: signTime,
				Expires: time.Minute, SecurityToken: "a+b"}}},
		{name: "presigned missing parameters", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Flambda%2Faws4_request",
			want: incomplete("AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
				"AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")},
		{name: "presigned without algorithm", target: "/?X-Amz-Signature=abc",
			want: incomplete("AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")},
		{name: "presigned s3 without expiry", target: "/b/k?" + presignBase + "s3" + presignRest,
			want: parsed{Err: &errShape{Status: 400, Code: "AuthorizationQueryParametersError", Message: msgS3QueryParams}}},
		{name: "presigned s3 bad credential", target: "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fs3%2Faws4_request" +
			"&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abc&X-Amz-Expires=60",
			want: parsed{Err: &errShape{Status: 400, Code: "AuthorizationQueryParametersError", Message: msgS3QueryCred}}},
		{name: "presigned expiry not a number", target: "/?" + presignBase + "lambda" + presignRest + "&X-Amz-Expires=soon",
			want: incomplete("X-Amz-Expires should be a number")},
		{name: "presigned expiry negative", target: "/?" + presignBase + "lambda" + presignRest + "&X-Amz-Expires=-1",
			want: incomplete("X-Amz-Expires must be non-negative")},
		{name: "presigned expiry over a week", target: "/?" + presignBase + "lambda" + presignRest + "&X-Amz-Expires=604801",
			want: incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")},
		{name: "presigned expiry overflowing", target: "/?" + presignBase + "lambda" + presignRest + "&X-Amz-Expires=99999999999999999999999",
			want: incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")},
		{name: "presigned unsupported algorithm", target: "/?X-Amz-Algorithm=AWS4-HMAC-SHA512&X-Amz-Signature=abc",
			want: incomplete("Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ")},
		{name: "presigned signature version 2", target: "/b/k?AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc%3D",
			want: incomplete(msgSigV2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := tt.target
			if target == "" {
				target = "/"
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if diff := cmp.Diff(tt.want, parse(r)); diff != "" {
				t.Errorf("ParseRequest (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRequestNil(t *testing.T) {
	t.Parallel()
	if sig, err := ParseRequest(nil); sig != nil || err != nil {
		t.Errorf("ParseRequest(nil) = %v, %v, want nil, nil", sig, err)
	}
	if sig, err := ParseRequest(&http.Request{Header: http.Header{}}); sig != nil || err != nil {
		t.Errorf("ParseRequest(no URL) = %v, %v, want nil, nil", sig, err)
	}
}

func TestScopeOf(t *testing.T) {
	t.Parallel()
	type scope struct {
		Region, Service, AccessKeyID string
		OK                           bool
	}
	tests := []struct {
		name   string
		target string
		header map[string]string
		want   scope
	}{
		{name: "unsigned", want: scope{}},
		{name: "header", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=x"},
			want: scope{"eu-west-1", "sqs", "AKID", true}},
		{name: "header without spaces", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 SignedHeaders=host,Credential=AKID/20240101/eu-west-1/sqs/aws4_request,Signature=x"},
			want: scope{"eu-west-1", "sqs", "AKID", true}},
		{name: "credential-like text in another parameter", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 XCredential=A/B/C/D/E, Credential=AKID/20240101/eu-west-1/sqs/aws4_request"},
			want: scope{"eu-west-1", "sqs", "AKID", true}},
		{name: "sigv4a", header: map[string]string{"Authorization": "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request, SignedHeaders=host, Signature=x",
			"X-Amz-Region-Set": "us-west-2,eu-west-1"}, want: scope{"us-west-2", "s3", "AKID", true}},
		{name: "sigv4a any region", header: map[string]string{"Authorization": "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request",
			"X-Amz-Region-Set": "*"}, want: scope{"", "s3", "AKID", true}},
		{name: "presigned", target: "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fap-south-1%2Fs3%2Faws4_request",
			want: scope{"ap-south-1", "s3", "AKID", true}},
		{name: "presigned sigv4a", target: "/k?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=AKID%2F20240101%2Fs3%2Faws4_request&X-Amz-Region-Set=eu-north-1",
			want: scope{"eu-north-1", "s3", "AKID", true}},
		{name: "sigv4 credential with four elements", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/s3/aws4_request"},
			want: scope{}},
		{name: "too few elements", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/sqs"}, want: scope{}},
		{name: "too many elements", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=A/B/C/D/E/F"}, want: scope{}},
		{name: "no credential", header: map[string]string{"Authorization": "Bearer x"}, want: scope{}},
		{name: "empty service", header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=A/B/C//aws4_request"}, want: scope{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := tt.target
			if target == "" {
				target = "/"
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			var got scope
			got.Region, got.Service, got.AccessKeyID, got.OK = ScopeOf(r)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ScopeOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScopeOfAllocations(t *testing.T) {
	r := sdkSigned(t, "http://localhost/", aws.Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s"}, "sqs")
	if n := testing.AllocsPerRun(100, func() { ScopeOf(r) }); n != 0 {
		t.Errorf("ScopeOf of a header signature allocates %v times, want 0", n)
	}
}

func BenchmarkScopeOf(b *testing.B) {
	r := sdkSigned(b, "http://localhost/", aws.Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s"}, "sqs")
	b.ReportAllocs()
	for b.Loop() {
		ScopeOf(r)
	}
}

func BenchmarkVerify(b *testing.B) {
	accts, err := NewAccounts(Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s"})
	if err != nil {
		b.Fatal(err)
	}
	r := sdkSigned(b, "http://localhost/", aws.Credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s"}, "sqs")
	v := NewVerifier(accts, clock.NewFake(signTime))
	hash := sha256Hex("")
	b.ReportAllocs()
	for b.Loop() {
		sig, err := ParseRequest(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(r, sig, hash); err != nil {
			b.Fatal(err)
		}
	}
}
