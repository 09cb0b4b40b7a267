// Package partiql parses the statements of DynamoDB's PartiQL subset:
// SELECT (with a table or "table"."index" source, WHERE and ORDER BY),
// INSERT INTO … VALUE, UPDATE … SET/REMOVE … WHERE … RETURNING, DELETE FROM
// … WHERE … RETURNING and EXISTS(SELECT …) for transactions, with ?
// parameters numbered in the order they appear. Parse returns an AST;
// Value evaluates a constant expression (literals, parameters, lists,
// tuples and <<bags>>) to an attr.Value, and Renderer turns conditions,
// paths and SET/REMOVE actions into DynamoDB's expression language with
// #name and :value placeholders, so that the service runs a statement
// through the same machinery as Query, Scan, PutItem, UpdateItem and
// DeleteItem.
//
// The lexer and parser are hand-written. Keywords are case-insensitive and
// are PartiQL's (SQL-92's reserved words and PartiQL's own): a keyword used
// as an attribute name must be double-quoted, as on DynamoDB. Errors are
// *Error, answered by the service as a ValidationException with Message;
// errors.go says where each text comes from and which are best guesses.
//
// Not done yet:
//   - the FROM-first form of UPDATE and DELETE (FROM t WHERE … SET …);
//   - INSERT … ON CONFLICT DO NOTHING, UPSERT, REPLACE;
//   - bracketed string path steps (a['b']) and wildcards (a[*], a.*);
//   - Ion literals in backquotes, typed nulls, DATE/TIME literals and the
//     type names IS accepts beyond DynamoDB's (INT4, DOUBLE PRECISION…):
//     they are refused as malformed statements;
//   - the exact "at line:column:length" positions of every message: only
//     the messages known to carry one carry one.
package partiql
