package partiql

import "fmt"

// Error is a statement DynamoDB refuses: the service answers it as a
// ValidationException whose message is Message, unchanged.
type Error struct {
	Message string
}

// Error implements error. It names the package; services send Message.
func (e *Error) Error() string { return "partiql: " + e.Message }

// AWSError is the error a service answers: a ValidationException.
func (e *Error) AWSError() (code, message string) {
	return "com.amazon.coral.validate#ValidationException", e.Message
}

// Pos is where a token or node starts in the statement, and its length, in
// characters counted from 1, as DynamoDB quotes them ("at 1:8:16").
type Pos struct {
	Line, Col, Len int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d:%d", p.Line, p.Col, p.Len) }

func fail(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// failAt is a message that carries a position: "… at 1:8:16".
func failAt(p Pos, format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...) + " at " + p.String()}
}

// malformed is a statement the parser cannot read: DynamoDB's envelope and
// a detail (empty for what its lexer refuses).
func malformed(detail string) *Error { return &Error{Message: MsgMalformed + detail} }

// The texts are DynamoDB's, word for word, except those marked [guess].
// Sources:
//
//   - [aws]: a public conformance suite whose messages were pinned against
//     real DynamoDB (eu-west-2 and other regions, October 2026).
//   - [local]: the validation messages of DynamoDB Local, AWS's own
//     emulator, which shares its PartiQL translation with the service, and
//     recordings of DynamoDB Local's answers in a public driver's tests.
//   - [partiql]: the short texts of the PartiQL reference parser's error
//     codes, of which [aws] confirms several ("Unexpected term", "Unexpected
//     keyword", "Expected type name", "Expected data manipulation"); the
//     others are a best guess that DynamoDB shows them the same way.
//   - [guess]: no source found; the closest wording we could make.
const (
	// [aws] and [local].
	MsgMalformed = "Statement wasn't well formed, can't be processed: "

	// Details after MsgMalformed. [aws]: term, keyword, operator, infix,
	// leftover, dml, typeName, simplePath, dotComponent. [partiql]: token.
	detailTerm         = "Unexpected term"
	detailKeyword      = "Unexpected keyword"
	detailOperator     = "Unexpected operator"
	detailInfix        = "Missing right-hand side expression of infix operator"
	detailLeftover     = "Unexpected token after expression"
	detailDML          = "Expected data manipulation"
	detailTypeName     = "Expected type name"
	detailSimplePath   = "Expected identifier for simple path"
	detailDotComponent = "Invalid path dot component"
	detailToken        = "Unexpected token"

	// [aws].
	msgAliasing        = "Aliasing is not supported"
	msgFromComponents  = "A path may contain at most 2 components in the FROM clause"
	msgEmptyComponent  = "Path component cannot be an empty string"
	msgPathComponent   = "Unexpected path component"
	msgUnknownFunction = "Unrecognized function: %s"
	msgSetArgCount     = "SET_%s must have exactly two arguments"
	msgSetFirstArg     = "The first argument to SET_%s must equal the assignment value"
	msgSetSecondArg    = "The second argument to SET_%s must be a value with type SET"
	msgEmptyBag        = "Empty bags are not supported"
	msgUnsupportedType = "Unsupported data type: %s under key %s"
	msgDeleteReturning = "Invalid returning clause: RETURNING %s. Only RETURNING ALL OLD * is allowed in DELETE statements."
	// [local].
	msgUnsupportedClause = "Unsupported clause: %s"
	msgDistinct          = "Unsupported token in expression: DISTINCT"
	msgSelectValue       = "Select projection doesn't support value or pivot keywords"
	msgProjectAll        = "Changing item's hierarchy while reading isn't supported"
	msgStarAndOthers     = "Other attributes should not be present in the projection when '*' is used."
	msgDuplicateSelect   = "Duplicate identifiers in select clause: %s"
	msgSingleSource      = "Only select from a single table or index is supported."
	msgInsertReturning   = "RETURNING is not supported in INSERT"
	msgInsertMultiple    = "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO tableName VALUE item\" instead"
	msgItemFormat        = "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement."
	msgReturningStar     = "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
	msgReturningMany     = "Invalid syntax with multiple returning elements in RETURNING clause"
	msgMissingCompare    = "MISSING must be compared using IS operator"
	msgIsOperand         = "The left hand side argument to IS must be a Variable Reference, Literal, or Path"
	msgIsInUpdate        = "IS operator is not supported in update expressions"
	msgIsType            = "Unsupported data type for IS operator: %s. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
	msgInOperands        = "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member"
	msgBagType           = "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
	msgDuplicateTupleKey = "Duplicate keys in tuple. Key: %s under %s"
	msgTupleKeyType      = "Tuple keys must be of type String. Actual type: %s under %s"
	msgNotBoolean        = "WHERE clause must contain an expression that resolves to a boolean"
	msgConditionOp       = "Unsupported operator in Condition Expression. Operator: %s"
	msgUpdateOp          = "Unsupported operator in Update Expression. Operator: %s"
	msgWildcard          = "Wildcard path component like a[*].b are not supported"
	msgListStart         = "A path cannot start with a list index"
	msgParamCount        = "Number of parameters in request and statement don't match."
	// [aws]: the condition expressions' own message, unprefixed.
	msgOperandCount = "Incorrect number of operands for operator or function; operator or function: %s, number of operands: %d"
	msgOperandType  = "Incorrect operand type for operator or function; operator or function: %s, operand type: %s"
	// [aws] (the number texts are attr's; DynamoDB appends where the
	// literal sits: " under root", " under root.x", " under root[1]").
	msgUnderRoot = "%s under %s"
)
