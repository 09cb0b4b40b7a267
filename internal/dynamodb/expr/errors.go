package expr

import (
	"fmt"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
)

// Errors are *attr.Error, which the service answers as a
// ValidationException with Message unchanged. The texts are DynamoDB's, word
// for word, except those marked [invented] (no source found). Sources:
// [dynalite] the validation test suite and expression grammars of the dynalite
// emulator, written against real DynamoDB; [recorded] messages quoted from real
// DynamoDB answers in public test suites.

func fail(msg string) error { return &attr.Error{Message: msg} }

// invalid prefixes msg with "Invalid <what>: ", as DynamoDB does for an
// expression it refuses.
func invalid(what, msg string) error { return fail("Invalid " + what + ": " + msg) }

// maxExpressionSize is DynamoDB's limit on each expression, in bytes as
// sent (placeholders not substituted).
const maxExpressionSize = 4096

// checkSize refuses an expression longer than maxExpressionSize.
func checkSize(what, s string) error {
	if len(s) > maxExpressionSize {
		return invalid(what, fmt.Sprintf(msgTooLong, len(s)))
	}
	return nil
}

// [recorded] format; near is the tokens either side of the bad one.
func syntaxError(what, src string, toks []token, i int) error {
	return invalid(what, fmt.Sprintf(`Syntax error; token: "%s", near: "%s"`, toks[i].text, near(src, toks, i)))
}

const (
	// [dynalite]
	msgEmpty         = "The expression can not be empty;"
	msgReserved      = "Attribute name is a reserved keyword; reserved keyword: "
	msgUndefinedName = "An expression attribute name used in the document path is not defined; attribute name: "
	msgUndefinedVal  = "An expression attribute value used in expression is not defined; attribute value: "
	msgBadFunction   = "Invalid function name; function: "
	msgMisused       = "The function is not allowed to be used this way in an expression; function: "
	msgOperandCount  = "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d"
	msgOperandType   = "Incorrect operand type for operator or function; operator or function: %s, operand type: %s"
	msgActionType    = "Incorrect operand type for operator or function; operator: %s, operand type: %s"
	msgNeedsPath     = "Operator or function requires a document path; operator or function: "
	msgDistinct      = "The first operand must be distinct from the remaining operands for this operator or function; operator: %s, first operand: %s"
	msgBadTypeName   = "Invalid attribute type name found; type: %s, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
	msgBetweenTypes  = "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s"
	msgBetweenOrder  = "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: %s, upper bound operand: AttributeValue: %s"
	msgOverlap       = "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s"
	msgConflict      = "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s"
	msgSectionTwice  = `The "%s" section can only be used once in an update expression;`
	msgUnusedNames   = "Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}"
	msgUnusedValues  = "Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}"
	// [dynalite] runtime errors of UpdateItem.
	msgMissingAttr = "The provided expression refers to an attribute that does not exist in the item"
	msgInvalidPath = "The document path provided in the update expression is invalid for update"
	msgRuntimeType = "An operand in the update expression has an incorrect data type"
	// [recorded] key conditions.
	msgKeyOperator  = "Invalid operator used in KeyConditionExpression: "
	msgKeyOnePerKey = "KeyConditionExpressions must only contain one condition per key"
	msgKeyLength    = "Conditions can be of length 1 or 2 only"
	msgKeyNotSupp   = "Query key condition not supported"
	msgKeyMissed    = "Query condition missed key schema element: "
	// [invented] from memory of DynamoDB's wording, unconfirmed.
	msgTooManyIn = "The IN operator is provided with too many operands; number of operands: %d"
	// From an error a user reported (pynamodb/PynamoDB#979, 2021).
	msgTooLong   = "Expression size has exceeded the maximum allowed size; expression size: %d"
	msgKeyNested = "KeyConditionExpressions cannot have conditions on nested attributes"
)

// valueText renders v as DynamoDB does inside BETWEEN messages: {S:b}, {N:1}.
func valueText(v attr.Value) string {
	switch v.Kind() {
	case attr.S:
		return "{S:" + v.S() + "}"
	case attr.N:
		return "{N:" + v.N() + "}"
	}
	s := v.String() // JSON, close enough for other kinds
	return strings.ReplaceAll(s, `"`, "")
}
