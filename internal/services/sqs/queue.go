package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/ptr"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// queueNamePattern is what a queue name may be: 1–80 characters of
// letters, digits, hyphens and underscores, plus ".fifo" for FIFO queues.
var queueNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// validQueueName reports whether name is a valid queue name for a queue
// that is fifo or not.
func validQueueName(name string, fifo bool) bool {
	if len(name) > 80 {
		return false
	}
	if fifo {
		base, ok := strings.CutSuffix(name, ".fifo")
		return ok && base != "" && queueNamePattern.MatchString(base)
	}
	return queueNamePattern.MatchString(name)
}

// queueURL builds the URL of a queue from the endpoint the client called.
func queueURL(info *awsproto.RequestInfo, k queueKey) string {
	scheme, host := info.Scheme, info.Host
	if scheme == "" {
		scheme = "http"
	}
	if host == "" {
		host = "localhost:4566"
	}
	return scheme + "://" + host + "/" + k.account + "/" + k.name
}

// keyFromURL reads the queue a QueueUrl names: its path is /ACCOUNT/NAME,
// whatever the host. The region is the request's.
func keyFromURL(info *awsproto.RequestInfo, raw string) (queueKey, bool) {
	path := raw
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		path = u.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != 2 || !accountPattern.MatchString(parts[0]) || parts[1] == "" {
		return queueKey{}, false
	}
	return queueKey{parts[0], info.Region, parts[1]}, true
}

