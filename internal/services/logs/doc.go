// Package logs serves the CloudWatch Logs API (awsJson1.1, X-Amz-Target
// Logs_20140328.*) and is the sink of function logs.
//
// It serves log groups (CreateLogGroup, DeleteLogGroup, DescribeLogGroups),
// log streams (CreateLogStream, DeleteLogStream, DescribeLogStreams),
// events (PutLogEvents, GetLogEvents, FilterLogEvents), retention
// (PutRetentionPolicy, DeleteRetentionPolicy) and tags (TagResource,
// UntagResource, ListTagsForResource, TagLogGroup, UntagLogGroup,
// ListTagsLogGroup). Every resource belongs to the (account, region) of the
// request; state lives in the storage DB under the key prefix "logs".
// Retention is enforced: reads hide expired events and a background
// sweeper deletes them. Functions' logs arrive through AppendFunctionLogs,
// which creates groups with Config.DefaultRetentionDays.
//
// Filter patterns (filter.go) cover term patterns (words, "quoted
// phrases", ?optional and -excluded terms, %regular expressions%), JSON
// patterns ({ $.a.b[0] = "x*" && ($.n > 5 || $.f IS TRUE) }, IS NULL,
// NOT EXISTS) and space-delimited patterns ([ip, ..., status = 4*, bytes > 1000]).
//
// Not done yet:
//   - every other operation (metric and subscription filters, Insights
//     queries, export tasks, destinations, deliveries, resource and
//     account policies, anomaly detection, Live Tail, KMS association,
//     ListLogGroups…) answers NotImplemented;
//   - metricFilterCount is always 0; no metrics are emitted;
//   - deletionProtectionEnabled is stored and reported but DeleteLogGroup
//     does not refuse protected groups;
//   - logGroupClass and kmsKeyId are stored and reported, nothing more;
//   - cross-account observability (includeLinkedAccounts, accountIdentifiers)
//     is ignored: a caller sees only its own account;
//   - the entity of PutLogEvents and the unmask flag are ignored; tokens
//     (DescribeLogGroups' nextToken, sequence tokens) never expire;
//   - filter patterns: selectors are $.name, [n], [*] and .* steps only;
//     a space-delimited field's conditions may only name that field; no
//     metric-filter value or dimension extraction; regular expressions are
//     Go's RE2, not AWS's dialect; terms match as case-sensitive
//     substrings;
//   - several error messages are not recorded from AWS yet and are our
//     best reading (marked "Unrecorded" in the code).
package logs
