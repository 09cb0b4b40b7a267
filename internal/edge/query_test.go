package edge_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/nimbus-dev/nimbus/internal/auth"
	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/edge"
)

type sendInput struct {
	QueueUrl    *string           `json:"QueueUrl,omitzero"`
	MessageBody *string           `json:"MessageBody,omitzero"`
	Attributes  map[string]string `json:"Attributes,omitzero"`
}

type sendOutput struct {
	MessageId *string `json:"MessageId,omitzero"`
	QueueUrl  *string `json:"QueueUrl,omitzero"`
}

// newQueryEdge serves a Lambda-like REST service and an SQS-like JSON
// service that answers query requests too.
func newQueryEdge(t *testing.T, verify bool, maxBody int64) *httptest.Server {
	t.Helper()
	queues := &awsproto.Spec{Name: "SQS", SigningName: "sqs", Protocol: awsproto.JSON10, TargetPrefix: "AmazonSQS",
		QueryCompatible: true,
		QueryProtocol: &awsproto.QueryProtocol{XMLNamespace: "http://queue.amazonaws.com/doc/2012-11-05/", PathMember: "QueueUrl",
			Members: map[string]awsproto.QueryMember{"sendInput.Attributes": {Name: "Attribute", Flat: true, Key: "Name", Value: "Value"}}},
		Operations: []awsproto.Operation{
			{Name: "SendMessage", NewInput: func() any { return new(sendInput) },
				Call: func(ctx context.Context, in any) (any, error) {
					send := in.(*sendInput)
					switch aws.ToString(send.MessageBody) {
					case "panic":
						panic("unlucky")
					case "missing":
						e := awserr.New(http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
						e.QueryCode = "AWS.SimpleQueueService.NonExistentQueue"
						return nil, e
					}
					id := aws.ToString(send.MessageBody) + "/" + send.Attributes["k"] + "/" + awsproto.Info(ctx).Account
					return &sendOutput{MessageId: &id, QueueUrl: send.QueueUrl}, nil
				}},
		}}
	lambdaSpec := &awsproto.Spec{Name: "Lambda", SigningName: "lambda", Protocol: awsproto.RestJSON, Operations: []awsproto.Operation{
		{Name: "ListFunctions", Method: "GET", Path: "/2015-03-31/functions/", NewInput: func() any { return new(listInput) },
			Call: func(context.Context, any) (any, error) { return &listOutput{NextMarker: aws.String("m")}, nil }},
	}}
	accounts, err := auth.NewAccounts(auth.Credentials{AccessKeyID: "AKIDGOOD", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := edge.Config{Services: []*awsproto.Spec{lambdaSpec, queues}, Accounts: accounts, MaxBody: maxBody}
	if verify {
		cfg.Verifier = auth.NewVerifier(accounts, nil)
	}
	srv := httptest.NewServer(edge.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

type queryAnswer struct {
	status      int
	contentType string
	body        string
}

func do(t *testing.T, req *http.Request) queryAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return queryAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), string(body)}
}

func formPost(t *testing.T, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// sign signs req as an SDK does, for service sqs.
func sign(t *testing.T, req *http.Request, body, akid, secret string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, req,
		hex.EncodeToString(sum[:]), "sqs", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
}

// sendResult reads a SendMessage answer's MessageId and QueueUrl.
func sendResult(t *testing.T, a queryAnswer) (id, queueURL string) {
	t.Helper()
	var got struct {
		XMLName   xml.Name `xml:"http://queue.amazonaws.com/doc/2012-11-05/ SendMessageResponse"`
		MessageID string   `xml:"SendMessageResult>MessageId"`
		QueueURL  string   `xml:"SendMessageResult>QueueUrl"`
		RequestID string   `xml:"ResponseMetadata>RequestId"`
	}
	if a.status != http.StatusOK || a.contentType != "text/xml" {
		t.Fatalf("answered %d %s: %s", a.status, a.contentType, a.body)
	}
	if err := xml.Unmarshal([]byte(a.body), &got); err != nil || got.RequestID == "" {
		t.Fatalf("answer %s: %v", a.body, err)
	}
	return got.MessageID, got.QueueURL
}

// errorCode reads a query ErrorResponse's Type and Code.
func errorCode(t *testing.T, a queryAnswer) string {
	t.Helper()
	var got struct {
		Type string `xml:"Error>Type"`
		Code string `xml:"Error>Code"`
	}
	if a.contentType != "text/xml" {
		t.Fatalf("error answered as %s: %s", a.contentType, a.body)
	}
	if err := xml.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatalf("error %s: %v", a.body, err)
	}
	return got.Type + " " + got.Code
}

func TestQueryRequestsAreRoutedToTheQueryCodec(t *testing.T) {
	t.Parallel()
	srv := newQueryEdge(t, false, 0)
	const form = "Action=SendMessage&Version=2012-11-05&MessageBody=hi&Attribute.1.Name=k&Attribute.1.Value=v"

	t.Run("signed form post", func(t *testing.T) {
		req := formPost(t, srv.URL+"/", form+"&QueueUrl=q")
		sign(t, req, form+"&QueueUrl=q", "AKIDGOOD", "secret")
		if id, url := sendResult(t, do(t, req)); id != "hi/v/000000000000" || url != "q" {
			t.Errorf("answered %s %s", id, url)
		}
	})
	t.Run("unsigned form post, found by its Action", func(t *testing.T) {
		if id, _ := sendResult(t, do(t, formPost(t, srv.URL+"/", form))); id != "hi/v/000000000000" {
			t.Errorf("answered %s", id)
		}
	})
	t.Run("GET with the form in the URL", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.URL+"/?"+form, nil)
		if id, _ := sendResult(t, do(t, req)); id != "hi/v/000000000000" {
			t.Errorf("answered %s", id)
		}
	})
	t.Run("posted to the queue URL", func(t *testing.T) {
		_, url := sendResult(t, do(t, formPost(t, srv.URL+"/000000000000/orders", form)))
		if url != srv.URL+"/000000000000/orders" {
			t.Errorf("QueueUrl = %s", url)
		}
	})
	t.Run("JSON requests stay JSON", func(t *testing.T) {
		req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(`{"MessageBody":"hi","Attributes":{"k":"j"}}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
		sign(t, req, `{"MessageBody":"hi","Attributes":{"k":"j"}}`, "AKIDGOOD", "secret")
		a := do(t, req)
		var out sendOutput
		if a.status != http.StatusOK || a.contentType != "application/x-amz-json-1.0" || json.Unmarshal([]byte(a.body), &out) != nil ||
			aws.ToString(out.MessageId) != "hi/j/000000000000" {
			t.Errorf("answered %d %s %s", a.status, a.contentType, a.body)
		}
	})
	t.Run("REST services are not taken for query", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/2015-03-31/functions/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("ListFunctions answered %d", resp.StatusCode)
		}
	})
}

func TestQueryErrorsAreXML(t *testing.T) {
	t.Parallel()
	srv := newQueryEdge(t, false, 0)
	tests := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"error with a query code", "/", "Action=SendMessage&MessageBody=missing", 400, "Sender AWS.SimpleQueueService.NonExistentQueue"},
		{"panic", "/", "Action=SendMessage&MessageBody=panic", 500, "Receiver InternalFailure"},
		{"an Action no service has", "/", "Action=Publish&TopicArn=x", 501, "Receiver NotImplemented"},
		{"no Action", "/", "Version=2012-11-05", 501, "Receiver NotImplemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, formPost(t, srv.URL+tt.path, tt.body))
			if got := errorCode(t, a); a.status != tt.status || got != tt.want {
				t.Errorf("answered %d %s, want %d %s", a.status, got, tt.status, tt.want)
			}
		})
	}
	t.Run("signed, unknown Action", func(t *testing.T) {
		req := formPost(t, srv.URL+"/", "Action=Publish")
		sign(t, req, "Action=Publish", "AKIDGOOD", "secret")
		if a := do(t, req); a.status != 400 || errorCode(t, a) != "Sender InvalidAction" {
			t.Errorf("answered %d %s", a.status, a.body)
		}
	})
}

func TestQueryBodyLimitAndAuthErrorsAreXML(t *testing.T) {
	t.Parallel()
	small := newQueryEdge(t, false, 64)
	long := "Action=SendMessage&MessageBody=" + strings.Repeat("x", 100)
	if a := do(t, formPost(t, small.URL+"/", long)); a.status != http.StatusRequestEntityTooLarge || errorCode(t, a) != "Sender RequestEntityTooLargeException" {
		t.Errorf("unsigned oversized body answered %d %s", a.status, a.body)
	}
	req := formPost(t, small.URL+"/", long)
	sign(t, req, long, "AKIDGOOD", "secret")
	if a := do(t, req); a.status != http.StatusRequestEntityTooLarge || errorCode(t, a) != "Sender RequestEntityTooLargeException" {
		t.Errorf("signed oversized body answered %d %s", a.status, a.body)
	}

	verify := newQueryEdge(t, true, 0)
	const form = "Action=SendMessage&MessageBody=hi"
	if a := do(t, formPost(t, verify.URL+"/", form)); a.status != http.StatusForbidden || errorCode(t, a) != "Sender MissingAuthenticationToken" {
		t.Errorf("unsigned under verify answered %d %s", a.status, a.body)
	}
	req = formPost(t, verify.URL+"/", form)
	sign(t, req, form, "AKIDGOOD", "wrong")
	if a := do(t, req); a.status != http.StatusForbidden || errorCode(t, a) != "Sender SignatureDoesNotMatch" {
		t.Errorf("badly signed answered %d %s", a.status, a.body)
	}
	req = formPost(t, verify.URL+"/", form)
	sign(t, req, form, "AKIDGOOD", "secret")
	if id, _ := sendResult(t, do(t, req)); id != "hi//000000000000" {
		t.Errorf("signed under verify answered %s", id)
	}
}
