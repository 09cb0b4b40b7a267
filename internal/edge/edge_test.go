package edge_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/nimbus-dev/nimbus/internal/auth"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/edge"
)

type listInput struct {
	MaxItems *int32 `json:"-" aws:"querystring=MaxItems"`
}

type listOutput struct {
	NextMarker *string `json:"NextMarker,omitzero"`
}

// seen records what the handler learned about the request.
type seen struct {
	info *awsproto.RequestInfo
}

func newEdge(t *testing.T, verify bool) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	spec := &awsproto.Spec{Name: "Lambda", SigningName: "lambda", Protocol: awsproto.RestJSON, Operations: []awsproto.Operation{
		{Name: "ListFunctions", Method: "GET", Path: "/2015-03-31/functions/", NewInput: func() any { return new(listInput) },
			Call: func(ctx context.Context, in any) (any, error) {
				s.info = awsproto.Info(ctx)
				if aws.ToInt32(in.(*listInput).MaxItems) == 13 {
					panic("unlucky")
				}
				if aws.ToInt32(in.(*listInput).MaxItems) == 14 {
					return nil, errors.New("disk on fire")
				}
				return &listOutput{NextMarker: aws.String("m")}, nil
			}},
	}}
	accounts, err := auth.NewAccounts(auth.Credentials{AccessKeyID: "AKIDGOOD", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if err := accounts.MapAccount("AKIDOTHER", "111111111111"); err != nil {
		t.Fatal(err)
	}
	cfg := edge.Config{Services: []*awsproto.Spec{spec}, Accounts: accounts,
		Internal: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "internal") })}
	if verify {
		cfg.Verifier = auth.NewVerifier(accounts, nil)
	}
	srv := httptest.NewServer(edge.New(cfg))
	t.Cleanup(srv.Close)
	return srv, s
}

func lambdaClient(url, akid, secret, region string) *lambda.Client {
	return lambda.NewFromConfig(aws.Config{Region: region, BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")},
		func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
}

func apiError(t *testing.T, err error) smithy.APIError {
	t.Helper()
	var e smithy.APIError
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an API error", err)
	}
	return e
}

func TestAccountAndRegionComeFromCredentials(t *testing.T) {
	srv, s := newEdge(t, false)
	tests := []struct {
		name, akid, region, wantAccount string
	}{
		{"default account", "ANYKEY", "us-east-1", "000000000000"},
		{"mapped account", "AKIDOTHER", "eu-west-1", "111111111111"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := lambdaClient(srv.URL, tt.akid, "x", tt.region).ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.NextMarker) != "m" || s.info.Account != tt.wantAccount || s.info.Region != tt.region || s.info.ID == "" {
				t.Errorf("handler saw %+v", s.info)
			}
		})
	}
}

func TestPanicsAndInternalErrorsBecome500(t *testing.T) {
	srv, _ := newEdge(t, false)
	for _, n := range []int32{13, 14} {
		_, err := lambdaClient(srv.URL, "AKID", "x", "us-east-1").ListFunctions(context.Background(), &lambda.ListFunctionsInput{MaxItems: aws.Int32(n)})
		e := apiError(t, err)
		if e.ErrorCode() != "InternalFailure" || strings.Contains(e.ErrorMessage(), "unlucky") || strings.Contains(e.ErrorMessage(), "fire") {
			t.Errorf("MaxItems %d answered %s: %s", n, e.ErrorCode(), e.ErrorMessage())
		}
	}
}

func TestUnknownServicesAndOperations(t *testing.T) {
	srv, _ := newEdge(t, false)
	// A service Nimbus does not serve, identified by the signing name.
	logs := cloudwatchlogs.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "x", "")}, func(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 1 })
	_, err := logs.DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{})
	if e := apiError(t, err); e.ErrorCode() != "NotImplemented" || !strings.Contains(e.ErrorMessage(), "logs") {
		t.Errorf("unknown service answered %s: %s", e.ErrorCode(), e.ErrorMessage())
	}
	// An unsigned request for nothing known.
	resp, err := http.Get(srv.URL + "/no/such/thing")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented || resp.Header.Get("X-Amzn-Errortype") != "NotImplemented" || resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Errorf("unknown path answered %d %v", resp.StatusCode, resp.Header)
	}
	// Internal paths go to the internal handler.
	resp, err = http.Get(srv.URL + "/_nimbus/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "internal" {
		t.Errorf("internal path answered %q", body)
	}
}

func TestVerifyMode(t *testing.T) {
	srv, _ := newEdge(t, true)
	ctx := context.Background()
	if _, err := lambdaClient(srv.URL, "AKIDGOOD", "secret", "us-east-1").ListFunctions(ctx, &lambda.ListFunctionsInput{}); err != nil {
		t.Fatalf("a correctly signed call failed: %v", err)
	}
	tests := []struct{ name, akid, secret, code string }{
		{"wrong secret", "AKIDGOOD", "nope", "InvalidSignatureException"},
		{"unknown key", "AKIDNOBODY", "secret", "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lambdaClient(srv.URL, tt.akid, tt.secret, "us-east-1").ListFunctions(ctx, &lambda.ListFunctionsInput{})
			if e := apiError(t, err); e.ErrorCode() != tt.code {
				t.Errorf("answered %s: %s, want %s", e.ErrorCode(), e.ErrorMessage(), tt.code)
			}
		})
	}
	resp, err := http.Get(srv.URL + "/2015-03-31/functions/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned call under verify answered %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
	}
	// A presigned request is verified too.
	req, _ := http.NewRequest("GET", srv.URL+"/2015-03-31/functions/", nil)
	signer := v4.NewSigner()
	url, _, err := signer.PresignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDGOOD", SecretAccessKey: "secret"}, req,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "lambda", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || out["NextMarker"] != "m" {
		t.Errorf("presigned call answered %d %v", resp.StatusCode, out)
	}
}

// A service Nimbus does not serve answers NotImplemented in the wire
// protocol its client parses, so SDKs surface the code and message.
func TestUnknownServiceSpeaksTheClientsProtocol(t *testing.T) {
	srv, _ := newEdge(t, false)
	tests := []struct {
		name        string
		contentType string
		target      string
		scope       string
		wantType    string
		wantBody    string
	}{
		{"query", "application/x-www-form-urlencoded", "", "sqs", "text/xml", "<Code>NotImplemented</Code><Message>The service sqs is not implemented by Nimbus yet</Message>"},
		{"rest-xml", "", "", "s3", "text/xml", "<Error><Code>NotImplemented</Code>"},
		{"json", "application/x-amz-json-1.0", "DynamoDB_20120810.ListTables", "dynamodb", "application/x-amz-json-1.0", `"__type":"NotImplemented"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader("Action=ListQueues"))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
			}
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/"+tt.scope+"/aws4_request, SignedHeaders=host, Signature=00")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotImplemented || resp.Header.Get("Content-Type") != tt.wantType || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("answered %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		})
	}
}
