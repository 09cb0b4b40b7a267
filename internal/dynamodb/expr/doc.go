// Package expr compiles and runs DynamoDB's expression language over
// attr values: condition and filter expressions (ParseCondition,
// ParseFilter, Condition.Eval), update expressions (ParseUpdate,
// Update.Apply), projection expressions (ParseProjection, Project) and key
// condition expressions (ParseKeyCondition). Placeholders are resolved at
// parse time from Names and Values; a Usage shared by the expressions of
// one request finds the placeholders none of them used.
//
// Errors are *attr.Error carrying DynamoDB's ValidationException message
// ("Invalid UpdateExpression: Syntax error; token: …"); errors.go says
// where each text comes from and which are invented.
//
// Not done yet:
//   - the size limits other than 4 KB per expression: 255 bytes per
//     placeholder, 2 MB of substitutions, 300 operators in an expression;
//   - parenthesized operands in SET ("SET a = (b + c)" is refused as a
//     syntax error, DynamoDB accepts it) and "redundant parentheses";
//   - the exact precedence of DynamoDB's error checks when an expression
//     has several faults (we follow dynalite's order);
//   - key-attribute rules of UpdateItem ("Cannot update attribute a. This
//     attribute is part of the key") and index key types: the service
//     applies them.
package expr
