package awsproto_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
)

// invokeInput mirrors the generated Lambda InvocationRequest bindings.
type invokeInput struct {
	ClientContext  *string `json:"-" aws:"header=X-Amz-Client-Context"`
	FunctionName   *string `json:"-" aws:"uri=FunctionName"`
	InvocationType *string `json:"-" aws:"header=X-Amz-Invocation-Type"`
	LogType        *string `json:"-" aws:"header=X-Amz-Log-Type"`
	Payload        []byte  `json:"-" aws:"payload"`
	Qualifier      *string `json:"-" aws:"querystring=Qualifier"`
}

type invokeOutput struct {
	ExecutedVersion *string `json:"-" aws:"header=X-Amz-Executed-Version"`
	FunctionError   *string `json:"-" aws:"header=X-Amz-Function-Error"`
	Payload         []byte  `json:"-" aws:"payload"`
	StatusCode      *int32  `json:"-" aws:"statusCode"`
}

type listInput struct {
	Marker   *string `json:"-" aws:"querystring=Marker"`
	MaxItems *int32  `json:"-" aws:"querystring=MaxItems"`
}

type untagInput struct {
	Resource *string  `json:"-" aws:"uri=Resource"`
	TagKeys  []string `json:"-" aws:"querystring=tagKeys"`
}

type putLogEventsInput struct {
	LogGroupName  *string    `json:"logGroupName,omitzero"`
	LogStreamName *string    `json:"logStreamName,omitzero"`
	LogEvents     []logEvent `json:"logEvents,omitzero"`
}

type logEvent struct {
	Message   *string `json:"message,omitzero"`
	Timestamp *int64  `json:"timestamp,omitzero"`
}

type putLogEventsOutput struct {
	NextSequenceToken *string `json:"nextSequenceToken,omitzero"`
}

// serve runs spec behind a minimal edge: resolve, decode, call, encode.
func serve(t *testing.T, spec *awsproto.Spec) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		op, out, err := spec.Dispatch(r.Context(), r, body)
		if err != nil {
			e, _ := awserr.As(err)
			spec.WriteError(w, e)
			return
		}
		spec.WriteOutput(w, op, out)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func config(endpoint string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
}

