// Package sqs serves the Amazon SQS API in both its wire protocols: the
// current awsJson1.0 (X-Amz-Target AmazonSQS.*), with the query-compatible
// error codes (x-amzn-query-error) the SDKs surface, and the query protocol
// older SDKs and CLIs speak (form-encoded Action=…, XML answers; query.go
// holds its member spelling).
//
// Queues (CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue,
// Get/SetQueueAttributes, ListDeadLetterSourceQueues, tags, Add/Remove
// Permission) and messages (SendMessage(Batch), ReceiveMessage with long
// polling, DeleteMessage(Batch), ChangeMessageVisibility(Batch)) live in
// memory for speed and in the storage DB under the key prefix "sqs" for
// durability: a send is synced before it is acknowledged, as are deletes
// and dead-letter moves; what a receive changes (receive counts,
// visibility) is written without waiting for the disk, since losing it
// only redelivers. Standard queues deliver in order of availability;
// FIFO queues deliver each message group in order, hold a group while one
// of its messages is in flight, and deduplicate for five minutes by id or
// by the body's SHA-256. maxReceiveCount moves a message to its dead-letter
// queue on the receive that would exceed it. MD5s are computed as SQS does,
// so the SDKs' checks pass. Queue URLs use the host the client called.
//
// Not done yet:
//   - message move tasks live in memory: a restart forgets them (the
//     messages moved so far stay moved);
//   - policies are stored and returned, not enforced; KMS attributes are
//     stored only; RedriveAllowPolicy is not enforced;
//   - the limits on messages in flight (120,000) are not enforced;
//   - ReceiveRequestAttemptId returns the earlier answer while it is
//     remembered (five minutes), even when a message of it changed since.
package sqs
