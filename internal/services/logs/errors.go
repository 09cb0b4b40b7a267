package logs

import (
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awserr"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
)

// The errors CloudWatch Logs answers, in AWS's words (see
// aws-recorded/logs). Messages marked "unrecorded" are our best reading of
// AWS's behaviour, not a recording.

func errGroupNotFound() *awserr.Error {
	return ErrResourceNotFoundException("The specified log group does not exist.")
}

func errStreamNotFound() *awserr.Error {
	return ErrResourceNotFoundException("The specified log stream does not exist.")
}

func errGroupExists() *awserr.Error {
	return ErrResourceAlreadyExistsException("The specified log group already exists")
}

func errStreamExists() *awserr.Error {
	return ErrResourceAlreadyExistsException("The specified log stream already exists")
}

func errBadToken() *awserr.Error {
	return ErrInvalidParameterException("The specified nextToken is invalid.")
}

func errNameAndIdentifier() *awserr.Error {
	return ErrValidationException("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
}

// errNoGroupGiven is unrecorded.
func errNoGroupGiven() *awserr.Error {
	return ErrInvalidParameterException("Either logGroupName or logGroupIdentifier must be specified.")
}

// groupOf returns the log group a request names with logGroupName or
// logGroupIdentifier (a name or an ARN, with or without ":*"). A group ARN
// of another account or region names a group the caller cannot see.
func groupOf(info *awsproto.RequestInfo, name, identifier *string) (string, error) {
	switch {
	case name != nil && identifier != nil:
		return "", errNameAndIdentifier()
	case name != nil:
		return *name, nil
	case identifier == nil:
		return "", errNoGroupGiven()
	}
	id := *identifier
	if !strings.HasPrefix(id, "arn:") {
		return id, nil
	}
	region, account, group, ok := parseGroupARN(id)
	if !ok || region != info.Region || account != info.Account {
		return "", errGroupNotFound()
	}
	return group, nil
}

// partition returns the ARN partition of region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// groupARN is a log group's ARN without the trailing ":*" (AWS's
// logGroupArn).
//
// TODO(arn): move to internal/arn (arn.LogGroup) once it exists.
func groupARN(region, account, group string) string {
	return "arn:" + partition(region) + ":logs:" + region + ":" + account + ":log-group:" + group
}

// streamARN is a log stream's ARN.
func streamARN(region, account, group, stream string) string {
	return groupARN(region, account, group) + ":log-stream:" + stream
}

// parseGroupARN splits "arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]".
func parseGroupARN(arn string) (region, account, group string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "logs" || !strings.HasPrefix(parts[5], "log-group:") {
		return "", "", "", false
	}
	group = strings.TrimSuffix(strings.TrimPrefix(parts[5], "log-group:"), ":*")
	if group == "" || strings.Contains(group, ":") {
		return "", "", "", false
	}
	return parts[3], parts[4], group, true
}
