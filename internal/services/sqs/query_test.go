package sqs_test

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go"
	smithytraits "github.com/aws/smithy-go/traits"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
	sqssvc "github.com/nimbus-dev/nimbus/internal/services/sqs"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// The query protocol as older clients speak it: raw form posts, checked
// against AWS's answers recorded in shared/aws-recorded/sqs (the
// "[sqs_query]" scenarios of test_sqs.snapshot.json).

const queryNS = "http://queue.amazonaws.com/doc/2012-11-05/"

// queryServer posts forms to a fresh Nimbus.
type queryServer struct {
	t   *testing.T
	url string
}

func startQuery(t *testing.T) queryServer {
	t.Helper()
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Isolation: "off"}})
	return queryServer{t, n.URL()}
}

// queryAnswer is an answer's status and body.
type queryAnswer struct {
	status int
	body   []byte
}

// post sends form, unsigned, to path ("/" or a queue's path), as a form
// post; the edge finds SQS by the Action.
func (s queryServer) post(path string, form url.Values) queryAnswer {
	s.t.Helper()
	form.Set("Version", "2012-11-05")
	resp, err := http.Post(s.url+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
		s.t.Fatalf("%s answered Content-Type %q: %s", form.Get("Action"), ct, body)
	}
	return queryAnswer{resp.StatusCode, body}
}

