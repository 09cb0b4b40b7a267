package attr

import "strconv"

// Error is a value DynamoDB refuses: the service answers it as a
// ValidationException whose message is Message, unchanged.
type Error struct {
	Message string
}

// Error implements error. It names the package; services send Message.
func (e *Error) Error() string { return "attr: " + e.Message }

// AWSError is the error a request decoder answers: a ValidationException.
func (e *Error) AWSError() (code, message string) {
	return "com.amazon.coral.validate#ValidationException", e.Message
}

// SyntaxError is JSON that does not have the shape of an AttributeValue (a
// number where a string belongs, a list where a map belongs, bad base64):
// the service answers it as a SerializationException whose message is
// Message. Offset is the byte offset in the decoded input where the problem
// was found.
type SyntaxError struct {
	Message string
	Offset  int
}

// AWSError is the error a request decoder answers: a SerializationException.
func (e *SyntaxError) AWSError() (code, message string) {
	return "com.amazon.coral.service#SerializationException", e.Message
}

// Error implements error. It names the package; services send Message.
func (e *SyntaxError) Error() string {
	return "attr: " + e.Message + " (offset " + strconv.Itoa(e.Offset) + ")"
}

// Messages DynamoDB answers, word for word. Where each comes from:
//
//   - [aws-facts §4]: ../shared/aws-facts.md, from recordings of real
//     DynamoDB.
//   - [dynalite]: the validation test suite of the dynalite emulator,
//     written against real DynamoDB and used by several emulators since.
//   - [capture 2026]: a public conformance suite captured against real
//     DynamoDB (eu-west-2, 2026).
//   - [scylla]: ScyllaDB Alternator's test_number.py, run against real
//     DynamoDB.
//   - [invented]: no source found; the closest wording we could make.
const (
	// [aws-facts §4] and [dynalite].
	msgMultipleTypes = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	// [dynalite].
	msgEmptyValue = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	// [dynalite].
	msgNullFalse = "One or more parameter values were invalid: Null attribute value types must have the value of true"
	// [dynalite]; the doubled space is DynamoDB's.
	msgEmptySS = "One or more parameter values were invalid: An string set  may not be empty"
	// [aws-facts §4] and [dynalite]; the doubled space is DynamoDB's.
	msgEmptyNS = "One or more parameter values were invalid: An number set  may not be empty"
	// [dynalite].
	msgEmptyBS = "One or more parameter values were invalid: Binary sets should not be empty"
	// [dynalite]: SS and BS name the collection as sent, NS does not; the
	// missing space before "of type BS" is DynamoDB's.
	msgDupSSPrefix = "One or more parameter values were invalid: Input collection "
	msgDupSSSuffix = " contains duplicates."
	msgDupBSSuffix = "of type BS contains duplicates."
	msgDupNS       = "Input collection contains duplicates"
	// [dynalite] and [scylla]. With a non-empty input DynamoDB appends
	// ": " and the input.
	msgNotNumeric = "The parameter cannot be converted to a numeric value"
	// [dynalite] and [scylla]. Arithmetic results that cannot be stored
	// (too large, too small or too precise) all get msgOverflow: [scylla]
	// notes DynamoDB says "overflow" for 1e50 + 1.
	msgOverflow  = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	msgUnderflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
	msgPrecision = "Attempting to store more than 38 significant digits in a Number"
	// [capture 2026].
	msgNesting = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
	// [dynalite] (UpdateExpression ADD/DELETE and + - on the wrong types).
	msgOperandType = "An operand in the update expression has an incorrect data type"
)

// SerializationException messages. "NUMBER_VALUE cannot be converted to
// String" is what DynamoDB answers for {"N": 123} (reported in SDK issue
// threads); the others follow its pattern and are [invented].
const (
	synNotString = " cannot be converted to String"
	synNotBool   = " cannot be converted to Boolean"
	synObject    = "Start of structure or map found where not expected."
	synList      = "Start of list found where not expected."
	synBase64    = "Base64 encoded value is not valid"
)

func validationError(msg string) error { return &Error{Message: msg} }

func notNumeric(s string) error {
	if s == "" {
		return &Error{Message: msgNotNumeric}
	}
	return &Error{Message: msgNotNumeric + ": " + s}
}
