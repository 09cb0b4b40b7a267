package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/clock"
)

// FuzzParseRequest feeds ParseRequest, ScopeOf and Verify arbitrary
// Authorization, X-Amz-Date, Date and X-Amz-Region-Set headers and request
// targets, seeded with signatures made by the SDK's signer. None may panic,
// and every error must be an *awserr.Error with a code and a 4xx status.
func FuzzParseRequest(f *testing.F) {
	creds := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: "token"}
	signer := v4.NewSigner()
	for _, s := range []struct{ method, target, service string }{
		{http.MethodPost, "/2015-03-31/functions/fn/invocations", "lambda"},
		{http.MethodGet, "/bucket/a%20b/%C3%BC?list-type=2&prefix=&a=1&a=2", "s3"},
		{http.MethodPost, "/", "sqs"},
	} {
		r := httptest.NewRequest(s.method, s.target, nil)
		r.Header.Set("X-Amz-Target", "AmazonSQS.ListQueues")
		if err := signer.SignHTTP(context.Background(), creds, r, sha256Hex(""), s.service, "us-east-1", signTime); err != nil {
			f.Fatal(err)
		}
		f.Add(r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"), "", "", r.URL.RequestURI())

		p := httptest.NewRequest(s.method, s.target, nil)
		u, _, err := signer.PresignHTTP(context.Background(), creds, p, UnsignedPayload, s.service, "eu-west-1", signTime)
		if err != nil {
			f.Fatal(err)
		}
		pu, err := url.Parse(u)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("", "", "", "", pu.RequestURI())
	}
	f.Add("AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045",
		"20240101T000000Z", "", "us-west-2,*", "/b/k")
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request/, SignedHeaders=, Signature=",
		"", "Mon, 01 Jan 2024 00:00:00 GMT", "", "/a/../../b//c/./%zz?X-Amz-Signature=&&=&%")
	f.Add("AWS AKID:c2lnbmF0dXJl", "", "", "", "/?AWSAccessKeyId=A&Signature=B&Expires=1")
	f.Add("", "", "", "", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=-99999999999999999999&X-Amz-Credential=%2F%2F%2F%2F")
	f.Add("AWS4-HMAC-SHA256 ,,,Credential=a=b=c,", "2", "", "", "*")
	f.Fuzz(func(t *testing.T, authorization, amzDate, date, regionSet, target string) {
		accts, err := NewAccounts(Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: "token"})
		if err != nil {
			t.Fatal(err)
		}
		r := fuzzRequest(authorization, amzDate, date, regionSet, target)
		ScopeOf(r)
		sig, err := ParseRequest(r)
		checkError(t, "ParseRequest", err)
		if err != nil {
			return
		}
		if sig != nil {
			// Make the key known so the deeper checks run too.
			accts.AddCredentials(Credentials{AccessKeyID: sig.AccessKeyID + "x", SecretAccessKey: "s"})
			if sig.AccessKeyID != "" {
				accts.AddCredentials(Credentials{AccessKeyID: sig.AccessKeyID, SecretAccessKey: "s"})
			}
		}
		v := NewVerifier(accts, clock.NewFake(signTime))
		for _, d := range []Dialect{DialectJSON, DialectQuery, DialectS3} {
			checkError(t, "Verify", v.VerifyDialect(r, sig, "", d))
		}
	})
}

func fuzzRequest(authorization, amzDate, date, regionSet, target string) *http.Request {
	path, rawQuery, _ := strings.Cut(target, "?")
	r := &http.Request{
		Method:     http.MethodGet,
		URL:        &url.URL{Path: path, RawQuery: rawQuery},
		Header:     http.Header{},
		Host:       "localhost",
		RequestURI: target,
	}
	for k, v := range map[string]string{"Authorization": authorization, "X-Amz-Date": amzDate, "Date": date, "X-Amz-Region-Set": regionSet} {
		if v != "" {
			r.Header[k] = []string{v}
		}
	}
	return r
}

func checkError(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e, ok := err.(*awserr.Error)
	if !ok {
		t.Fatalf("%s error %v (%T) is not an *awserr.Error", what, err, err)
	}
	if e.Code == "" || e.Message == "" || e.Status < 400 || e.Status >= 500 {
		t.Fatalf("%s error %+v lacks a code, a message or a 4xx status", what, e)
	}
}
