package sqs

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// maxTags is how many tags a queue may have.
const maxTags = 50

// checkTags checks tag keys and values as SQS does.
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return errInvalidParameterValue("Too many tags added for queue. The maximum number of tags for a queue is %d.", maxTags)
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 {
			return errInvalidParameterValue("Tag keys must be between 1 and 128 characters in length.")
		}
		if len(v) > 256 {
			return errInvalidParameterValue("Tag values must be between 0 and 256 characters in length.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errInvalidParameterValue("Tag keys must not start with the reserved prefix aws:.")
		}
	}
	return nil
}

// TagQueue adds or replaces tags of a queue.
func (s *Service) TagQueue(ctx context.Context, in *TagQueueRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	if len(in.Tags) == 0 {
		return errMissingParameter("Tags")
	}
	if err := checkTags(in.Tags); err != nil {
		return err
	}
	return s.updateRecord(q, func(rec *queueRecord) error {
		tags := map[string]string{}
		for k, v := range rec.Tags {
			tags[k] = v
		}
		for k, v := range in.Tags {
			tags[k] = v
		}
		if len(tags) > maxTags {
			return errInvalidParameterValue("Too many tags added for queue. The maximum number of tags for a queue is %d.", maxTags)
		}
		rec.Tags = tags
		return nil
	})
}

// UntagQueue removes tags from a queue.
func (s *Service) UntagQueue(ctx context.Context, in *UntagQueueRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	if len(in.TagKeys) == 0 {
		return errMissingParameter("TagKeys")
	}
	return s.updateRecord(q, func(rec *queueRecord) error {
		tags := map[string]string{}
		for k, v := range rec.Tags {
			if !slices.Contains(in.TagKeys, k) {
				tags[k] = v
			}
		}
		rec.Tags = tags
		return nil
	})
}

// ListQueueTags returns a queue's tags.
func (s *Service) ListQueueTags(ctx context.Context, in *ListQueueTagsRequest) (*ListQueueTagsResult, error) {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	out := &ListQueueTagsResult{}
	if len(q.rec.Tags) > 0 {
		out.Tags = map[string]string{}
		for k, v := range q.rec.Tags {
			out.Tags[k] = v
		}
	}
	return out, nil
}

// AddPermission adds a statement to the queue's policy.
func (s *Service) AddPermission(ctx context.Context, in *AddPermissionRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	label := ptr.Value(in.Label)
	switch {
	case label == "":
		return errMissingParameter("Label")
	case len(in.AWSAccountIds) == 0:
		return errMissingParameter("AWSAccountIds")
	case len(in.Actions) == 0:
		return errMissingParameter("Actions")
	}
	for _, a := range in.Actions {
		if !sqsActions[a] && a != "*" {
			return errInvalidParameterValue("Value SQS:%s for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions.", a)
		}
	}
	return s.updateRecord(q, func(rec *queueRecord) error {
		for _, p := range rec.Permissions {
			if p.Label == label {
				return errInvalidParameterValue("Value %s for parameter Label is invalid. Reason: Already exists.", label)
			}
		}
		rec.Permissions = append(slices.Clone(rec.Permissions), permission{Label: label, Accounts: in.AWSAccountIds, Actions: in.Actions})
		rec.Attributes = withPolicy(rec.Attributes, q.arn, rec.Permissions)
		return nil
	})
}

// RemovePermission removes a statement added by AddPermission.
func (s *Service) RemovePermission(ctx context.Context, in *RemovePermissionRequest) error {
	q, err := s.lookup(ctx, in.QueueUrl)
	if err != nil {
		return err
	}
	label := ptr.Value(in.Label)
	return s.updateRecord(q, func(rec *queueRecord) error {
		i := slices.IndexFunc(rec.Permissions, func(p permission) bool { return p.Label == label })
		if i < 0 {
			return errInvalidParameterValue("Value %s for parameter Label is invalid. Reason: can't find label.", label)
		}
		rec.Permissions = slices.Delete(slices.Clone(rec.Permissions), i, i+1)
		rec.Attributes = withPolicy(rec.Attributes, q.arn, rec.Permissions)
		return nil
	})
}

// sqsActions are the actions AddPermission grants.
var sqsActions = map[string]bool{
	"SendMessage": true, "ReceiveMessage": true, "DeleteMessage": true, "ChangeMessageVisibility": true,
	"GetQueueAttributes": true, "GetQueueUrl": true, "ListDeadLetterSourceQueues": true, "PurgeQueue": true,
	"ListQueueTags": true,
}

// withPolicy returns attrs with Policy rebuilt from the permissions, as
// AddPermission writes it.
func withPolicy(attrs map[string]string, queueARN string, perms []permission) map[string]string {
	out := make(map[string]string, len(attrs))
	for k, v := range attrs {
		out[k] = v
	}
	if len(perms) == 0 {
		delete(out, "Policy")
		return out
	}
	type statement struct {
		Sid       string         `json:"Sid"`
		Effect    string         `json:"Effect"`
		Principal map[string]any `json:"Principal"`
		Action    any            `json:"Action"`
		Resource  string         `json:"Resource"`
	}
	var stmts []statement
	for _, p := range perms {
		principals := make([]string, len(p.Accounts))
		for i, a := range p.Accounts {
			principals[i] = "arn:aws:iam::" + a + ":root"
		}
		actions := make([]string, len(p.Actions))
		for i, a := range p.Actions {
			actions[i] = "SQS:" + a
		}
		st := statement{Sid: p.Label, Effect: "Allow", Resource: queueARN,
			Principal: map[string]any{"AWS": oneOrMany(principals)}, Action: oneOrMany(actions)}
		stmts = append(stmts, st)
	}
	policy := map[string]any{"Version": "2008-10-17", "Id": queueARN + "/SQSDefaultPolicy", "Statement": stmts}
	b, _ := json.Marshal(policy)
	out["Policy"] = string(b)
	return out
}

func oneOrMany(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// updateRecord changes a queue's stored record under its lock.
func (s *Service) updateRecord(q *queue, change func(*queueRecord) error) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	rec := q.rec
	if err := change(&rec); err != nil {
		return err
	}
	if err := s.db.Set(queueStorageKey(q.key), mustJSON(rec)); err != nil {
		return fmt.Errorf("storing queue %s: %w", q.key.name, err)
	}
	q.rec = rec
	return nil
}

// Paging tokens are opaque to clients: the last name of a page.

func encodeToken(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	return string(b), err
}
