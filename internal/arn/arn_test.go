package arn

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    ARN
		wantErr bool
	}{
		{name: "lambda", in: "arn:aws:lambda:us-east-1:123456789012:function:fn",
			want: ARN{"aws", "lambda", "us-east-1", "123456789012", "function:fn"}},
		{name: "resource with colons", in: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/fn:*",
			want: ARN{"aws", "logs", "eu-west-1", "123456789012", "log-group:/aws/lambda/fn:*"}},
		{name: "global, no region or account", in: "arn:aws:s3:::bucket/key",
			want: ARN{"aws", "s3", "", "", "bucket/key"}},
		{name: "other partition", in: "arn:aws-cn:sqs:cn-north-1:123456789012:q",
			want: ARN{"aws-cn", "sqs", "cn-north-1", "123456789012", "q"}},
		{name: "empty", in: "", wantErr: true},
		{name: "too few sections", in: "arn:aws:sqs:us-east-1:123456789012", wantErr: true},
		{name: "wrong prefix", in: "urn:aws:sqs:us-east-1:123456789012:q", wantErr: true},
		{name: "empty partition", in: "arn::sqs:us-east-1:123456789012:q", wantErr: true},
		{name: "empty service", in: "arn:aws::us-east-1:123456789012:q", wantErr: true},
		{name: "empty resource", in: "arn:aws:sqs:us-east-1:123456789012:", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Parse(%q) error = %v, want ErrInvalid", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("String() = %q, want %q", s, tt.in)
			}
		})
	}
}

func TestBuilders(t *testing.T) {
	t.Parallel()
	const r, a = "us-east-1", "123456789012"
	tests := []struct {
		name, got, want string
	}{
		{"Lambda", Lambda(r, a, "fn"), "arn:aws:lambda:us-east-1:123456789012:function:fn"},
		{"LambdaQualified", LambdaQualified(r, a, "fn", "$LATEST"), "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST"},
		{"LogGroup", LogGroup(r, a, "/aws/lambda/fn"), "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn"},
		{"LogGroupWildcard", LogGroupWildcard(r, a, "/aws/lambda/fn"), "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*"},
		{"LogStream", LogStream(r, a, "g", "2024/01/02/[$LATEST]abc"),
			"arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:2024/01/02/[$LATEST]abc"},
		{"SQSQueue", SQSQueue(r, a, "q.fifo"), "arn:aws:sqs:us-east-1:123456789012:q.fifo"},
		{"SNSTopic", SNSTopic(r, a, "t"), "arn:aws:sns:us-east-1:123456789012:t"},
		{"China partition", SQSQueue("cn-north-1", a, "q"), "arn:aws-cn:sqs:cn-north-1:123456789012:q"},
		{"GovCloud partition", SNSTopic("us-gov-west-1", a, "t"), "arn:aws-us-gov:sns:us-gov-west-1:123456789012:t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
			if _, err := Parse(tt.got); err != nil {
				t.Errorf("Parse(%q): %v", tt.got, err)
			}
		})
	}
}

func TestPartitionFor(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"us-east-1": "aws", "eu-central-1": "aws", "local": "aws", "": "aws",
		"cn-northwest-1": "aws-cn", "us-gov-east-1": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b",
	}
	for region, want := range tests {
		if got := PartitionFor(region); got != want {
			t.Errorf("PartitionFor(%q) = %q, want %q", region, got, want)
		}
	}
}
