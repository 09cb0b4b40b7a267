// Package sqs serves the Amazon SQS API in both its wire protocols: the
// current awsJson1.0 (X-Amz-Target AmazonSQS.*), with the query-compatible
// error codes (x-amzn-query-error) the SDKs surface, and the query protocol
// older SDKs and CLIs speak (form-encoded Action=…, XML answers; query.go
// holds its member spelling).
//
// Queues (CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, PurgeQueue,
// Get/SetQueueAttributes, ListDeadLetterSourceQueues, tags, Add/Remove
// Permission), messages (SendMessage(Batch), ReceiveMessage with long
// polling, DeleteMessage(Batch), ChangeMessageVisibility(Batch)) and
// message move tasks are served. Standard queues deliver in order of
// availability; FIFO queues deliver each message group in order, hold a
// group while its first message is in flight, and deduplicate for five
// minutes by id or by the body's SHA-256. maxReceiveCount moves a message
// to its dead-letter queue on the receive that would exceed it. MD5s are
// computed as SQS does, so the SDKs' checks pass. Queue URLs use the host
// the client called. As on SQS, a queue may have 120,000 messages in
// flight: then a standard queue's ReceiveMessage answers OverLimit and a
// FIFO queue's answers with fewer messages (the quotas page; older pages
// said 20,000 for FIFO).
//
// # Storage
//
// Everything lives in the storage DB under the key prefix "sqs". A queue
// is a JSON record. A message is two records under its sequence number
// (record.go): a body record written once by the send (id, body,
// attributes, MD5s, sender, group and deduplication ids, trace header,
// dead-letter source), and a state record of a few tens of bytes (when it
// is next visible, receive count, first receive, receipt nonce, the
// send's second for retention, the FIFO group) that receives and
// visibility changes rewrite. A send is synced before it is acknowledged,
// as are deletes and dead-letter moves; what a receive or a visibility
// change writes is not waited for, since losing it only redelivers.
// Stores written before this layout are converted at the first start
// (migrate.go).
//
// # Memory
//
// A queue's backlog is bounded by the disk, not by memory. Bodies stay in
// the store: a receive reads its messages' body records (a Get each; a
// redelivery reads the state record too, for its first receive). In
// memory a queue keeps an index of 24-byte entries without pointers
// (index.go): a standard queue its receivable messages in a heap, its
// delayed ones in another, and its in-flight ones in a map with their
// expiry order; a FIFO queue its groups in sequence order, with a heap of
// the groups that can be received from and a timer heap for the others.
// About 30 bytes per message stay in the Go heap whatever the body's size
// (TestBacklogMemory); in-flight messages, at most 120,000 per queue,
// cost about 100 bytes more each. A start reads the state records only.
// We chose this over keeping nothing in memory (a receive scanning the
// store for the next visible message) because visibility timeouts move
// messages back and forth in time order, which an index answers in
// O(log n) and a scan of tombstoned keys does not; a message deleted by an
// old receipt handle after its visibility ended is marked and skipped
// lazily rather than searched for. Receipt handles name the message by
// its sequence number and the receive's nonce, so no map from message ids
// is kept.
//
// # Background work
//
// Message move tasks and a sweep that deletes messages past their
// retention (every minute of the clock; receives drop them too) run on
// goroutines that Close cancels and waits for. The sweep also forgets
// deleted queues after their 60 seconds. Long polls end when Close runs.
//
// Not done yet:
//   - message move tasks live in memory: a restart forgets them (the
//     messages moved so far stay moved);
//   - FIFO deduplication ids live in memory: a send repeated across a
//     restart within five minutes is accepted again;
//   - policies are stored and returned, not enforced; KMS attributes are
//     stored only; RedriveAllowPolicy is not enforced;
//   - ReceiveRequestAttemptId returns the earlier answer while it is
//     remembered (five minutes), even when a message of it changed since;
//   - a FIFO queue with DelaySeconds counts its delayed messages by a scan
//     of its index while some may still be delayed.
package sqs
