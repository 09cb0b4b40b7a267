package sqs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nimbus-dev/nimbus/internal/events"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// The methods here serve Lambda's event source mappings, which read queues
// inside Nimbus rather than through the API.

// QueueExists reports whether the queue with this ARN exists.
func (s *Service) QueueExists(queueARN string) bool { return s.lookupARN(queueARN) != nil }

// errNoQueue is what pollers get for a queue that is gone; its text is
// the one Lambda reports for it.
//
//lint:ignore ST1005 Lambda's own words, punctuation included
var errNoQueue = errors.New("SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.")

// ReceiveForLambda long-polls the queue for up to wait and returns up to
// max messages (1–10) as Lambda's event records, with every attribute.
func (s *Service) ReceiveForLambda(ctx context.Context, queueARN string, max int, wait time.Duration) ([]events.SQSRecord, error) {
	q := s.lookupARN(queueARN)
	if q == nil {
		return nil, errNoQueue
	}
	in := &ReceiveMessageRequest{MaxNumberOfMessages: ptr.To(int32(max)), WaitTimeSeconds: ptr.To(int32(wait / time.Second)),
		MessageSystemAttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}}
	out, err := s.receiveFrom(ctx, q, in)
	if err != nil {
		return nil, err
	}
	records := make([]events.SQSRecord, 0, len(out.Messages))
	for _, m := range out.Messages {
		r := events.SQSRecord{MessageID: ptr.Value(m.MessageId), ReceiptHandle: ptr.Value(m.ReceiptHandle), Body: ptr.Value(m.Body),
			MD5OfBody: ptr.Value(m.MD5OfBody), MD5OfMessageAttributes: m.MD5OfMessageAttributes, Attributes: m.Attributes,
			MessageAttributes: map[string]events.SQSMessageAttribute{}, EventSource: "aws:sqs", EventSourceARN: q.arn,
			AWSRegion: q.key.region}
		for name, v := range m.MessageAttributes {
			r.MessageAttributes[name] = events.SQSMessageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue,
				StringListValues: []string{}, BinaryListValues: [][]byte{}, DataType: ptr.Value(v.DataType)}
		}
		records = append(records, r)
	}
	return records, nil
}

// DeleteForLambda deletes messages received by ReceiveForLambda.
func (s *Service) DeleteForLambda(queueARN string, receiptHandles []string) error {
	q := s.lookupARN(queueARN)
	if q == nil {
		return errNoQueue
	}
	b := s.db.NewBatch()
	defer b.Close()
	now := s.nowMillis()
	q.mu.Lock()
	for _, h := range receiptHandles {
		if seq, found, err := q.deleteLocked(h, now); err == nil && found {
			q.deleteRecords(b, seq)
		}
	}
	q.mu.Unlock()
	if b.Len() == 0 {
		return nil
	}
	if err := b.Commit(); err != nil {
		return fmt.Errorf("deleting messages of %s: %w", q.key.name, err)
	}
	return nil
}

// VisibilityTimeout is the queue's visibility timeout, which a function
// polled from it should not outlast.
func (s *Service) VisibilityTimeout(queueARN string) (time.Duration, bool) {
	q := s.lookupARN(queueARN)
	if q == nil {
		return 0, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return time.Duration(q.intAttr("VisibilityTimeout")) * time.Second, true
}

// SendForLambda sends a message on Lambda's behalf (asynchronous
// invocation destinations and dead-letter queues), with string or number
// attributes.
func (s *Service) SendForLambda(ctx context.Context, queueARN, body string, attributes map[string]events.SQSMessageAttribute) error {
	q := s.lookupARN(queueARN)
	if q == nil {
		return errNoQueue
	}
	o := &outgoing{body: body, groupSet: q.fifo, groupID: "lambda"}
	if len(attributes) > 0 {
		o.attrs = map[string]MessageAttributeValue{}
		for name, a := range attributes {
			o.attrs[name] = MessageAttributeValue{DataType: ptr.To(a.DataType), StringValue: a.StringValue, BinaryValue: a.BinaryValue}
		}
	}
	if q.fifo {
		sum := sha256.Sum256([]byte(body + s.ids.RequestID()))
		o.dedupID, o.dedupSet = hex.EncodeToString(sum[:]), true
	}
	if e := q.checkOutgoing(o, false); e != nil {
		return e
	}
	_, err := s.enqueue(ctx, q, []*outgoing{o})
	return err
}
