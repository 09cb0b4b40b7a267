// Package dynamodb serves the Amazon DynamoDB API (awsJson1.0, X-Amz-Target
// DynamoDB_20120810.*), with the x-amz-crc32 header its SDKs check and its
// namespaced error types. Attribute values are internal/dynamodb/attr's
// (the generator maps AttributeValue to attr.Value); items live in the
// storage DB under the key prefix "ddb", keyed by table and by their
// partition and sort key values encoded to sort as DynamoDB sorts them.
//
// This is the first part of the data plane (issue 5): tables (CreateTable,
// DescribeTable, ListTables, DeleteTable) and single items (PutItem,
// GetItem, DeleteItem, UpdateItem) with condition, update and projection
// expressions (internal/dynamodb/expr), ReturnValues and
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
// Not done yet:
//   - the legacy Expected, ConditionalOperator, AttributesToGet and
//     AttributeUpdates are refused by name with a ValidationException,
//     never ignored;
//   - UPDATED_OLD/UPDATED_NEW return whole top-level attributes, not only
//     the updated nested paths;
//   - UpdateTable answers NotImplemented; Query and Scan on an IndexName
//     are refused by name;
//   - ClientRequestTokens are remembered in memory only;
//   - secondary indexes are stored and described, not maintained;
//   - ItemCount and TableSizeBytes are counted on every DescribeTable.
package dynamodb
