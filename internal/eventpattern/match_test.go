package eventpattern

import (
	"encoding/json"
	"testing"
)

// matchCase is a pattern with events it must and must not match. Most come
// from the examples of the EventBridge, Lambda and SNS documentation
// (eb-event-patterns, eb-create-pattern-operators, invocation-eventfiltering,
// the SNS *-value-matching pages) and the Event Ruler README.
type matchCase struct {
	name    string
	pattern string
	match   []string
	noMatch []string
}

const ec2Event = `{
  "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
}`

var matchCases = []matchCase{
	{
		name:    "ec2 termination",
		pattern: `{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}}`,
		match:   []string{ec2Event},
		noMatch: []string{
			`{"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {"state": "running"}}`,
			`{"source": "aws.ec2", "detail": {"state": "terminated"}}`,
			`{"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "state": "terminated"}`,
		},
	},
	{
		name:    "alternatives",
		pattern: `{"source": ["aws.ec2", "aws.fargate"]}`,
		match:   []string{`{"source": "aws.fargate"}`, ec2Event},
		noMatch: []string{`{"source": "aws.s3"}`, `{}`},
	},
	{
		name:    "numbers and nesting",
		pattern: `{"source": ["aws.macie"], "detail": {"risk-score": [80], "trigger": {"risk": [8]}}}`,
		match:   []string{`{"source": "aws.macie", "detail": {"risk-score": 80, "trigger": {"alert-type": "basic", "risk": 8}}}`},
		noMatch: []string{
			`{"source": "aws.macie", "detail": {"risk-score": 80, "trigger": {"risk": 9}}}`,
			`{"source": "aws.macie", "detail": {"risk-score": "80", "trigger": {"risk": 8}}}`,
		},
	},
	{
		name:    "numbers compare by value",
		pattern: `{"n": [300]}`,
		match:   []string{`{"n": 300}`, `{"n": 300.0}`, `{"n": 3.0e2}`, `{"n": 300.0000001}`},
		noMatch: []string{`{"n": "300"}`, `{"n": 301}`, `{"n": 300.000001}`},
	},
	{
		name:    "numbers AWS cannot compare match by text",
		pattern: `{"account": [123456789012]}`,
		match:   []string{`{"account": 123456789012}`},
		noMatch: []string{`{"account": 123456789013}`, `{"account": "123456789012"}`},
	},
	{
		name:    "null",
		pattern: `{"detail": {"responseElements": [null]}}`,
		match:   []string{`{"detail": {"eventVersion": "", "responseElements": null}}`},
		noMatch: []string{`{"detail": {"responseElements": ""}}`, `{"detail": {}}`, `{"detail": {"responseElements": "null"}}`},
	},
	{
		name:    "empty string",
		pattern: `{"detail": {"eventVersion": [""]}}`,
		match:   []string{`{"detail": {"eventVersion": "", "responseElements": null}}`},
		noMatch: []string{`{"detail": {"eventVersion": null}}`, `{"detail": {}}`},
	},
	{
		name:    "booleans",
		pattern: `{"dynamodb": {"NewImage": {"id": {"BOOL": [true]}}}}`,
		match:   []string{`{"dynamodb": {"NewImage": {"id": {"BOOL": true}}}}`},
		noMatch: []string{`{"dynamodb": {"NewImage": {"id": {"BOOL": false}}}}`, `{"dynamodb": {"NewImage": {"id": {"BOOL": "true"}}}}`},
	},
	{
		name: "event arrays intersect",
		pattern: `{"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
			"arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f"]}`,
		match: []string{`{"resources": [
			"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate",
			"arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`},
		noMatch: []string{`{"resources": []}`, `{"resources": ["arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`},
	},
	{
		name:    "objects in event arrays match element by element",
		pattern: `{"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}`,
		match: []string{
			`{"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}`,
			`{"employees": [[{"firstName": "John", "lastName": "Doe"}], [{"firstName": "Anna", "lastName": "Smith"}]]}`,
		},
		noMatch: []string{`{"employees": [{"firstName": "Anna", "lastName": "Doe"}, {"firstName": "Peter", "lastName": "Smith"}]}`},
	},
	{
		name:    "lambda kinesis metadata and data",
		pattern: `{"partitionKey": ["1"], "data": {"Location": ["Los Angeles"]}}`,
		match:   []string{`{"partitionKey": "1", "sequenceNumber": "4959", "data": {"Location": "Los Angeles", "Temperature": 46}}`},
		noMatch: []string{`{"partitionKey": "2", "data": {"Location": "Los Angeles"}}`, `{"partitionKey": "1", "data": "Los Angeles"}`},
	},
	{
		name:    "lambda dynamodb keys",
		pattern: `{"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}`,
		match:   []string{`{"dynamodb": {"Keys": {"Id": {"N": "101"}}, "SequenceNumber": "111", "SizeBytes": 26}}`},
		noMatch: []string{`{"dynamodb": {"Keys": {"Id": {"N": "102"}}}}`, `{"dynamodb": {"Keys": {"Id": {"N": 101}}}}`},
	},
	{
		name:    "prefix",
		pattern: `{"time": [{"prefix": "2017-10-02"}]}`,
		match:   []string{`{"time": "2017-10-02T18:43:48Z"}`, `{"time": "2017-10-02"}`},
		noMatch: []string{`{"time": "2017-10-03T18:43:48Z"}`, `{"time": "2017-10-0"}`, `{"time": 2017}`},
	},
	{
		name:    "prefix ignoring case",
		pattern: `{"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}`,
		match:   []string{`{"detail": {"service": "EventBridge"}}`, `{"detail": {"service": "EVENTB"}}`, `{"detail": {"service": "eventbus"}}`},
		noMatch: []string{`{"detail": {"service": "Event"}}`, `{"detail": {"service": "xeventb"}}`},
	},
	{
		name:    "suffix",
		pattern: `{"FileName": [{"suffix": ".png"}]}`,
		match:   []string{`{"FileName": "image.png"}`, `{"FileName": ".png"}`},
		noMatch: []string{`{"FileName": "image.PNG"}`, `{"FileName": "image.png.jpg"}`},
	},
	{
		name:    "suffix ignoring case",
		pattern: `{"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}`,
		match:   []string{`{"detail": {"FileName": "image.PNG"}}`, `{"detail": {"FileName": "a.Png"}}`},
		noMatch: []string{`{"detail": {"FileName": "image.jpg"}}`, `{"detail": {"FileName": "png"}}`},
	},
	{
		name:    "equals-ignore-case",
		pattern: `{"Name": [{"equals-ignore-case": "alice"}]}`,
		match:   []string{`{"Name": "Alice"}`, `{"Name": "ALICE"}`},
		noMatch: []string{`{"Name": "Alicia"}`, `{"Name": "alic"}`},
	},
	{
		name:    "wildcard",
		pattern: `{"source": [{"wildcard": "Simple*Service"}]}`,
		match:   []string{`{"source": "SimpleQueueService"}`, `{"source": "SimpleService"}`},
		noMatch: []string{`{"source": "SimpleQueueServices"}`, `{"source": "AmazonSimpleService"}`},
	},
	{
		name:    "wildcards around",
		pattern: `{"title": [{"wildcard": "*Title*"}], "file": [{"wildcard": "dir/*/*.png"}]}`,
		match:   []string{`{"title": "Title", "file": "dir/a/b.png"}`, `{"title": "My Title Here", "file": "dir//.png"}`},
		noMatch: []string{`{"title": "title", "file": "dir/a/b.png"}`, `{"title": "Title", "file": "dir/a.png"}`},
	},
	{
		name:    "wildcard escapes",
		pattern: `{"k": [{"wildcard": "a\\*b\\\\*"}]}`,
		match:   []string{`{"k": "a*b\\"}`, `{"k": "a*b\\cd"}`},
		noMatch: []string{`{"k": "axb\\"}`, `{"k": "a*b"}`},
	},
	{
		name:    "anything-but string",
		pattern: `{"detail": {"state": [{"anything-but": "initializing"}]}}`,
		match:   []string{`{"detail": {"state": "running"}}`, `{"detail": {"state": 5}}`, `{"detail": {"state": null}}`},
		noMatch: []string{`{"detail": {"state": "initializing"}}`, `{"detail": {}}`},
	},
	{
		name:    "anything-but number",
		pattern: `{"detail": {"x-limit": [{"anything-but": 123}]}}`,
		match:   []string{`{"detail": {"x-limit": 124}}`, `{"detail": {"x-limit": "123"}}`},
		noMatch: []string{`{"detail": {"x-limit": 123}}`, `{"detail": {"x-limit": 1.23e2}}`},
	},
	{
		name:    "anything-but strings",
		pattern: `{"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}`,
		match:   []string{`{"detail": {"state": "running"}}`, `{"detail": {"state": ["stopped", "running"]}}`},
		noMatch: []string{`{"detail": {"state": "stopped"}}`, `{"detail": {"state": ["overloaded", "stopped"]}}`},
	},
	{
		name:    "anything-but numbers",
		pattern: `{"price": [{"anything-but": [100, 500]}]}`,
		match:   []string{`{"price": 101}`, `{"price": 100.1}`, `{"price": [100, 50]}`},
		noMatch: []string{`{"price": 100}`, `{"price": [500, 100]}`},
	},
	{
		name:    "anything-but prefix",
		pattern: `{"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}`,
		match:   []string{`{"detail": {"state": "running"}}`, `{"detail": {"state": "Initializing"}}`},
		noMatch: []string{`{"detail": {"state": "initializing"}}`, `{"detail": {"state": "init"}}`},
	},
	{
		name:    "anything-but suffix",
		pattern: `{"FileName": [{"anything-but": {"suffix": ".png"}}]}`,
		match:   []string{`{"FileName": "a.jpg"}`},
		noMatch: []string{`{"FileName": "a.png"}`},
	},
	{
		name:    "anything-but ignoring case",
		pattern: `{"state": [{"anything-but": {"equals-ignore-case": ["initializing", "stopped"]}}]}`,
		match:   []string{`{"state": "running"}`},
		noMatch: []string{`{"state": "INITIALIZING"}`, `{"state": "Stopped"}`},
	},
	{
		name:    "anything-but wildcard",
		pattern: `{"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}`,
		match:   []string{`{"FilePath": "/usr/bin/app.jar"}`},
		noMatch: []string{`{"FilePath": "/usr/lib/app.jar"}`},
	},
	{
		name: "numeric",
		pattern: `{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}],
			"x-limit": [{"numeric": ["=", 3.018e2]}]}}`,
		match: []string{
			`{"detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8}}`,
			`{"detail": {"c-count": 0.000001, "d-count": -5e9, "x-limit": 301.80}}`,
		},
		noMatch: []string{
			`{"detail": {"c-count": 0, "d-count": 3, "x-limit": 301.8}}`,
			`{"detail": {"c-count": 5.000001, "d-count": 3, "x-limit": 301.8}}`,
			`{"detail": {"c-count": 5, "d-count": 10, "x-limit": 301.8}}`,
			`{"detail": {"c-count": "5", "d-count": 3, "x-limit": 301.8}}`,
		},
	},
	{
		name:    "numeric equals",
		pattern: `{"price_usd": [{"numeric": ["=", 301.5]}]}`,
		match:   []string{`{"price_usd": 301.5}`, `{"price_usd": 3.015e2}`},
		noMatch: []string{`{"price_usd": 301.50001}`},
	},
	{
		name:    "numeric bounds",
		pattern: `{"a": [{"numeric": [">=", -5e9, "<", 5e9]}], "b": [{"numeric": [">", 0]}]}`,
		match:   []string{`{"a": -5000000000, "b": 5000000000}`},
		noMatch: []string{`{"a": 5e9, "b": 1}`, `{"a": 0, "b": 5000000001}`, `{"a": -5000000001, "b": 1}`},
	},
	{
		name:    "lambda temperature range",
		pattern: `{"data": {"Temperature": [{"numeric": [">", 50, "<=", 60]}]}}`,
		match:   []string{`{"data": {"Temperature": 60}}`, `{"data": {"Temperature": 50.5}}`},
		noMatch: []string{`{"data": {"Temperature": 50}}`, `{"data": {"Temperature": "55"}}`},
	},
	{
		name:    "cidr",
		pattern: `{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}`,
		match:   []string{`{"detail": {"sourceIPAddress": "10.0.0.0"}}`, `{"detail": {"sourceIPAddress": "10.0.0.255"}}`},
		noMatch: []string{`{"detail": {"sourceIPAddress": "10.0.1.0"}}`, `{"detail": {"sourceIPAddress": "::1"}}`, `{"detail": {"sourceIPAddress": "host"}}`},
	},
	{
		name:    "cidr masks host bits",
		pattern: `{"ip": [{"cidr": "10.0.0.5/24"}]}`,
		match:   []string{`{"ip": "10.0.0.1"}`},
	},
	{
		name:    "cidr ipv6",
		pattern: `{"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}`,
		match:   []string{`{"ip": "2001:db8:1234:1a00::5"}`, `{"ip": "2001:0DB8:1234:1A00:ffff:ffff:ffff:ffff"}`},
		noMatch: []string{`{"ip": "2001:db8:1234:1b00::1"}`, `{"ip": "10.0.0.1"}`},
	},
	{
		name:    "ip addresses compare as addresses",
		pattern: `{"ip": ["2001:db8::1", "10.0.0.1"]}`,
		match:   []string{`{"ip": "2001:0db8:0:0::1"}`, `{"ip": "010.0.0.001"}`},
		noMatch: []string{`{"ip": "2001:db8::2"}`},
	},
	{
		name:    "exists false",
		pattern: `{"detail": {"c-count": [{"exists": false}]}}`,
		match: []string{
			`{"detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["initializing", "running"]}}`,
			`{"detail": {"state": "running", "c-count": {"c1": 100}}}`,
			`{"detail": {"c-count": []}}`,
			`{}`,
		},
		noMatch: []string{`{"detail": {"c-count": 5}}`, `{"detail": {"c-count": null}}`},
	},
	{
		name:    "exists true",
		pattern: `{"detail": {"c-count": [{"exists": true}]}}`,
		match:   []string{`{"detail": {"c-count": 5}}`, `{"detail": {"c-count": null}}`, `{"detail": {"c-count": [""]}}`},
		noMatch: []string{`{"detail": {"c-count": {"c1": 100}}}`, `{"detail": {}}`, `{"detail": {"c-count": []}}`},
	},
	{
		name:    "exists false in arrays of objects",
		pattern: `{"a": {"b": [{"exists": false}]}}`,
		match:   []string{`{"a": [1, 2]}`, `{"a": 5}`},
		noMatch: []string{`{"a": [{"b": 1}]}`},
	},
	{
		name: "or",
		pattern: `{"source": ["aws.cloudwatch"], "$or": [
			{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}`,
		match: []string{`{"source": "aws.cloudwatch", "metricName": "ReadLatency"}`, `{"source": "aws.cloudwatch", "namespace": "AWS/ES"}`},
		noMatch: []string{
			`{"source": "aws.cloudwatch", "metricName": "DiskUsage", "namespace": "AWS/S3"}`,
			`{"source": "aws.ec2", "metricName": "ReadLatency"}`,
		},
	},
	{
		name: "parallel or",
		pattern: `{"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
			"detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}}`,
		match:   []string{`{"namespace": "AWS/EC2", "detail": {"detail-type": "CloudWatch Alarm State Change"}}`},
		noMatch: []string{`{"namespace": "AWS/EC2", "detail": {"source": "aws.ec2"}}`},
	},
	{
		name: "nested or and and",
		pattern: `{"source": ["aws.cloudwatch"], "$or": [
			{"metricName": ["CPUUtilization", "ReadLatency"]},
			{"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]},
			{"scope": ["Service"]}]}`,
		match: []string{
			`{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1000}`,
			`{"source": "aws.cloudwatch", "scope": "Service"}`,
		},
		noMatch: []string{`{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2", "spaceId": 1001}`},
	},
	{
		name:    "$or that is not an operator is a key",
		pattern: `{"source": ["aws.cloudwatch"], "$or": {"metricType": ["MetricType"]}}`,
		match:   []string{`{"source": "aws.cloudwatch", "$or": {"metricType": "MetricType"}}`},
		noMatch: []string{`{"source": "aws.cloudwatch", "metricType": "MetricType"}`},
	},
	{
		name:    "$or with operator names is a key",
		pattern: `{"$or": [{"numeric": [">", 1]}, {"prefix": "abc"}]}`,
		match:   []string{`{"$or": "abcd"}`, `{"$or": 2}`},
		noMatch: []string{`{"$or": 1}`},
	},
	{
		name:    "operators combine in one list",
		pattern: `{"x": ["exact", {"prefix": "pre"}, {"numeric": [">", 10]}, {"exists": false}]}`,
		match:   []string{`{"x": "exact"}`, `{"x": "prefix"}`, `{"x": 11}`, `{"y": 1}`},
		noMatch: []string{`{"x": "other"}`, `{"x": 10}`},
	},
	{
		name:    "a repeated key replaces its list",
		pattern: `{"a": ["x"], "a": ["y"]}`,
		match:   []string{`{"a": "y"}`},
		noMatch: []string{`{"a": "x"}`},
	},
}

func TestMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range matchCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := mustCompile(t, tc.pattern)
			for _, event := range tc.match {
				assertMatch(t, p, event, true)
			}
			for _, event := range tc.noMatch {
				assertMatch(t, p, event, false)
			}
		})
	}
}

// assertMatch checks Match and MatchValue on the event decoded with float64
// numbers, which must agree.
func assertMatch(t *testing.T, p *Pattern, event string, want bool) {
	t.Helper()
	got, err := p.Match([]byte(event))
	if err != nil {
		t.Fatalf("Match(%s): %v", event, err)
	}
	if got != want {
		t.Errorf("Match(%s) = %v, want %v", event, got, want)
	}
	var v any
	if err := json.Unmarshal([]byte(event), &v); err != nil {
		t.Fatalf("decoding %s: %v", event, err)
	}
	if got := p.MatchValue(v); got != want {
		t.Errorf("MatchValue(%s) with float64 numbers = %v, want %v", event, got, want)
	}
}

func mustCompile(t *testing.T, pattern string) *Pattern {
	t.Helper()
	p, err := Compile([]byte(pattern))
	if err != nil {
		t.Fatalf("Compile(%s): %v", pattern, err)
	}
	return p
}

func TestMatchRejectsInvalidEvents(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"a": [{"exists": false}]}`)
	for _, event := range []string{``, `{`, `{"a": 1} x`, `{} {}`, `nope`} {
		if _, err := p.Match([]byte(event)); err == nil {
			t.Errorf("Match(%q) succeeded, want an error", event)
		}
	}
}

func TestMatchValueTypes(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, `{"n": [{"numeric": [">", 1, "<", 3]}], "s": ["x"]}`)
	for _, n := range []any{2, int64(2), uint8(2), float32(2.5), 2.5, json.Number("2e0")} {
		if !p.MatchValue(map[string]any{"n": n, "s": "x"}) {
			t.Errorf("MatchValue with n = %T(%v) did not match", n, n)
		}
	}
	if p.MatchValue(map[string]any{"n": 2, "s": []string{"x"}}) {
		t.Error("MatchValue matched an unsupported []string value")
	}
}
