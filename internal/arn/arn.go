// Package arn parses and builds Amazon Resource Names.
//
// An ARN reads arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE; the resource
// may itself contain colons and slashes. The builders derive the partition
// from the region (PartitionFor), so "cn-north-1" yields "aws-cn".
package arn

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by the errors of Parse.
var ErrInvalid = errors.New("arn: invalid ARN")

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	// Partition is "aws", "aws-cn", "aws-us-gov", ...
	Partition string
	// Service is the service namespace, such as "lambda" or "logs".
	Service string
	// Region is empty for global resources.
	Region string
	// Account is the 12-digit account ID; empty for some resources.
	Account string
	// Resource is everything after the fifth colon, such as
	// "function:my-fn" or "log-group:/aws/lambda/x:*".
	Resource string
}

// Parse splits s into its sections. It requires the "arn" prefix, all six
// sections, and non-empty partition, service and resource; region and
// account may be empty.
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, fmt.Errorf("%w %q: want arn:partition:service:region:account:resource", ErrInvalid, s)
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}
	switch {
	case a.Partition == "":
		return ARN{}, fmt.Errorf("%w %q: empty partition", ErrInvalid, s)
	case a.Service == "":
		return ARN{}, fmt.Errorf("%w %q: empty service", ErrInvalid, s)
	case a.Resource == "":
		return ARN{}, fmt.Errorf("%w %q: empty resource", ErrInvalid, s)
	}
	return a, nil
}

// String returns the ARN in its textual form.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// PartitionFor returns the partition of region: "aws-cn" for cn-*,
// "aws-us-gov" for us-gov-*, the ISO partitions for their prefixes, and
// "aws" otherwise (including for made-up local region names).
func PartitionFor(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"},
		{"us-gov-", "aws-us-gov"},
		{"us-isob-", "aws-iso-b"},
		{"us-isof-", "aws-iso-f"},
		{"us-iso-", "aws-iso"},
		{"eu-isoe-", "aws-iso-e"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// build returns the ARN of resource in service, region and account.
func build(service, region, account, resource string) string {
	return ARN{Partition: PartitionFor(region), Service: service, Region: region, Account: account, Resource: resource}.String()
}

// Lambda returns the unqualified ARN of a Lambda function:
// arn:aws:lambda:REGION:ACCOUNT:function:NAME.
func Lambda(region, account, function string) string {
	return build("lambda", region, account, "function:"+function)
}

// LambdaQualified returns the ARN of a version or alias of a Lambda
// function: arn:aws:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER.
func LambdaQualified(region, account, function, qualifier string) string {
	return Lambda(region, account, function) + ":" + qualifier
}

// LogGroup returns the ARN of a CloudWatch Logs log group:
// arn:aws:logs:REGION:ACCOUNT:log-group:NAME.
func LogGroup(region, account, group string) string {
	return build("logs", region, account, "log-group:"+group)
}

// LogGroupWildcard returns LogGroup with ":*" appended, the form of the
// arn member of DescribeLogGroups.
func LogGroupWildcard(region, account, group string) string {
	return LogGroup(region, account, group) + ":*"
}

// LogStream returns the ARN of a log stream:
// arn:aws:logs:REGION:ACCOUNT:log-group:GROUP:log-stream:STREAM.
func LogStream(region, account, group, stream string) string {
	return LogGroup(region, account, group) + ":log-stream:" + stream
}

// SQSQueue returns the ARN of an SQS queue: arn:aws:sqs:REGION:ACCOUNT:NAME.
func SQSQueue(region, account, queue string) string {
	return build("sqs", region, account, queue)
}

// SNSTopic returns the ARN of an SNS topic: arn:aws:sns:REGION:ACCOUNT:NAME.
func SNSTopic(region, account, topic string) string {
	return build("sns", region, account, topic)
}

// Queue returns the ARN of an SQS queue: arn:aws:sqs:REGION:ACCOUNT:NAME.
func Queue(region, account, name string) string {
	return build("sqs", region, account, name)
}
