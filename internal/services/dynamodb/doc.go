// Package dynamodb serves the Amazon DynamoDB API (awsJson1.0, X-Amz-Target
// DynamoDB_20120810.*), with the x-amz-crc32 header its SDKs check and its
// namespaced error types. Attribute values are internal/dynamodb/attr's
// (the generator maps AttributeValue to attr.Value); items live in the
// storage DB under the key prefix "ddb", keyed by table and by their
// partition and sort key values encoded to sort as DynamoDB sorts them.
//
// Tables (CreateTable, DescribeTable, ListTables, UpdateTable,
// DeleteTable) and single items (PutItem, GetItem, DeleteItem, UpdateItem)
// with condition, update and projection expressions
// (internal/dynamodb/expr), ReturnValues and
// ReturnValuesOnConditionCheckFailure, and Query and Scan (key conditions,
// filters, projections, Select COUNT, Limit, ScanIndexForward, parallel
// segments, pages of at most 1 MB read with LastEvaluatedKey), BatchGetItem
// and BatchWriteItem (nothing is ever left unprocessed), TransactWriteItems
// (all or nothing, CancellationReasons, ClientRequestToken for ten minutes)
// and TransactGetItems. Writers of an item are serialized (a striped lock,
// taken in order by multi-item writes), so concurrent ADDs and transfers
// lose nothing. Tags (TagResource, UntagResource, ListTagsOfResource),
// DescribeLimits (DynamoDB's defaults) and DescribeEndpoints.
//
// Secondary indexes (index.go): every write stages the base item and the
// index entries that change with it in one atomic batch. An entry is keyed
// by the index's key values and then the base item's key, and holds the
// projected item; items without the index key attributes stay out (sparse
// indexes). Query and Scan read an index like a table; a local index reads
// the table for attributes it does not project. UpdateTable adds a global
// index, CREATING until a background backfill (resumed after a restart)
// has written the entries of the items already stored; a lock per table
// holds UpdateTable and DeleteTable off while writes are in flight, so that
// every write maintains the indexes of the version that is current when
// it commits.
//
// The legacy (pre-expression) parameters — Expected and
// ConditionalOperator, AttributeUpdates, KeyConditions, QueryFilter,
// ScanFilter and AttributesToGet — are translated into their expression
// counterparts and run by the same evaluator (legacy.go), under DynamoDB's
// rules on mixing them with expressions.
//
// Streams (stream.go, streamread.go): every write path also stages the
// change's stream record in the same batch (stage), with a sequence number
// taken under the item's lock; readers (the DynamoDB Streams API in
// internal/services/dynamodbstreams, Lambda's stream mappings) read below a
// watermark under which every record has committed. Shards roll over on a
// schedule; records and disabled streams are trimmed after 24 hours by the
// sweep that also deletes TTL-expired items (ttl.go).
//
// PartiQL (partiql*.go, internal/dynamodb/partiql): ExecuteStatement,
// BatchExecuteStatement and ExecuteTransaction, translated into the
// expression API's inputs and run through the same operations.
//
// Not done yet:
//   - PartiQL's OR-branch key planning, the limit of 50 partition key
//     values in IN, and the FROM-first UPDATE form;
//   - a legacy condition or update is subject to the expression limits of
//     its translation: 4 KB of expression (about 300 conditions) and 100
//     values in an IN;
//   - index keys of several attributes (DynamoDB's multi-attribute keys)
//     are refused by name;
//   - ClientRequestTokens are remembered in memory only;
//   - ItemCount, TableSizeBytes and the indexes' counts are counted on
//     every DescribeTable.
package dynamodb