// lookup returns the queue named by a QueueUrl, or QueueDoesNotExist.
func (s *Service) lookup(ctx context.Context, rawURL *string) (*queue, error) {
	info := awsproto.Info(ctx)
	if rawURL == nil {
		return nil, errMissingParameter("QueueUrl")
	}
	k, ok := keyFromURL(info, *rawURL)
	if !ok {
		return nil, errQueueDoesNotExist()
	}
	s.mu.RLock()
	q := s.queues[k]
	s.mu.RUnlock()
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

// lookupARN returns the queue with the given ARN, or nil. The ARN names
// its key, so this is a map lookup (pollers call it on every batch).
func (s *Service) lookupARN(queueARN string) *queue {
	a, err := arn.Parse(queueARN)
	if err != nil || a.Service != "sqs" {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queues[queueKey{a.Account, a.Region, a.Resource}]
}

// CreateQueue creates a queue, or returns the URL of an existing one with
// the same attributes.
func (s *Service) CreateQueue(ctx context.Context, in *CreateQueueRequest) (*CreateQueueResult, error) {
	info := awsproto.Info(ctx)
	name := ptr.Value(in.QueueName)
	fifo := in.Attributes["FifoQueue"] == "true"
	if !validQueueName(name, fifo) {
		if fifo && !strings.HasSuffix(name, ".fifo") || !fifo && strings.HasSuffix(name, ".fifo") {
			return nil, errInvalidParameterValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		return nil, errInvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	attrs, err := checkAttributes(in.Attributes, fifo, true)
	if err != nil {
		return nil, err
	}
	if err := s.checkRedriveTarget(info.Account, info.Region, fifo, attrs["RedrivePolicy"]); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	k := queueKey{info.Account, info.Region, name}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[k]; q != nil {
		q.mu.Lock()
		defer q.mu.Unlock()
		for attr, value := range attrs {
			if q.rec.Attributes[attr] != value {
				return nil, withQueryCode(ErrQueueNameExists("A queue already exists with the same name and a different value for attribute %s", attr))
			}
		}
		return &CreateQueueResult{QueueUrl: ptr.To(queueURL(info, k))}, nil
	}
	s.pruneDeletedLocked(s.clock.Now())
	if _, ok := s.deleted[k]; ok {
		return nil, withQueryCode(ErrQueueDeletedRecently("You must wait 60 seconds after deleting a queue before you can create another with the same name."))
	}
	now := s.clock.Now().Unix()
	rec := queueRecord{Account: k.account, Region: k.region, Name: name, Attributes: defaultAttributes(fifo),
		Created: now, Modified: now}
	for attr, value := range attrs {
		rec.Attributes[attr] = value
	}
	normalizeEncryption(rec.Attributes, attrs)
	if len(in.Tags) > 0 {
		rec.Tags = in.Tags
	}
	if err := s.db.Set(queueStorageKey(k), mustJSON(rec)); err != nil {
		return nil, fmt.Errorf("storing queue %s: %w", name, err)
	}
	s.queues[k] = newQueue(rec, s.db, s.limit)
	return &CreateQueueResult{QueueUrl: ptr.To(queueURL(info, k))}, nil
}

// checkRedriveTarget checks that a RedrivePolicy names an existing queue
// of the same type in the same account and region.
func (s *Service) checkRedriveTarget(account, region string, fifo bool, policy string) error {
	p, err := parseRedrivePolicy(policy)
	if err != nil || p == nil {
		return err
	}
	dlq := s.lookupARN(p.DeadLetterTargetArn)
	if dlq == nil || dlq.key.account != account || dlq.key.region != region {
		return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.", policy)
	}
	if dlq.fifo != fifo {
		return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source..", policy)
	}
	return nil
}

// GetQueueUrl returns the URL of a queue by name.
func (s *Service) GetQueueUrl(ctx context.Context, in *GetQueueUrlRequest) (*GetQueueUrlResult, error) {
	info := awsproto.Info(ctx)
	account := info.Account
	if owner := ptr.Value(in.QueueOwnerAWSAccountId); owner != "" {
		account = owner
	}
	k := queueKey{account, info.Region, ptr.Value(in.QueueName)}
	s.mu.RLock()
	q := s.queues[k]
	s.mu.RUnlock()
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return &GetQueueUrlResult{QueueUrl: ptr.To(queueURL(info, k))}, nil
}

// ListQueues lists the caller's queues in the region, by name prefix,
// paged when MaxResults is set.
func (s *Service) ListQueues(ctx context.Context, in *ListQueuesRequest) (*ListQueuesResult, error) {
	info := awsproto.Info(ctx)
	limit := int(ptr.Value(in.MaxResults))
	if in.MaxResults != nil && (limit < 1 || limit > 1000) {
		return nil, errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", limit)
	}
	prefix := ptr.Value(in.QueueNamePrefix)
	var names []string
	s.mu.RLock()
	for k := range s.queues {
		if k.account == info.Account && k.region == info.Region && strings.HasPrefix(k.name, prefix) {
			names = append(names, k.name)
		}
	}
	s.mu.RUnlock()
	sort.Strings(names)
	if after := ptr.Value(in.NextToken); after != "" {
		decoded, err := decodeToken(after)
		if err != nil {
			return nil, errInvalidParameterValue("Invalid NextToken value.")
		}
		i := sort.SearchStrings(names, decoded)
		for i < len(names) && names[i] <= decoded {
			i++
		}
		names = names[i:]
	}
	out := &ListQueuesResult{}
	if in.MaxResults == nil && len(names) > 1000 {
		names = names[:1000] // without paging, AWS returns at most 1,000
	}
	if limit > 0 && len(names) > limit {
		names = names[:limit]
		out.NextToken = ptr.To(encodeToken(names[limit-1]))
	}
	for _, n := range names {
		out.QueueUrls = append(out.QueueUrls, queueURL(info, queueKey{info.Account, info.Region, n}))
	}
	return out, nil
}

// DeleteQueue deletes a queue and its messages.
func (s *Service) DeleteQueue(ctx context.Context, in *DeleteQueueRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	b.Delete(queueStorageKey(q.key))
	deleteMessages(b, q.key)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("deleting queue %s: %w", q.key.name, err)
	}
	s.mu.Lock()
	delete(s.queues, q.key)
	s.pruneDeletedLocked(s.clock.Now())
	s.deleted[q.key] = s.clock.Now()
	s.dropTasksLocked(q.arn)
	s.mu.Unlock()
	q.mu.Lock()
	q.deleted = true
	q.resetLocked()
	q.wakeLocked()
	q.mu.Unlock()
	return nil
}

// deleteMessages adds the deletion of every message record of the queue k
// to b.
func deleteMessages(b *storage.Batch, k queueKey) {
	for _, prefix := range [][]byte{statePrefix(k), bodyPrefix(k), legacyPrefix(k)} {
		b.DeleteRange(prefix, storage.PrefixEnd(prefix))
	}
}

// PurgeQueue deletes every message of a queue, at most once a minute.
func (s *Service) PurgeQueue(ctx context.Context, in *PurgeQueueRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := s.nowMillis()
	if q.purgedAt != 0 && now-q.purgedAt < 60_000 {
		return errPurgeInProgress(q.key.name)
	}
	b := s.db.NewBatch()
	defer b.Close()
	deleteMessages(b, q.key)
	if err := b.Commit(); err != nil {
		return fmt.Errorf("purging queue %s: %w", q.key.name, err)
	}
	q.purgedAt = now
	q.resetLocked()
	if q.fifo {
		q.dedup, q.dedupOrder = map[string]dedupEntry{}, nil
	}
	return nil
}

// GetQueueAttributes returns the named attributes ("All" for every one).
func (s *Service) GetQueueAttributes(ctx context.Context, in *GetQueueAttributesRequest) (*GetQueueAttributesResult, error) {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	all := q.attributesLocked(s.nowMillis())
	want := map[string]bool{}
	for _, name := range in.AttributeNames {
		if name == "All" {
			for n := range all {
				want[n] = true
			}
			continue
		}
		if _, known := all[name]; !known && !knownAttribute(name) {
			return nil, errInvalidAttributeName(name)
		}
		want[name] = true
	}
	out := &GetQueueAttributesResult{}
	for name := range want {
		if v, ok := all[name]; ok {
			if out.Attributes == nil {
				out.Attributes = map[string]string{}
			}
			out.Attributes[name] = v
		}
	}
	return out, nil
}

// knownAttribute reports whether name is a queue attribute at all.
func knownAttribute(name string) bool {
	if intAttributes[name] != (intAttribute{}) || fifoOnlyAttributes[name] || otherAttributes[name] {
		return true
	}
	for _, n := range readOnlyAttributes {
		if n == name {
			return true
		}
	}
	return false
}

// attributesLocked returns every attribute the queue has, counters
// included, as GetQueueAttributes reports them.
func (q *queue) attributesLocked(now int64) map[string]string {
	out := make(map[string]string, len(q.rec.Attributes)+6)
	for k, v := range q.rec.Attributes {
		if v != "" {
			out[k] = v
		}
	}
	visible, inflight, delayed := q.countsLocked(now)
	out["ApproximateNumberOfMessages"] = strconv.Itoa(visible)
	out["ApproximateNumberOfMessagesNotVisible"] = strconv.Itoa(inflight)
	out["ApproximateNumberOfMessagesDelayed"] = strconv.Itoa(delayed)
	out["CreatedTimestamp"] = strconv.FormatInt(q.rec.Created, 10)
	out["LastModifiedTimestamp"] = strconv.FormatInt(q.rec.Modified, 10)
	out["QueueArn"] = q.arn
	return out
}

// SetQueueAttributes changes a queue's settable attributes.
func (s *Service) SetQueueAttributes(ctx context.Context, in *SetQueueAttributesRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	attrs, err := checkAttributes(in.Attributes, q.fifo, false)
	if err != nil {
		return err
	}
	if err := s.checkRedriveTarget(q.key.account, q.key.region, q.fifo, attrs["RedrivePolicy"]); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	rec := q.rec
	rec.Attributes = make(map[string]string, len(q.rec.Attributes)+len(attrs))
	for k, v := range q.rec.Attributes {
		rec.Attributes[k] = v
	}
	for k, v := range attrs {
		rec.Attributes[k] = v
	}
	normalizeEncryption(rec.Attributes, attrs)
	rec.Modified = s.clock.Now().Unix()
	if err := s.db.Set(queueStorageKey(q.key), mustJSON(rec)); err != nil {
		return fmt.Errorf("storing queue %s: %w", q.key.name, err)
	}
	q.rec = rec
	return nil
}

// ListDeadLetterSourceQueues lists the queues whose RedrivePolicy targets
// the given queue.
func (s *Service) ListDeadLetterSourceQueues(ctx context.Context, in *ListDeadLetterSourceQueuesRequest) (*ListDeadLetterSourceQueuesResult, error) {
	info := awsproto.Info(ctx)
	dlq, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	var names []string
	s.mu.RLock()
	for k, q := range s.queues {
		q.mu.Lock()
		p, _ := parseRedrivePolicy(q.rec.Attributes["RedrivePolicy"])
		q.mu.Unlock()
		if p != nil && p.DeadLetterTargetArn == dlq.arn {
			names = append(names, k.name)
		}
	}
	s.mu.RUnlock()
	sort.Strings(names)
	out := &ListDeadLetterSourceQueuesResult{QueueUrls: []string{}}
	for _, n := range names {
		out.QueueUrls = append(out.QueueUrls, queueURL(info, queueKey{dlq.key.account, dlq.key.region, n}))
	}
	return out, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
