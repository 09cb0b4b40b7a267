package awsproto_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/query"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
)

// echoShape has a member of every kind the query protocol carries; the
// Echo operation answers its input, so a test sees both directions.
type echoShape struct {
	Name    *string            `json:"Name,omitzero"`
	Enabled *bool              `json:"Enabled,omitzero"`
	Size    *int64             `json:"Size,omitzero"`
	Count   *int32             `json:"Count,omitzero"`
	Ratio   *float64           `json:"Ratio,omitzero"`
	When    *awsproto.Time     `json:"When,omitzero"`
	Blob    []byte             `json:"Blob,omitzero"`
	Labels  []string           `json:"Labels,omitzero"`  // flat, renamed Label
	Wrapped []string           `json:"Wrapped,omitzero"` // not in the table: Wrapped.member.N
	Tags    map[string]string  `json:"tags,omitzero"`    // flat, renamed Tag, Key/Value
	Plain   map[string]string  `json:"Plain,omitzero"`   // Plain.entry.N.key/value
	Entries []echoEntry        `json:"Entries,omitzero"` // flat, renamed Entry
	Nested  *echoNested        `json:"Nested,omitzero"`
	Values  map[string]echoVal `json:"Values,omitzero"` // flat, renamed Value, Name/Value
	Target  *string            `json:"Target,omitzero"` // the PathMember
}

type echoEntry struct {
	Id    *string `json:"Id,omitzero"`
	Delay *int32  `json:"Delay,omitzero"`
}

type echoNested struct {
	Deep  *string  `json:"Deep,omitzero"`
	Items []string `json:"Items,omitzero"` // wrapped, items named Item
}

type echoVal struct {
	DataType    *string  `json:"DataType,omitzero"`
	StringValue *string  `json:"StringValue,omitzero"`
	BinaryValue []byte   `json:"BinaryValue,omitzero"`
	StringList  []string `json:"StringListValues,omitzero"` // flat, renamed StringListValue
}

func echoProtocol() *awsproto.QueryProtocol {
	return &awsproto.QueryProtocol{
		XMLNamespace: "http://example.com/doc/2020-01-01/",
		PathMember:   "Target",
		ErrorMessages: map[string]string{
			"AWS.SimpleQueueService.NonExistentQueue": "The specified queue does not exist for this wsdl version.",
		},
		Members: map[string]awsproto.QueryMember{
			"echoShape.Labels":         {Name: "Label", Flat: true},
			"echoShape.tags":           {Name: "Tag", Flat: true, Key: "Key", Value: "Value"},
			"echoShape.Entries":        {Name: "Entry", Flat: true},
			"echoShape.Values":         {Name: "Value", Flat: true, Key: "Name", Value: "Value"},
			"echoEntry.Delay":          {Name: "DelaySeconds"},
			"echoNested.Items":         {Item: "Item"},
			"echoVal.StringListValues": {Name: "StringListValue", Flat: true},
		},
	}
}

