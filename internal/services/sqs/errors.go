package sqs

import (
	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// queryCodes are the codes the query protocol (and, in x-amzn-query-error,
// the JSON one) uses where they differ from the model's error names, as the
// SDKs' schemas state them (awsQueryError traits).
var queryCodes = map[string]string{
	"BatchEntryIdsNotDistinct":     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
	"BatchRequestTooLong":          "AWS.SimpleQueueService.BatchRequestTooLong",
	"EmptyBatchRequest":            "AWS.SimpleQueueService.EmptyBatchRequest",
	"InvalidBatchEntryId":          "AWS.SimpleQueueService.InvalidBatchEntryId",
	"KmsAccessDenied":              "KMS.AccessDeniedException",
	"KmsDisabled":                  "KMS.DisabledException",
	"KmsInvalidKeyUsage":           "KMS.InvalidKeyUsageException",
	"KmsInvalidState":              "KMS.InvalidStateException",
	"KmsNotFound":                  "KMS.NotFoundException",
	"KmsOptInRequired":             "KMS.OptInRequired",
	"KmsThrottled":                 "KMS.ThrottlingException",
	"MessageNotInflight":           "AWS.SimpleQueueService.MessageNotInflight",
	"PurgeQueueInProgress":         "AWS.SimpleQueueService.PurgeQueueInProgress",
	"QueueDeletedRecently":         "AWS.SimpleQueueService.QueueDeletedRecently",
	"QueueDoesNotExist":            "AWS.SimpleQueueService.NonExistentQueue",
	"QueueNameExists":              "QueueAlreadyExists",
	"TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
	"UnsupportedOperation":         "AWS.SimpleQueueService.UnsupportedOperation",
}

// withQueryCode sets e's query code from queryCodes.
func withQueryCode(e *awserr.Error) *awserr.Error {
	e.QueryCode = queryCodes[e.Code]
	return e
}

func errQueueDoesNotExist() *awserr.Error {
	return withQueryCode(ErrQueueDoesNotExist("The specified queue does not exist."))
}

// errInvalidParameterValue is the unmodelled error SQS answers for most
// bad input: InvalidParameterValueException in JSON, whose query code (the
// one the SDKs surface) is InvalidParameterValue.
func errInvalidParameterValue(format string, args ...any) *awserr.Error {
	e := awserr.New(400, "InvalidParameterValueException", format, args...)
	e.QueryCode = "InvalidParameterValue"
	return e
}

func errMissingParameter(name string) *awserr.Error {
	e := awserr.New(400, "MissingRequiredParameterException", "The request must contain the parameter %s.", name)
	e.QueryCode = "MissingParameter"
	return e
}

func errInvalidAttributeName(name string) *awserr.Error {
	return ErrInvalidAttributeName("Unknown Attribute %s.", name)
}

// errInvalidAttributeValue says why a queue attribute's value is refused;
// reason "" gives AWS's generic wording.
func errInvalidAttributeValue(name, reason string) *awserr.Error {
	if reason == "" {
		return ErrInvalidAttributeValue("Invalid value for the parameter %s.", name)
	}
	return ErrInvalidAttributeValue("Invalid value for the parameter %s. Reason: %s", name, reason)
}

func errReceiptHandleIsInvalid(handle string) *awserr.Error {
	e := ErrReceiptHandleIsInvalid("The input receipt handle \"%s\" is not a valid receipt handle.", handle)
	e.Status = 404 // the model's status; the generator reads 400
	return e
}

func errPurgeInProgress(name string) *awserr.Error {
	e := withQueryCode(ErrPurgeQueueInProgress("Only one PurgeQueue operation on %s is allowed every 60 seconds.", name))
	e.Status = 403
	return e
}

func errEmptyBatch(op string) *awserr.Error {
	return withQueryCode(ErrEmptyBatchRequest("There should be at least one %sRequestEntry in the request.", op))
}

func errTooManyEntries(n int) *awserr.Error {
	return withQueryCode(ErrTooManyEntriesInBatchRequest("Maximum number of entries per request are 10. You have sent %d.", n))
}