func TestRestJSONRoundTripWithSDK(t *testing.T) {
	var gotInvoke *invokeInput
	var gotList *listInput
	var gotUntag *untagInput
	spec := &awsproto.Spec{Name: "Lambda", SigningName: "lambda", Protocol: awsproto.RestJSON, Operations: []awsproto.Operation{
		{Name: "Invoke", Method: "POST", Path: "/2015-03-31/functions/{FunctionName}/invocations", Status: 200,
			NewInput: func() any { return new(invokeInput) },
			Call: func(_ context.Context, in any) (any, error) {
				gotInvoke = in.(*invokeInput)
				if aws.ToString(gotInvoke.FunctionName) == "missing" {
					e := awserr.New(404, "ResourceNotFoundException", "Function not found: x")
					e.MessageMember = "Message"
					return nil, e.With("Type", "User")
				}
				return &invokeOutput{ExecutedVersion: aws.String("$LATEST"), FunctionError: aws.String("Unhandled"),
					Payload: []byte(`{"ok":true}`), StatusCode: aws.Int32(200)}, nil
			}},
		{Name: "ListFunctions", Method: "GET", Path: "/2015-03-31/functions/", Status: 200,
			NewInput: func() any { return new(listInput) },
			Call:     func(_ context.Context, in any) (any, error) { gotList = in.(*listInput); return nil, nil }},
		{Name: "UntagResource", Method: "DELETE", Path: "/2017-03-31/tags/{Resource}", Status: 204,
			NewInput: func() any { return new(untagInput) },
			Call:     func(_ context.Context, in any) (any, error) { gotUntag = in.(*untagInput); return nil, nil }},
	}}
	client := lambda.NewFromConfig(config(serve(t, spec)))
	ctx := context.Background()

	out, err := client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST"),
		Qualifier:    aws.String("$LATEST"), InvocationType: types.InvocationTypeRequestResponse,
		LogType: types.LogTypeTail, ClientContext: aws.String("e30="), Payload: []byte(`{"a":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &invokeInput{
		ClientContext: aws.String("e30="), FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST"),
		InvocationType: aws.String("RequestResponse"), LogType: aws.String("Tail"), Payload: []byte(`{"a":1}`), Qualifier: aws.String("$LATEST"),
	}
	if diff := cmp.Diff(want, gotInvoke); diff != "" {
		t.Errorf("decoded Invoke (-want +got):\n%s", diff)
	}
	if string(out.Payload) != `{"ok":true}` || aws.ToString(out.FunctionError) != "Unhandled" || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("SDK read %+v", out)
	}

	_, err = client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("missing")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Function not found: x" || aws.ToString(nf.Type) != "User" {
		t.Errorf("SDK read error %v", err)
	}

	if _, err := client.ListFunctions(ctx, &lambda.ListFunctionsInput{Marker: aws.String("a b/c"), MaxItems: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&listInput{Marker: aws.String("a b/c"), MaxItems: aws.Int32(7)}, gotList); diff != "" {
		t.Errorf("decoded ListFunctions (-want +got):\n%s", diff)
	}

	arn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	if _, err := client.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"a", "b c"}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&untagInput{Resource: aws.String(arn), TagKeys: []string{"a", "b c"}}, gotUntag); diff != "" {
		t.Errorf("decoded UntagResource (-want +got):\n%s", diff)
	}
}

func TestAWSJSONRoundTripWithSDK(t *testing.T) {
	var got *putLogEventsInput
	spec := &awsproto.Spec{Name: "CloudWatch Logs", SigningName: "logs", Protocol: awsproto.JSON11, TargetPrefix: "Logs_20140328",
		Operations: []awsproto.Operation{{Name: "PutLogEvents", NewInput: func() any { return new(putLogEventsInput) },
			Call: func(_ context.Context, in any) (any, error) {
				got = in.(*putLogEventsInput)
				if aws.ToString(got.LogGroupName) == "missing" {
					return nil, awserr.New(400, "ResourceNotFoundException", "The specified log group does not exist.")
				}
				return &putLogEventsOutput{NextSequenceToken: aws.String("1")}, nil
			}}}}
	client := cloudwatchlogs.NewFromConfig(config(serve(t, spec)))
	ts := time.Now().UnixMilli()
	out, err := client.PutLogEvents(context.Background(), &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []cwtypes.InputLogEvent{{Message: aws.String("m"), Timestamp: aws.Int64(ts)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &putLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []logEvent{{Message: aws.String("m"), Timestamp: aws.Int64(ts)}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded PutLogEvents (-want +got):\n%s", diff)
	}
	if aws.ToString(out.NextSequenceToken) != "1" {
		t.Errorf("SDK read %+v", out)
	}
	_, err = client.PutLogEvents(context.Background(), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("missing"), LogStreamName: aws.String("s"),
		LogEvents: []cwtypes.InputLogEvent{{Message: aws.String("m"), Timestamp: aws.Int64(ts)}}})
	var nf *cwtypes.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "The specified log group does not exist." {
		t.Errorf("SDK read error %v", err)
	}
	_, err = client.DeleteLogGroup(context.Background(), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("g")})
	if err == nil {
		t.Error("an operation the spec lacks succeeded")
	}
}

func FuzzRoute(f *testing.F) {
	spec := &awsproto.Spec{Protocol: awsproto.RestJSON, Operations: []awsproto.Operation{
		{Name: "A", Method: "POST", Path: "/2015-03-31/functions/{FunctionName}/invocations"},
		{Name: "B", Method: "GET", Path: "/{Bucket}/{Key+}"},
		{Name: "C", Method: "GET", Path: "/{Bucket}?acl"},
		{Name: "D", Method: "GET", Path: "/2015-03-31/functions/"},
		{Name: "E", Method: "GET", Path: "/{Bucket}?list-type=2"},
	}}
	for _, s := range []string{"/2015-03-31/functions/f/invocations", "/b/k/e/y", "/b?acl", "/%zz/..//", "/2015-03-31/functions/", "/b?list-type=2", "/b?list-type=1"} {
		f.Add("GET", s)
		f.Add("POST", s)
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u}
		op, labels := spec.Route(r)
		if op != nil && op.Method != method {
			t.Fatalf("%s %s routed to %s %s", method, target, op.Method, op.Path)
		}
		_ = labels
		spec.PathMatches(r)
	})
}

type fuzzInput struct {
	Name    *string           `json:"-" aws:"uri=Name"`
	Count   *int32            `json:"-" aws:"querystring=Count"`
	Keys    []string          `json:"-" aws:"querystring=Key"`
	Flag    *bool             `json:"-" aws:"header=X-Flag"`
	List    []string          `json:"-" aws:"header=X-List"`
	Meta    map[string]string `json:"-" aws:"headers=X-Meta-"`
	When    *awsproto.Time    `json:"When,omitzero"`
	Nested  *fuzzNested       `json:"Nested,omitzero"`
	Numbers []int64           `json:"Numbers,omitzero"`
	Blob    []byte            `json:"Blob,omitzero"`
}

type fuzzNested struct {
	Tags map[string]string `json:"Tags,omitzero"`
	Size *float64          `json:"Size,omitzero"`
}

// TestDecodeRefusesMalformedBindings: a value that does not parse as its
// member's type is a 400, wherever it is bound.
func TestDecodeRefusesMalformedBindings(t *testing.T) {
	spec := &awsproto.Spec{Protocol: awsproto.RestJSON, Operations: []awsproto.Operation{
		{Name: "Op", Method: "POST", Path: "/things/{Name}", NewInput: func() any { return new(fuzzInput) }},
	}}
	for _, tt := range []struct {
		name, query string
		header      http.Header
		wantErr     bool
	}{
		{"well formed", "Count=3", http.Header{"X-Flag": {"true"}}, false},
		{"querystring int", "Count=three", nil, true},
		{"header bool", "", http.Header{"X-Flag": {"maybe"}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse("http://h/things/x?" + tt.query)
			r := &http.Request{Method: "POST", URL: u, Header: tt.header}
			op, labels := spec.Route(r)
			_, aerr := spec.Decode(r, nil, op, labels)
			if (aerr != nil) != tt.wantErr {
				t.Fatalf("Decode error = %v, want error: %v", aerr, tt.wantErr)
			}
			if aerr != nil && aerr.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", aerr.Status)
			}
		})
	}
}

// FuzzDecode feeds arbitrary paths, query strings, headers and bodies to
// the REST and JSON decoders: they must answer an error or a value, never
// panic.
func FuzzDecode(f *testing.F) {
	spec := &awsproto.Spec{Protocol: awsproto.RestJSON, Operations: []awsproto.Operation{
		{Name: "Op", Method: "POST", Path: "/things/{Name}", NewInput: func() any { return new(fuzzInput) }},
	}}
	f.Add("/things/a%20b", "Count=3&Key=x&Key=y", "true", `{"When":1700000000.5,"Nested":{"Tags":{"a":"b"},"Size":1.5},"Numbers":[1,2],"Blob":"aGk="}`)
	f.Add("/things/x", "Count=notanumber", "maybe", `{"When":"2024-01-01T00:00:00Z"}`)
	f.Add("/things/%zz", "", "", `{"Nested":[]}`)
	f.Fuzz(func(t *testing.T, path, query, flag, body string) {
		u, err := url.Parse("http://h" + path + "?" + query)
		if err != nil {
			return
		}
		r := &http.Request{Method: "POST", URL: u, Header: http.Header{"X-Flag": {flag}, "X-Meta-One": {flag}, "X-List": {flag, query}}}
		op, labels := spec.Route(r)
		if op == nil {
			return
		}
		in, aerr := spec.Decode(r, []byte(body), op, labels)
		if aerr == nil && in == nil {
			t.Fatal("Decode returned neither a value nor an error")
		}
		if aerr != nil && aerr.Status != http.StatusBadRequest {
			t.Fatalf("Decode error with status %d: %v", aerr.Status, aerr)
		}
	})
}