// echoSpec is a JSON service that answers query requests too; Echo
// answers its input, Fail fails with a query code, Nothing has no output.
func echoSpec() *awsproto.Spec {
	return &awsproto.Spec{Name: "Echo", SigningName: "echo", Protocol: awsproto.JSON10, TargetPrefix: "Echo",
		APIVersion: "2020-01-01", QueryCompatible: true, ValidationCode: "InvalidParameterValue",
		QueryProtocol: echoProtocol(),
		Operations: []awsproto.Operation{
			{Name: "Echo", NewInput: func() any { return new(echoShape) },
				Call: func(_ context.Context, in any) (any, error) { return in, nil }},
			{Name: "Fail", NewInput: func() any { return new(echoShape) },
				Call: func(context.Context, any) (any, error) {
					e := awserr.New(http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
					e.QueryCode = "AWS.SimpleQueueService.NonExistentQueue"
					return nil, e
				}},
			{Name: "Nothing", NewInput: func() any { return new(awsproto.Empty) },
				Call: func(context.Context, any) (any, error) { return nil, nil }},
			{Name: "Broken", NewInput: func() any { return new(awsproto.Empty) },
				Call: func(context.Context, any) (any, error) { return nil, errors.New("disk on fire") }},
		},
	}
}

// serveQuery runs one request through spec's codec, as the edge does.
func serveQuery(t *testing.T, spec *awsproto.Spec, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	body, _ := io.ReadAll(r.Body)
	codec := spec.CodecFor(r, "req-1")
	rec := httptest.NewRecorder()
	op, out, err := codec.Dispatch(context.Background(), r, body)
	if err != nil {
		aerr, ok := awserr.As(err)
		if !ok {
			aerr = awserr.Internal()
		}
		codec.WriteError(rec, aerr)
		return rec
	}
	codec.WriteOutput(rec, op, out)
	return rec
}

func formRequest(path, body string) *http.Request {
	r := httptest.NewRequest("POST", "http://nimbus.test"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

// sdkForm encodes a form with the SDK's own query encoder, as the query-era
// SDKs' generated serializers call it.
func sdkForm(t *testing.T, action string, fill func(o *query.Object)) string {
	t.Helper()
	var buf bytes.Buffer
	enc := query.NewEncoder(&buf)
	o := enc.Object()
	o.Key("Action").String(action)
	o.Key("Version").String("2020-01-01")
	fill(o)
	if err := enc.Encode(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestQueryDecodesWhatTheSDKEncodes(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	body := sdkForm(t, "Echo", func(o *query.Object) {
		o.Key("Name").String("a b&c=d.e")
		o.Key("Enabled").Boolean(true)
		o.Key("Size").Long(1 << 40)
		o.Key("Count").Integer(-3)
		o.Key("Ratio").Double(0.25)
		o.Key("When").String(when.Format(time.RFC3339Nano))
		o.Key("Blob").Base64EncodeBytes([]byte{0, 1, 0xff})
		labels := o.FlatKey("Label").Array("member")
		labels.Value().String("x")
		labels.Value().String("y")
		wrapped := o.Key("Wrapped").Array("member")
		wrapped.Value().String("w1")
		tags := o.FlatKey("Tag").Map("Key", "Value")
		tags.Key("team").String("blue")
		tags.Key("empty").String("")
		plain := o.Key("Plain").Map("key", "value")
		plain.Key("k").String("v")
		entries := o.FlatKey("Entry").Array("member")
		for _, id := range []string{"e1", "e2"} {
			e := entries.Value().Object()
			e.Key("Id").String(id)
			e.Key("DelaySeconds").Integer(5)
		}
		nested := o.Key("Nested").Object()
		nested.Key("Deep").String("down")
		items := nested.Key("Items").Array("Item")
		items.Value().String("i1")
		values := o.FlatKey("Value").Map("Name", "Value")
		v := values.Key("attr").Object()
		v.Key("DataType").String("String")
		v.Key("StringValue").String("sv")
		sl := v.FlatKey("StringListValue").Array("StringListValue")
		sl.Value().String("l1")
		sl.Value().String("l2")
		b := values.Key("bin").Object()
		b.Key("DataType").String("Binary")
		b.Key("BinaryValue").Base64EncodeBytes([]byte("raw"))
	})
	var got *echoShape
	spec := echoSpec()
	spec.Operations[0].Call = func(_ context.Context, in any) (any, error) {
		got = in.(*echoShape)
		return in, nil
	}
	rec := serveQuery(t, spec, formRequest("/", body))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := &echoShape{
		Name: aws.String("a b&c=d.e"), Enabled: aws.Bool(true), Size: aws.Int64(1 << 40), Count: aws.Int32(-3),
		Ratio: aws.Float64(0.25), When: awsproto.NewTime(when), Blob: []byte{0, 1, 0xff},
		Labels: []string{"x", "y"}, Wrapped: []string{"w1"},
		Tags:    map[string]string{"team": "blue", "empty": ""},
		Plain:   map[string]string{"k": "v"},
		Entries: []echoEntry{{Id: aws.String("e1"), Delay: aws.Int32(5)}, {Id: aws.String("e2"), Delay: aws.Int32(5)}},
		Nested:  &echoNested{Deep: aws.String("down"), Items: []string{"i1"}},
		Values: map[string]echoVal{
			"attr": {DataType: aws.String("String"), StringValue: aws.String("sv"), StringList: []string{"l1", "l2"}},
			"bin":  {DataType: aws.String("Binary"), BinaryValue: []byte("raw")},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded input (-want +got):\n%s", diff)
	}
}

func TestQueryDecodeEdges(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, path, body string
		want             *echoShape
	}{
		{"an empty list travels as Name=", "/", "Action=Echo&Label=&Wrapped=",
			&echoShape{Labels: []string{}, Wrapped: []string{}}},
		{"indexes are ordered numerically and gaps skipped", "/", "Action=Echo&Label.10=c&Label.2=b&Label.1=a&Label.x=no&Label.0=no",
			&echoShape{Labels: []string{"a", "b", "c"}}},
		{"a map entry without a key is skipped", "/", "Action=Echo&Tag.1.Value=orphan&Tag.2.Key=k",
			&echoShape{Tags: map[string]string{"k": ""}}},
		{"a member spelled by its JSON name is accepted", "/", "Action=Echo&tags.1.Key=k&tags.1.Value=v",
			&echoShape{Tags: map[string]string{"k": "v"}}},
		{"the body wins over the URL", "/?Name=url&Count=1", "Action=Echo&Name=body",
			&echoShape{Name: aws.String("body"), Count: aws.Int32(1)}},
		{"the path stands for the path member", "/000000000000/orders", "Action=Echo",
			&echoShape{Target: aws.String("http://nimbus.test/000000000000/orders")}},
		{"the form's path member wins over the path", "/000000000000/orders", "Action=Echo&Target=mine",
			&echoShape{Target: aws.String("mine")}},
		{"unknown parameters are ignored", "/", "Action=Echo&Version=2020-01-01&Bogus.1.x=y&Name.Deeper=z",
			&echoShape{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := echoSpec()
			var got *echoShape
			spec.Operations[0].Call = func(_ context.Context, in any) (any, error) {
				got = in.(*echoShape)
				return in, nil
			}
			rec := serveQuery(t, spec, formRequest(tt.path, tt.body))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decoded input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQueryEncodesOutput(t *testing.T) {
	t.Parallel()
	body := "Action=Echo&Name=a%3Cb%26%0A&Enabled=false&Count=7&When=2026-01-02T03:04:05Z&Blob=AAH%2F" +
		"&Label.1=x&Label.2=y&Wrapped.member.1=w&Tag.1.Key=t&Tag.1.Value=v&Plain.entry.1.key=k&Plain.entry.1.value=pv" +
		"&Entry.1.Id=e1&Nested.Deep=d&Nested.Items.Item.1=i" +
		"&Value.1.Name=a&Value.1.Value.DataType=String&Value.1.Value.StringValue=s&Value.1.Value.StringListValue.1=l"
	rec := serveQuery(t, echoSpec(), formRequest("/", body))
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<EchoResponse xmlns="http://example.com/doc/2020-01-01/"><EchoResult>` +
		`<Name>a&lt;b&amp;&#xA;</Name><Enabled>false</Enabled><Count>7</Count><When>2026-01-02T03:04:05.000Z</When><Blob>AAH/</Blob>` +
		`<Label>x</Label><Label>y</Label><Wrapped><member>w</member></Wrapped>` +
		`<Tag><Key>t</Key><Value>v</Value></Tag><Plain><entry><key>k</key><value>pv</value></entry></Plain>` +
		`<Entry><Id>e1</Id></Entry><Nested><Deep>d</Deep><Items><Item>i</Item></Items></Nested>` +
		`<Value><Name>a</Name><Value><DataType>String</DataType><StringValue>s</StringValue><StringListValue>l</StringListValue></Value></Value>` +
		`</EchoResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></EchoResponse>`
	if diff := cmp.Diff(want, rec.Body.String()); diff != "" {
		t.Errorf("XML (-want +got):\n%s", diff)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type = %q", ct)
	}

	rec = serveQuery(t, echoSpec(), formRequest("/", "Action=Nothing"))
	want = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<NothingResponse xmlns="http://example.com/doc/2020-01-01/"><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></NothingResponse>`
	if diff := cmp.Diff(want, rec.Body.String()); diff != "" {
		t.Errorf("XML without output (-want +got):\n%s", diff)
	}
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body   string
		status       int
		code, typ    string
		messageStart string
	}{
		{"query code and message", "Action=Fail", 400, "AWS.SimpleQueueService.NonExistentQueue", "Sender", "The specified queue does not exist for this wsdl version."},
		{"no action", "Version=2020-01-01", 400, "MissingAction", "Sender", "The request must contain the parameter Action."},
		{"unknown action", "Action=Nope", 400, "InvalidAction", "Sender", "The action Nope is not valid"},
		{"not an integer", "Action=Echo&Count=many", 400, "InvalidParameterValue", "Sender", "Value for parameter Count is invalid"},
		{"not base64", "Action=Echo&Entry.1.Id=x&Value.1.Name=n&Value.1.Value.BinaryValue=%21", 400, "InvalidParameterValue", "Sender",
			"Value for parameter Value.1.Value.BinaryValue is invalid"},
		{"bad escape", "Action=Echo&Name=%zz", 400, "MalformedQueryString", "Sender", "The request's parameters are malformed"},
		{"internal", "Action=Broken", 500, "InternalFailure", "Receiver", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := serveQuery(t, echoSpec(), formRequest("/", tt.body))
			var got struct {
				XMLName xml.Name `xml:"http://example.com/doc/2020-01-01/ ErrorResponse"`
				Error   struct {
					Type, Code, Message string
					Detail              *struct{}
				}
				RequestID string `xml:"RequestId"`
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, rec.Body)
			}
			if rec.Code != tt.status || got.Error.Code != tt.code || got.Error.Type != tt.typ ||
				!strings.HasPrefix(got.Error.Message, tt.messageStart) || got.Error.Detail == nil || got.RequestID != "req-1" {
				t.Errorf("answered %d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestCodecFor(t *testing.T) {
	t.Parallel()
	spec := echoSpec()
	jsonReq := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
	jsonReq.Header.Set("X-Amz-Target", "Echo.Echo")
	jsonReq.Header.Set("Content-Type", "application/x-amz-json-1.0")
	// A JSON request keeps the service's own codec, whatever its body.
	formWithTarget := formRequest("/", "Action=Echo")
	formWithTarget.Header.Set("X-Amz-Target", "Echo.Echo")
	for _, tt := range []struct {
		name  string
		r     *http.Request
		spec  *awsproto.Spec
		query bool
	}{
		{"JSON", jsonReq, spec, false},
		{"form post", formRequest("/", "Action=Echo"), spec, true},
		{"form post with a target", formWithTarget, spec, false},
		{"GET with an Action", httptest.NewRequest("GET", "/?Action=Echo&Name=x", nil), spec, true},
		{"GET without one", httptest.NewRequest("GET", "/?Name=x", nil), spec, false},
		{"a service without query", formRequest("/", "Action=Echo"), &awsproto.Spec{Name: "J", Protocol: awsproto.JSON10}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, isSpec := tt.spec.CodecFor(tt.r, "id").(*awsproto.Spec)
			if isSpec == tt.query {
				t.Errorf("CodecFor chose the query codec: %v, want %v", !isSpec, tt.query)
			}
		})
	}
}

func TestQueryAction(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		"Action=SendMessage&Version=1":   "SendMessage",
		"Version=1&%41ction=Receive%4De": "ReceiveMe",
		"MessageBody=Action%3DNo":        "",
		"Action=%zz":                     "",
		"":                               "",
	} {
		if got := awsproto.QueryAction(httptest.NewRequest("POST", "/", nil), []byte(body)); got != want {
			t.Errorf("QueryAction(%q) = %q, want %q", body, got, want)
		}
	}
	if got := awsproto.QueryAction(httptest.NewRequest("GET", "/?Action=ListQueues", nil), nil); got != "ListQueues" {
		t.Errorf("QueryAction from the URL = %q", got)
	}
	if got := awsproto.QueryAction(httptest.NewRequest("POST", "/?Action=ListQueues", nil), []byte("Action=SendMessage")); got != "SendMessage" {
		t.Errorf("QueryAction from the URL and the body = %q, want the body's", got)
	}
}