// ok posts form and decodes the <ActionResult> of a 200 answer into result
// (nil for operations without output), checking the envelope.
func (s queryServer) ok(path string, form url.Values, result any) {
	s.t.Helper()
	a := s.post(path, form)
	action := form.Get("Action")
	if a.status != http.StatusOK {
		s.t.Fatalf("%s answered %d: %s", action, a.status, a.body)
	}
	var env struct {
		XMLName   xml.Name
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(a.body, &env); err != nil {
		s.t.Fatalf("%s answered %v: %s", action, err, a.body)
	}
	if env.XMLName != (xml.Name{Space: queryNS, Local: action + "Response"}) || env.RequestID == "" {
		s.t.Fatalf("%s answered the envelope %v: %s", action, env.XMLName, a.body)
	}
	if result == nil {
		return
	}
	// Unmarshal appends to slices; start from an empty result.
	reflect.ValueOf(result).Elem().SetZero()
	wrapper := reflect.New(reflect.StructOf([]reflect.StructField{{
		Name: "Result", Type: reflect.TypeOf(result), Tag: reflect.StructTag(`xml:"` + action + `Result"`),
	}}))
	wrapper.Elem().Field(0).Set(reflect.ValueOf(result))
	if err := xml.Unmarshal(a.body, wrapper.Interface()); err != nil {
		s.t.Fatalf("%s answered %v: %s", action, err, a.body)
	}
	if !strings.Contains(string(a.body), "<"+action+"Result>") && !strings.Contains(string(a.body), "<"+action+"Result/>") {
		s.t.Fatalf("%s answered without a result element: %s", action, a.body)
	}
}

// queryError is a query ErrorResponse as botocore reads it.
type queryError struct {
	Status  int
	Type    string
	Code    string
	Message string
	Detail  bool
}

func (s queryServer) fail(path string, form url.Values) queryError {
	s.t.Helper()
	a := s.post(path, form)
	var got struct {
		XMLName xml.Name `xml:"http://queue.amazonaws.com/doc/2012-11-05/ ErrorResponse"`
		Error   struct {
			Type, Code, Message string
			Detail              *struct{}
		}
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(a.body, &got); err != nil || got.RequestID == "" {
		s.t.Fatalf("%s answered %d %v: %s", form.Get("Action"), a.status, err, a.body)
	}
	return queryError{a.status, got.Error.Type, got.Error.Code, got.Error.Message, got.Error.Detail != nil}
}

// form builds url.Values from key, value pairs.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// queuePath is the path of a queue URL, where older clients post.
func queuePath(t *testing.T, queueURL string) string {
	t.Helper()
	u, err := url.Parse(queueURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

type nameValue struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

func attrMap(nv []nameValue) map[string]string {
	m := map[string]string{}
	for _, a := range nv {
		m[a.Name] = a.Value
	}
	return m
}

type createQueueResult struct {
	QueueURL string `xml:"QueueUrl"`
}

type queueAttributesResult struct {
	Attributes []nameValue `xml:"Attribute"`
}

type queryMessage struct {
	MessageID              string      `xml:"MessageId"`
	ReceiptHandle          string      `xml:"ReceiptHandle"`
	MD5OfBody              string      `xml:"MD5OfBody"`
	MD5OfMessageAttributes string      `xml:"MD5OfMessageAttributes"`
	Body                   string      `xml:"Body"`
	Attributes             []nameValue `xml:"Attribute"`
	MessageAttributes      []struct {
		Name  string `xml:"Name"`
		Value struct {
			DataType    string `xml:"DataType"`
			StringValue string `xml:"StringValue"`
			BinaryValue string `xml:"BinaryValue"`
		} `xml:"Value"`
	} `xml:"MessageAttribute"`
}

type receiveResult struct {
	Messages []queryMessage `xml:"Message"`
}

type batchResult struct {
	Successful []struct {
		ID               string `xml:"Id"`
		MessageID        string `xml:"MessageId"`
		MD5OfMessageBody string `xml:"MD5OfMessageBody"`
	} `xml:"SendMessageBatchResultEntry"`
	Deleted []struct {
		ID string `xml:"Id"`
	} `xml:"DeleteMessageBatchResultEntry"`
	Failed []struct {
		ID          string `xml:"Id"`
		Code        string `xml:"Code"`
		Message     string `xml:"Message"`
		SenderFault bool   `xml:"SenderFault"`
	} `xml:"BatchResultErrorEntry"`
}

func TestQueryQueueAttributes(t *testing.T) {
	t.Parallel()
	s := startQuery(t)
	var created createQueueResult
	s.ok("/", form("Action", "CreateQueue", "QueueName", "attrs",
		"Attribute.1.Name", "VisibilityTimeout", "Attribute.1.Value", "20",
		"Attribute.2.Name", "ReceiveMessageWaitTimeSeconds", "Attribute.2.Value", "10",
		"Attribute.3.Name", "MessageRetentionPeriod", "Attribute.3.Value", "604800"), &created)
	if want := s.url + "/000000000000/attrs"; created.QueueURL != want {
		t.Fatalf("QueueUrl = %s, want %s", created.QueueURL, want)
	}
	path := queuePath(t, created.QueueURL)
	// test_create_and_update_queue_attributes[sqs_query]: get_queue_attributes
	// and get_updated_queue_attributes, timestamps and the ARN aside.
	recorded := func(delay, maxSize, visibility string) map[string]string {
		return map[string]string{"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "0",
			"ApproximateNumberOfMessagesNotVisible": "0", "DelaySeconds": delay, "MaximumMessageSize": maxSize,
			"MessageRetentionPeriod": "604800", "ReceiveMessageWaitTimeSeconds": "10", "SqsManagedSseEnabled": "true",
			"VisibilityTimeout": visibility}
	}
	check := func(want map[string]string) {
		t.Helper()
		var got queueAttributesResult
		// Posted to the queue's URL, without QueueUrl, as older clients do.
		s.ok(path, form("Action", "GetQueueAttributes", "AttributeName.1", "All"), &got)
		attrs := attrMap(got.Attributes)
		if attrs["QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:attrs" || attrs["CreatedTimestamp"] == "" || attrs["LastModifiedTimestamp"] == "" {
			t.Errorf("attributes = %v", attrs)
		}
		delete(attrs, "QueueArn")
		delete(attrs, "CreatedTimestamp")
		delete(attrs, "LastModifiedTimestamp")
		if diff := cmp.Diff(want, attrs); diff != "" {
			t.Errorf("attributes (-recorded +got):\n%s", diff)
		}
	}
	check(recorded("0", "1048576", "20"))
	s.ok("/", form("Action", "SetQueueAttributes", "QueueUrl", created.QueueURL,
		"Attribute.1.Name", "DelaySeconds", "Attribute.1.Value", "420",
		"Attribute.2.Name", "MaximumMessageSize", "Attribute.2.Value", "2048",
		"Attribute.3.Name", "VisibilityTimeout", "Attribute.3.Value", "69"), nil)
	check(recorded("420", "2048", "69"))

	var one queueAttributesResult
	s.ok("/", form("Action", "GetQueueAttributes", "QueueUrl", created.QueueURL,
		"AttributeName.1", "DelaySeconds", "AttributeName.2", "VisibilityTimeout"), &one)
	if diff := cmp.Diff(map[string]string{"DelaySeconds": "420", "VisibilityTimeout": "69"}, attrMap(one.Attributes)); diff != "" {
		t.Errorf("two attributes (-want +got):\n%s", diff)
	}

	var urls struct {
		QueueURLs []string `xml:"QueueUrl"`
	}
	s.ok("/", form("Action", "CreateQueue", "QueueName", "attrs-2"), nil)
	s.ok("/", form("Action", "ListQueues", "QueueNamePrefix", "attrs"), &urls)
	if diff := cmp.Diff([]string{created.QueueURL, created.QueueURL + "-2"}, urls.QueueURLs); diff != "" {
		t.Errorf("ListQueues (-want +got):\n%s", diff)
	}
	var got createQueueResult
	s.ok("/", form("Action", "GetQueueUrl", "QueueName", "attrs-2"), &got)
	s.ok(queuePath(t, got.QueueURL), form("Action", "DeleteQueue"), nil)
	e := s.fail("/", form("Action", "GetQueueUrl", "QueueName", "attrs-2"))
	// test_non_existent_queue: queue-does-not-exist-query.
	if want := (queryError{400, "Sender", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist for this wsdl version.", true}); e != want {
		t.Errorf("GetQueueUrl of a deleted queue answered %+v, want %+v", e, want)
	}
}

// test_tag_untag_queue[sqs_query].
func TestQueryTags(t *testing.T) {
	t.Parallel()
	s := startQuery(t)
	var created createQueueResult
	s.ok("/", form("Action", "CreateQueue", "QueueName", "tagged", "Tag.1.Key", "tag1", "Tag.1.Value", "value1"), &created)
	path := queuePath(t, created.QueueURL)
	s.ok(path, form("Action", "TagQueue", "Tag.1.Key", "tag2", "Tag.1.Value", "value2", "Tag.2.Key", "tag3", "Tag.2.Value", ""), nil)
	type tagsResult struct {
		Tags []struct {
			Key   string `xml:"Key"`
			Value string `xml:"Value"`
		} `xml:"Tag"`
	}
	tags := func() map[string]string {
		var got tagsResult
		s.ok(path, form("Action", "ListQueueTags"), &got)
		m := map[string]string{}
		for _, kv := range got.Tags {
			m[kv.Key] = kv.Value
		}
		return m
	}
	if diff := cmp.Diff(map[string]string{"tag1": "value1", "tag2": "value2", "tag3": ""}, tags()); diff != "" {
		t.Errorf("get-tag-1 (-recorded +got):\n%s", diff)
	}
	s.ok(path, form("Action", "UntagQueue", "TagKey.1", "tag1", "TagKey.2", "tag3"), nil)
	if diff := cmp.Diff(map[string]string{"tag2": "value2"}, tags()); diff != "" {
		t.Errorf("get-tag-2 (-recorded +got):\n%s", diff)
	}
	// botocore (the AWS CLI 2.9) spells TagQueue's map by its member name.
	s.ok(path, form("Action", "TagQueue", "Tags.1.Key", "cli", "Tags.1.Value", "v"), nil)
	s.ok(path, form("Action", "UntagQueue", "TagKey.1", "tag2", "TagKey.2", "cli"), nil)
	if got := tags(); len(got) != 0 {
		t.Errorf("get-tag-after-untag = %v, want no tags", got)
	}
}

func TestQueryMessages(t *testing.T) {
	t.Parallel()
	s := startQuery(t)
	var created createQueueResult
	s.ok("/", form("Action", "CreateQueue", "QueueName", "messages"), &created)
	path := queuePath(t, created.QueueURL)

	// test_receive_empty_queue[sqs_query]: no Message at all.
	var empty receiveResult
	s.ok(path, form("Action", "ReceiveMessage"), &empty)
	if len(empty.Messages) != 0 {
		t.Errorf("empty queue answered %+v", empty)
	}

	// test_receive_message_attribute_names_filters[sqs_query]: all_system_and_message_attributes.
	var sent struct {
		MessageID              string `xml:"MessageId"`
		MD5OfMessageBody       string `xml:"MD5OfMessageBody"`
		MD5OfMessageAttributes string `xml:"MD5OfMessageAttributes"`
	}
	s.ok(path, form("Action", "SendMessage", "MessageBody", "msg",
		"MessageAttribute.1.Name", "Foo", "MessageAttribute.1.Value.DataType", "String", "MessageAttribute.1.Value.StringValue", "Bar"), &sent)
	if sent.MD5OfMessageBody != "6e2baaf3b97dbeef01c0043275f9a0e7" || sent.MD5OfMessageAttributes != "ae7155c6026991b6d54b11589678bf9c" {
		t.Errorf("SendMessage answered %+v", sent)
	}
	var got receiveResult
	s.ok(path, form("Action", "ReceiveMessage", "AttributeName.1", "All", "MessageAttributeName.1", "All"), &got)
	if len(got.Messages) != 1 {
		t.Fatalf("received %+v", got)
	}
	m := got.Messages[0]
	if m.Body != "msg" || m.MessageID != sent.MessageID || m.MD5OfBody != "6e2baaf3b97dbeef01c0043275f9a0e7" ||
		m.MD5OfMessageAttributes != "ae7155c6026991b6d54b11589678bf9c" || m.ReceiptHandle == "" {
		t.Errorf("received %+v", m)
	}
	if len(m.MessageAttributes) != 1 || m.MessageAttributes[0].Name != "Foo" || m.MessageAttributes[0].Value.DataType != "String" ||
		m.MessageAttributes[0].Value.StringValue != "Bar" {
		t.Errorf("message attributes %+v", m.MessageAttributes)
	}
	var names []string
	for _, a := range m.Attributes {
		names = append(names, a.Name)
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId", "SentTimestamp"}, names); diff != "" {
		t.Errorf("system attributes (-recorded +got):\n%s", diff)
	}
	s.ok(path, form("Action", "ChangeMessageVisibility", "ReceiptHandle", m.ReceiptHandle, "VisibilityTimeout", "0"), nil)
	s.ok(path, form("Action", "ReceiveMessage", "AttributeName.1", "SenderId"), &got)
	if len(got.Messages) != 1 || len(got.Messages[0].MessageAttributes) != 0 ||
		!cmp.Equal(attrMap(got.Messages[0].Attributes), map[string]string{"SenderId": "000000000000"}) {
		t.Errorf("single_attribute received %+v", got)
	}
	s.ok(path, form("Action", "DeleteMessage", "ReceiptHandle", got.Messages[0].ReceiptHandle), nil)

	// test_send_message_with_binary_attributes[sqs_query]: a body with
	// characters XML escapes, and a binary attribute.
	bin := []byte("traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01")
	s.ok(path, form("Action", "SendMessage", "MessageBody", "test",
		"MessageAttribute.1.Name", "attr1", "MessageAttribute.1.Value.DataType", "Binary",
		"MessageAttribute.1.Value.BinaryValue", base64.StdEncoding.EncodeToString(bin)), nil)
	s.ok(path, form("Action", "SendMessage", "MessageBody", "<a & \"b\">\r\n\ttab é ✓"), nil)
	s.ok(path, form("Action", "ReceiveMessage", "MaxNumberOfMessages", "10", "MessageAttributeName.1", "All"), &got)
	bodies := map[string]queryMessage{}
	for _, m := range got.Messages {
		bodies[m.Body] = m
	}
	if m, ok := bodies["test"]; !ok || m.MD5OfMessageAttributes != "8cbe4db156db8a94db8b801b7addb984" || len(m.MessageAttributes) != 1 ||
		m.MessageAttributes[0].Value.BinaryValue != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary-attrs-msg received %+v", got.Messages)
	}
	if _, ok := bodies["<a & \"b\">\r\n\ttab é ✓"]; !ok {
		t.Errorf("the escaped body came back as %+v", got.Messages)
	}
}

func TestQueryBatches(t *testing.T) {
	t.Parallel()
	s := startQuery(t)
	var created createQueueResult
	s.ok("/", form("Action", "CreateQueue", "QueueName", "batches.fifo", "Attribute.1.Name", "FifoQueue", "Attribute.1.Value", "true"), &created)
	path := queuePath(t, created.QueueURL)
	var sent batchResult
	s.ok(path, form("Action", "SendMessageBatch",
		"SendMessageBatchRequestEntry.1.Id", "ok", "SendMessageBatchRequestEntry.1.MessageBody", "message-body-1",
		"SendMessageBatchRequestEntry.1.MessageGroupId", "group-1", "SendMessageBatchRequestEntry.1.MessageDeduplicationId", "dedup-1",
		"SendMessageBatchRequestEntry.2.Id", "delayed", "SendMessageBatchRequestEntry.2.MessageBody", "b",
		"SendMessageBatchRequestEntry.2.MessageGroupId", "group-1", "SendMessageBatchRequestEntry.2.MessageDeduplicationId", "dedup-2",
		"SendMessageBatchRequestEntry.2.DelaySeconds", "5"), &sent)
	// test_fifo_message_attributes[sqs_query]: the MD5 of message-body-1.
	if len(sent.Successful) != 1 || sent.Successful[0].ID != "ok" || sent.Successful[0].MD5OfMessageBody != "19c9e282d65f9733bc6b35d50062c7ee" {
		t.Errorf("successful entries %+v", sent.Successful)
	}
	if len(sent.Failed) != 1 || sent.Failed[0].ID != "delayed" || sent.Failed[0].Code != "InvalidParameterValue" || !sent.Failed[0].SenderFault {
		t.Errorf("failed entries %+v", sent.Failed)
	}
	var got receiveResult
	s.ok(path, form("Action", "ReceiveMessage", "AttributeName.1", "All"), &got)
	if len(got.Messages) != 1 {
		t.Fatalf("received %+v", got)
	}
	attrs := attrMap(got.Messages[0].Attributes)
	if attrs["MessageGroupId"] != "group-1" || attrs["MessageDeduplicationId"] != "dedup-1" || attrs["SequenceNumber"] == "" {
		t.Errorf("FIFO attributes %v", attrs)
	}
	var deleted batchResult
	s.ok(path, form("Action", "DeleteMessageBatch",
		"DeleteMessageBatchRequestEntry.1.Id", "a", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", got.Messages[0].ReceiptHandle,
		"DeleteMessageBatchRequestEntry.2.Id", "b", "DeleteMessageBatchRequestEntry.2.ReceiptHandle", "garbage"), &deleted)
	if len(deleted.Deleted) != 1 || deleted.Deleted[0].ID != "a" || len(deleted.Failed) != 1 || deleted.Failed[0].ID != "b" ||
		deleted.Failed[0].Code != "ReceiptHandleIsInvalid" || !deleted.Failed[0].SenderFault {
		t.Errorf("DeleteMessageBatch answered %+v", deleted)
	}
}

// Errors as AWS answers them over query: status, Type, Code, Message and
// an empty Detail (the recorded scenario names each case).
func TestQueryRecordedErrors(t *testing.T) {
	t.Parallel()
	s := startQuery(t)
	var std, fifo createQueueResult
	s.ok("/", form("Action", "CreateQueue", "QueueName", "errors", "Attribute.1.Name", "DelaySeconds", "Attribute.1.Value", "1"), &std)
	s.ok("/", form("Action", "CreateQueue", "QueueName", "errors.fifo", "Attribute.1.Name", "FifoQueue", "Attribute.1.Value", "true"), &fifo)
	stdPath, fifoPath := queuePath(t, std.QueueURL), queuePath(t, fifo.QueueURL)
	entries := func(prefix string, n int, fields ...string) url.Values {
		v := url.Values{}
		for i := 1; i <= n; i++ {
			v.Set(fmt.Sprintf("%s.%d.Id", prefix, i), fmt.Sprintf("e%d", i))
			for j := 0; j+1 < len(fields); j += 2 {
				v.Set(fmt.Sprintf("%s.%d.%s", prefix, i, fields[j]), fields[j+1])
			}
		}
		return v
	}
	with := func(v url.Values, kv ...string) url.Values {
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		recording string
		path      string
		form      url.Values
		want      queryError
	}{
		{"test_create_queue_with_different_attributes_raises_exception", "/",
			form("Action", "CreateQueue", "QueueName", "errors", "Attribute.1.Name", "DelaySeconds", "Attribute.1.Value", "2"),
			queryError{400, "Sender", "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute DelaySeconds", true}},
		{"test_send_oversized_message", stdPath,
			form("Action", "SendMessage", "MessageBody", strings.Repeat("a", 1048577)),
			queryError{400, "Sender", "InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.", true}},
		{"test_send_empty_message", stdPath,
			form("Action", "SendMessage", "MessageBody", ""),
			queryError{400, "Sender", "MissingParameter", "The request must contain the parameter MessageBody.", true}},
		{"test_posting_to_fifo_requires_deduplicationid_group_id", fifoPath,
			form("Action", "SendMessage", "MessageBody", "m", "MessageDeduplicationId", "d"),
			queryError{400, "Sender", "MissingParameter", "The request must contain the parameter MessageGroupId.", true}},
		{"test_too_many_entries_in_batch_request", stdPath,
			with(entries("SendMessageBatchRequestEntry", 20, "MessageBody", "m"), "Action", "SendMessageBatch"),
			queryError{400, "Sender", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent 20.", true}},
		{"test_delete_message_batch_invalid_msg_id[sqs_query-invalid:id]", stdPath,
			form("Action", "DeleteMessageBatch", "DeleteMessageBatchRequestEntry.1.Id", "invalid:id", "DeleteMessageBatchRequestEntry.1.ReceiptHandle", "x"),
			queryError{400, "Sender", "AWS.SimpleQueueService.InvalidBatchEntryId",
				"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.", true}},
		{"test_send_receive_max_number_of_messages", stdPath,
			form("Action", "ReceiveMessage", "MaxNumberOfMessages", "11"),
			queryError{400, "Sender", "InvalidParameterValue", "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", true}},
		{"test_send_receive_wait_time_seconds", stdPath,
			form("Action", "ReceiveMessage", "WaitTimeSeconds", "21"),
			queryError{400, "Sender", "InvalidParameterValue", "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", true}},
		{"test_set_unsupported_attribute_standard", stdPath,
			form("Action", "SetQueueAttributes", "Attribute.1.Name", "FifoQueue", "Attribute.1.Value", "true"),
			queryError{400, "Sender", "InvalidAttributeName", "Unknown Attribute FifoQueue.", true}},
		{"test_non_existent_queue", "/000000000000/nope",
			form("Action", "SendMessage", "MessageBody", "m"),
			queryError{400, "Sender", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist for this wsdl version.", true}},
	}
	for _, tt := range tests {
		t.Run(tt.recording, func(t *testing.T) {
			if got := s.fail(tt.path, tt.form); got != tt.want {
				t.Errorf("answered %+v\nrecorded %+v", got, tt.want)
			}
		})
	}
	t.Run("test_successive_purge_calls_fail", func(t *testing.T) {
		s.ok(stdPath, form("Action", "PurgeQueue"), nil)
		want := queryError{403, "Sender", "AWS.SimpleQueueService.PurgeQueueInProgress", "Only one PurgeQueue operation on errors is allowed every 60 seconds.", true}
		if got := s.fail(stdPath, form("Action", "PurgeQueue")); got != want {
			t.Errorf("answered %+v\nrecorded %+v", got, want)
		}
	})
}

// TestQueryNamesMatchSchemas checks the hand-written query spellings
// (query.go) against the xmlName and xmlFlattened traits of the SDK's
// schemas, for every member of every operation's input and output.
func TestQueryNamesMatchSchemas(t *testing.T) {
	t.Parallel()
	db, err := storage.Open("", storage.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc, err := sqssvc.New(sqssvc.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	spec := svc.Spec()
	if spec.QueryProtocol == nil {
		t.Fatal("the SQS spec does not speak the query protocol")
	}
	roots := map[string]*smithy.Schema{}
	for _, s := range []*smithy.Schema{
		schemas.AddPermissionRequest, schemas.CancelMessageMoveTaskRequest, schemas.CancelMessageMoveTaskResult,
		schemas.ChangeMessageVisibilityBatchRequest, schemas.ChangeMessageVisibilityBatchResult, schemas.ChangeMessageVisibilityRequest,
		schemas.CreateQueueRequest, schemas.CreateQueueResult, schemas.DeleteMessageBatchRequest, schemas.DeleteMessageBatchResult,
		schemas.DeleteMessageRequest, schemas.DeleteQueueRequest, schemas.GetQueueAttributesRequest, schemas.GetQueueAttributesResult,
		schemas.GetQueueUrlRequest, schemas.GetQueueUrlResult, schemas.ListDeadLetterSourceQueuesRequest, schemas.ListDeadLetterSourceQueuesResult,
		schemas.ListMessageMoveTasksRequest, schemas.ListMessageMoveTasksResult, schemas.ListQueuesRequest, schemas.ListQueuesResult,
		schemas.ListQueueTagsRequest, schemas.ListQueueTagsResult, schemas.PurgeQueueRequest, schemas.ReceiveMessageRequest,
		schemas.ReceiveMessageResult, schemas.RemovePermissionRequest, schemas.SendMessageBatchRequest, schemas.SendMessageBatchResult,
		schemas.SendMessageRequest, schemas.SendMessageResult, schemas.SetQueueAttributesRequest, schemas.StartMessageMoveTaskRequest,
		schemas.StartMessageMoveTaskResult, schemas.TagQueueRequest, schemas.UntagQueueRequest,
	} {
		roots[s.ID().Name] = s
	}
	want := map[string]awsproto.QueryMember{}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, s *smithy.Schema)
	walk = func(goType reflect.Type, s *smithy.Schema) {
		for goType.Kind() == reflect.Pointer {
			goType = goType.Elem()
		}
		if goType.Kind() != reflect.Struct || seen[goType] {
			return
		}
		seen[goType] = true
		for i := 0; i < goType.NumField(); i++ {
			f := goType.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			m := s.Member(name)
			if m == nil {
				t.Errorf("%s.%s is not in the SDK's schema", goType.Name(), name)
				continue
			}
			spelled := awsproto.QueryMember{Name: name}
			if x, ok := smithy.SchemaDirectTrait[*smithytraits.XMLName](m); ok {
				spelled.Name = x.Name
			}
			_, spelled.Flat = smithy.SchemaDirectTrait[*smithytraits.XMLFlattened](m)
			elem := f.Type
			switch m.Type() {
			case smithy.ShapeTypeList:
				if x, ok := smithy.SchemaTrait[*smithytraits.XMLName](m.ListMember()); ok && !spelled.Flat {
					spelled.Item = x.Name
				}
				walk(elem.Elem(), m.ListMember())
			case smithy.ShapeTypeMap:
				spelled.Key, spelled.Value = "key", "value"
				if x, ok := smithy.SchemaTrait[*smithytraits.XMLName](m.MapKey()); ok {
					spelled.Key = x.Name
				}
				if x, ok := smithy.SchemaTrait[*smithytraits.XMLName](m.MapValue()); ok {
					spelled.Value = x.Name
				}
				if spelled.Key == "key" && spelled.Value == "value" {
					spelled.Key, spelled.Value = "", ""
				}
				walk(elem.Elem(), m.MapValue())
			case smithy.ShapeTypeStructure:
				walk(elem, m)
			}
			if spelled != (awsproto.QueryMember{Name: name}) {
				want[goType.Name()+"."+name] = spelled
			}
		}
	}
	svcType := reflect.TypeOf(svc)
	for _, op := range spec.Operations {
		in := reflect.TypeOf(op.NewInput()).Elem()
		if s := roots[in.Name()]; s != nil {
			walk(in, s)
		} else if in.NumField() > 0 {
			t.Errorf("%s: no schema for %s", op.Name, in.Name())
		}
		method, ok := svcType.MethodByName(op.Name)
		if !ok {
			t.Fatalf("Service has no method %s", op.Name)
		}
		if out := method.Type.Out(0); out.Kind() == reflect.Pointer {
			if s := roots[out.Elem().Name()]; s != nil {
				walk(out, s)
			} else {
				t.Errorf("%s: no schema for %s", op.Name, out.Elem().Name())
			}
		}
	}
	if diff := cmp.Diff(want, spec.QueryProtocol.Members); diff != "" {
		t.Errorf("query spellings (-schemas +query.go):\n%s", diff)
	}
}
