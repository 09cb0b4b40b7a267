package sqs

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/arn"
)

// intAttribute is a numeric queue attribute with its range and default.
type intAttribute struct {
	min, max, def int64
}

// intAttributes are the numeric queue attributes a caller may set.
var intAttributes = map[string]intAttribute{
	"DelaySeconds":                  {0, 900, 0},
	"MaximumMessageSize":            {1024, 1048576, 1048576},
	"MessageRetentionPeriod":        {60, 1209600, 345600},
	"ReceiveMessageWaitTimeSeconds": {0, 20, 0},
	"VisibilityTimeout":             {0, 43200, 30},
	"KmsDataKeyReusePeriodSeconds":  {60, 86400, 300},
}

// fifoOnlyAttributes may only be set on FIFO queues.
var fifoOnlyAttributes = map[string]bool{
	"ContentBasedDeduplication": true,
	"DeduplicationScope":        true,
	"FifoThroughputLimit":       true,
}

// otherAttributes are the other settable attributes.
var otherAttributes = map[string]bool{
	"FifoQueue":            true,
	"Policy":               true,
	"RedrivePolicy":        true,
	"RedriveAllowPolicy":   true,
	"KmsMasterKeyId":       true,
	"SqsManagedSseEnabled": true,
}

// readOnlyAttributes are the attributes GetQueueAttributes reports that
// nobody sets.
var readOnlyAttributes = []string{
	"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible",
	"CreatedTimestamp", "LastModifiedTimestamp", "QueueArn",
}

// redrivePolicy is the RedrivePolicy attribute, decoded.
type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// parseRedrivePolicy decodes and checks a RedrivePolicy value. AWS accepts
// maxReceiveCount as a number or a numeric string.
func parseRedrivePolicy(value string) (*redrivePolicy, error) {
	if value == "" {
		return nil, nil
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(value), &raw); err != nil {
		return nil, errInvalidAttributeValue("RedrivePolicy", "Redrive policy is not a valid JSON map.")
	}
	p := &redrivePolicy{}
	target, _ := raw["deadLetterTargetArn"].(string)
	if target == "" {
		return nil, errInvalidAttributeValue("RedrivePolicy", "Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	if a, err := arn.Parse(target); err != nil || a.Service != "sqs" {
		return nil, errInvalidAttributeValue("RedrivePolicy", "Invalid value for deadLetterTargetArn.")
	}
	p.DeadLetterTargetArn = target
	switch n := raw["maxReceiveCount"].(type) {
	case float64:
		p.MaxReceiveCount = int(n)
		if float64(p.MaxReceiveCount) != n {
			p.MaxReceiveCount = -1
		}
	case string:
		v, err := strconv.Atoi(n)
		if err != nil {
			v = -1
		}
		p.MaxReceiveCount = v
	case nil:
		return nil, errInvalidAttributeValue("RedrivePolicy", "Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	default:
		p.MaxReceiveCount = -1
	}
	if p.MaxReceiveCount < 1 || p.MaxReceiveCount > 1000 {
		return nil, errInvalidAttributeValue("RedrivePolicy", "Value "+jsonScalar(raw["maxReceiveCount"])+" for parameter MaxReceiveCount is invalid. Reason: Must be an integer from 1 to 1000.")
	}
	return p, nil
}

func jsonScalar(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

// checkAttributes validates the attributes of CreateQueue or
// SetQueueAttributes for a queue that is (or will be) fifo. It returns the
// normalized values to store.
func checkAttributes(attrs map[string]string, fifo, creating bool) (map[string]string, error) {
	out := make(map[string]string, len(attrs))
	for name, value := range attrs {
		switch {
		case intAttributes[name] != (intAttribute{}):
			r := intAttributes[name]
			n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil || n < r.min || n > r.max {
				return nil, errInvalidAttributeValue(name, "")
			}
			out[name] = strconv.FormatInt(n, 10)
		case fifoOnlyAttributes[name]:
			if !fifo {
				if name == "ContentBasedDeduplication" {
					return nil, errInvalidAttributeName(name)
				}
				return nil, ErrInvalidAttributeName("You can specify the %s only when FifoQueue is set to true.", name)
			}
			if err := checkFifoAttribute(name, value); err != nil {
				return nil, err
			}
			out[name] = value
		case name == "FifoQueue":
			switch {
			case !fifo:
				return nil, errInvalidAttributeName(name)
			case value == "false" && !creating:
				return nil, errInvalidAttributeValue(name, "Modifying queue type is not supported.")
			case value != "true":
				return nil, errInvalidAttributeValue(name, "")
			}
			out[name] = value
		case name == "RedrivePolicy":
			p, err := parseRedrivePolicy(value)
			if err != nil {
				return nil, err
			}
			out[name] = ""
			if p != nil { // stored as AWS returns it: maxReceiveCount a number
				out[name] = string(mustJSON(p))
			}
		case name == "Policy" || name == "RedriveAllowPolicy":
			if value != "" && !json.Valid([]byte(value)) {
				return nil, errInvalidAttributeValue(name, "")
			}
			out[name] = value
		case name == "SqsManagedSseEnabled":
			if value != "true" && value != "false" {
				return nil, errInvalidAttributeValue(name, "")
			}
			out[name] = value
		case otherAttributes[name]:
			out[name] = value
		default:
			return nil, errInvalidAttributeName(name)
		}
	}
	if out["KmsMasterKeyId"] != "" && out["SqsManagedSseEnabled"] == "true" {
		return nil, ErrInvalidAttributeName("You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
	}
	return out, nil
}

func checkFifoAttribute(name, value string) error {
	ok := false
	switch name {
	case "ContentBasedDeduplication":
		ok = value == "true" || value == "false"
	case "DeduplicationScope":
		ok = value == "messageGroup" || value == "queue"
	case "FifoThroughputLimit":
		ok = value == "perQueue" || value == "perMessageGroupId"
	}
	if !ok {
		return errInvalidAttributeValue(name, "")
	}
	return nil
}

// normalizeEncryption applies what setting encryption attributes implies:
// a KMS key turns SSE-SQS off, and KmsDataKeyReusePeriodSeconds is listed
// only while a key is set.
func normalizeEncryption(attrs, set map[string]string) {
	if key, ok := set["KmsMasterKeyId"]; ok {
		if key != "" {
			attrs["SqsManagedSseEnabled"] = "false"
			if attrs["KmsDataKeyReusePeriodSeconds"] == "" {
				attrs["KmsDataKeyReusePeriodSeconds"] = "300"
			}
		} else {
			delete(attrs, "KmsMasterKeyId")
		}
	}
	if attrs["KmsMasterKeyId"] == "" {
		delete(attrs, "KmsDataKeyReusePeriodSeconds")
	}
}

// defaultAttributes are what a new queue has unless told otherwise.
func defaultAttributes(fifo bool) map[string]string {
	out := map[string]string{"SqsManagedSseEnabled": "true"}
	for name, r := range intAttributes {
		if name != "KmsDataKeyReusePeriodSeconds" {
			out[name] = strconv.FormatInt(r.def, 10)
		}
	}
	if fifo {
		out["FifoQueue"] = "true"
		out["ContentBasedDeduplication"] = "false"
		out["DeduplicationScope"] = "queue"
		out["FifoThroughputLimit"] = "perQueue"
	}
	return out
}
