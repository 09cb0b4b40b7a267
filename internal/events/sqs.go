// Package events holds the event shapes Lambda hands to functions from
// event sources, shared by the services that produce them (SQS) and the
// event source mappings that deliver them.
package events

// SQSEvent is what a function with an SQS trigger receives.
type SQSEvent struct {
	Records []SQSRecord `json:"Records"`
}

// SQSRecord is one message of an SQSEvent, in Lambda's shape.
type SQSRecord struct {
	MessageID     string            `json:"messageId"`
	ReceiptHandle string            `json:"receiptHandle"`
	Body          string            `json:"body"`
	Attributes    map[string]string `json:"attributes"`
	// MessageAttributes is {} when the message has none.
	MessageAttributes map[string]SQSMessageAttribute `json:"messageAttributes"`
	// MD5OfMessageAttributes is null when the message has no attributes.
	MD5OfMessageAttributes *string `json:"md5OfMessageAttributes"`
	MD5OfBody              string  `json:"md5OfBody"`
	EventSource            string  `json:"eventSource"`
	EventSourceARN         string  `json:"eventSourceARN"`
	AWSRegion              string  `json:"awsRegion"`
}

// SQSMessageAttribute is a message attribute in an SQSRecord; the list
// fields are always present, empty, as Lambda sends them.
type SQSMessageAttribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}
