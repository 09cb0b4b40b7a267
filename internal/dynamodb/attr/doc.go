// Package attr holds DynamoDB's data: Value, one AttributeValue (S, N, B,
// SS, NS, BS, M, L, BOOL or NULL), and Item, an item's attributes by name.
// It is the ground the DynamoDB service stands on:
//
//   - numbers kept exactly, normalized as DynamoDB returns them, with its
//     38-digit precision and range (Number, Add, Sub);
//   - the wire JSON codec, validating values as DynamoDB validates a
//     request's, with its messages (ParseValue, ParseItem, AppendJSON and
//     the json.Marshaler/Unmarshaler methods);
//   - ordering and keys: Compare, and AppendKey/DecodeKey, a byte encoding
//     of S, N and B values that sorts as Compare does;
//   - item size as DynamoDB counts it (Size, ItemSize);
//   - equality and the set arithmetic of update expressions (Equal, Union,
//     Difference).
//
// Validation failures are *Error, which the service answers as a
// ValidationException with Message; JSON of the wrong shape is
// *SyntaxError, answered as a SerializationException.
//
// Not done here: attribute name rules (empty names, the 255-byte limit of
// key names), key-specific rules (no empty S or B key, key size limits),
// the 400 KB item limit, and the "1 validation error detected: " envelope
// some operations put around these messages: the service applies them.
package attr
