package sqs

import "github.com/nimbus-dev/nimbus/internal/awsproto"

// queryProtocol is how SQS's query-protocol clients spell the members whose
// query names differ from their JSON names: SDKs released before SQS moved
// to awsJson1.0 (aws-sdk-go-v2/service/sqs up to v1.24, boto3 up to 1.28,
// the AWS CLI up to 2.13) post forms such as
// Action=SendMessage&MessageAttribute.1.Name=…&MessageAttribute.1.Value.StringValue=…
// and read XML answers. Every list and map of SQS is flattened
// (Attribute.1.Name, QueueUrl repeated). The names are the xmlName and
// xmlFlattened traits the SDK's schemas keep; TestQueryNamesMatchSchemas
// checks this table against them. The spec (zz_operations.go) calls it
// once per Service.
func queryProtocol() *awsproto.QueryProtocol {
	attrs := awsproto.QueryMember{Name: "Attribute", Flat: true, Key: "Name", Value: "Value"}
	tags := awsproto.QueryMember{Name: "Tag", Flat: true, Key: "Key", Value: "Value"}
	messageAttrs := awsproto.QueryMember{Name: "MessageAttribute", Flat: true, Key: "Name", Value: "Value"}
	systemAttrs := awsproto.QueryMember{Name: "MessageSystemAttribute", Flat: true, Key: "Name", Value: "Value"}
	flat := func(name string) awsproto.QueryMember { return awsproto.QueryMember{Name: name, Flat: true} }
	return &awsproto.QueryProtocol{
		XMLNamespace: "http://queue.amazonaws.com/doc/2012-11-05/",
		// Older clients post to the queue URL and may leave QueueUrl out.
		PathMember: "QueueUrl",
		// As AWS words it over query (test_non_existent_queue in the
		// recordings); over JSON it is "The specified queue does not exist."
		ErrorMessages: map[string]string{
			"AWS.SimpleQueueService.NonExistentQueue": "The specified queue does not exist for this wsdl version.",
		},
		Members: map[string]awsproto.QueryMember{
			"AddPermissionRequest.AWSAccountIds": flat("AWSAccountId"),
			"AddPermissionRequest.Actions":       flat("ActionName"),

			"ChangeMessageVisibilityBatchRequest.Entries":   flat("ChangeMessageVisibilityBatchRequestEntry"),
			"ChangeMessageVisibilityBatchResult.Successful": flat("ChangeMessageVisibilityBatchResultEntry"),
			"ChangeMessageVisibilityBatchResult.Failed":     flat("BatchResultErrorEntry"),

			"CreateQueueRequest.Attributes": attrs,
			"CreateQueueRequest.tags":       tags,

			"DeleteMessageBatchRequest.Entries":   flat("DeleteMessageBatchRequestEntry"),
			"DeleteMessageBatchResult.Successful": flat("DeleteMessageBatchResultEntry"),
			"DeleteMessageBatchResult.Failed":     flat("BatchResultErrorEntry"),

			"GetQueueAttributesRequest.AttributeNames": flat("AttributeName"),
			"GetQueueAttributesResult.Attributes":      attrs,

			"ListDeadLetterSourceQueuesResult.queueUrls": flat("QueueUrl"),
			"ListMessageMoveTasksResult.Results":         flat("ListMessageMoveTasksResultEntry"),
			"ListQueuesResult.QueueUrls":                 flat("QueueUrl"),
			"ListQueueTagsResult.Tags":                   tags,

			"Message.Attributes":                           attrs,
			"Message.MessageAttributes":                    messageAttrs,
			"MessageAttributeValue.StringListValues":       flat("StringListValue"),
			"MessageAttributeValue.BinaryListValues":       flat("BinaryListValue"),
			"MessageSystemAttributeValue.StringListValues": flat("StringListValue"),
			"MessageSystemAttributeValue.BinaryListValues": flat("BinaryListValue"),

			"ReceiveMessageRequest.AttributeNames":        flat("AttributeName"),
			"ReceiveMessageRequest.MessageAttributeNames": flat("MessageAttributeName"),
			// Both lists travel as AttributeName.N.
			"ReceiveMessageRequest.MessageSystemAttributeNames": flat("AttributeName"),
			"ReceiveMessageResult.Messages":                     flat("Message"),

			"SendMessageRequest.MessageAttributes":                 messageAttrs,
			"SendMessageRequest.MessageSystemAttributes":           systemAttrs,
			"SendMessageBatchRequest.Entries":                      flat("SendMessageBatchRequestEntry"),
			"SendMessageBatchRequestEntry.MessageAttributes":       messageAttrs,
			"SendMessageBatchRequestEntry.MessageSystemAttributes": systemAttrs,
			"SendMessageBatchResult.Successful":                    flat("SendMessageBatchResultEntry"),
			"SendMessageBatchResult.Failed":                        flat("BatchResultErrorEntry"),

			"SetQueueAttributesRequest.Attributes": attrs,
			"TagQueueRequest.Tags":                 tags,
			"UntagQueueRequest.TagKeys":            flat("TagKey"),
		},
	}
}
