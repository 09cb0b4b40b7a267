package dynamodb

import "github.com/nimbus-dev/nimbus/internal/awserr"

// DynamoDB's errors carry namespaces in __type: its own for modelled
// errors, Coral's for validation (the SDKs strip them).
const (
	nsDynamoDB   = "com.amazonaws.dynamodb.v20120810#"
	nsValidation = "com.amazon.coral.validate#"
)

func errValidation(format string, args ...any) *awserr.Error {
	return awserr.New(400, nsValidation+"ValidationException", format, args...)
}

func errResourceNotFound(format string, args ...any) *awserr.Error {
	return awserr.New(400, nsDynamoDB+"ResourceNotFoundException", format, args...)
}

func errResourceInUse(format string, args ...any) *awserr.Error {
	return awserr.New(400, nsDynamoDB+"ResourceInUseException", format, args...)
}

func errTableNotFound(name string) *awserr.Error {
	return errResourceNotFound("Requested resource not found: Table: %s not found", name)
}

// errUnsupported refuses, by name, a parameter Nimbus does not act on yet:
// ignoring it (say, Expected) would change what the request means.
func errUnsupported(param string) *awserr.Error {
	return errValidation("Nimbus does not support %s yet", param)
}

func awserrLimit() *awserr.Error {
	return awserr.New(400, nsDynamoDB+"LimitExceededException", "The number of tags exceeds the limit of %d", maxTags)
}
