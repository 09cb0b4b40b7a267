package dynamodb

import (
	"context"
	"fmt"
	"slices"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// maxTags is how many tags a table may have.
const maxTags = 50

// tableByARN returns the caller's table named by a resource ARN.
func (s *Service) tableByARN(ctx context.Context, resource string) (*table, error) {
	a, err := arn.Parse(resource)
	name, ok := "", false
	if err == nil && a.Service == "dynamodb" {
		name, ok = cutPrefix(a.Resource, "table/")
	}
	if !ok {
		return nil, errValidation("Invalid TableArn: Invalid ResourceArn provided as input %s", resource)
	}
	info := awsproto.Info(ctx)
	if a.Account != info.Account || a.Region != info.Region {
		return nil, errResourceNotFound("Requested resource not found")
	}
	return s.lookup(ctx, name)
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// updateTable replaces a table's stored record.
func (s *Service) updateTable(t *table, change func(*tableRecord) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.tables[t.key()]
	if cur == nil {
		return errTableNotFound(t.rec.Name)
	}
	rec := cur.rec
	if err := change(&rec); err != nil {
		return err
	}
	if err := s.db.Set(tableStorageKey(t.key()), mustJSON(rec)); err != nil {
		return fmt.Errorf("storing table %s: %w", rec.Name, err)
	}
	s.tables[t.key()] = s.version(rec, cur.live)
	return nil
}

// TagResource adds or replaces tags of a table.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) error {
	t, err := s.tableByARN(ctx, ptr.Value(in.ResourceArn))
	if err != nil {
		return err
	}
	return s.updateTable(t, func(rec *tableRecord) error {
		tags := slices.Clone(rec.Tags)
		for _, tag := range in.Tags {
			i := slices.IndexFunc(tags, func(x Tag) bool { return ptr.Value(x.Key) == ptr.Value(tag.Key) })
			if i >= 0 {
				tags[i] = tag
			} else {
				tags = append(tags, tag)
			}
		}
		if len(tags) > maxTags {
			return awserrLimit()
		}
		rec.Tags = tags
		return nil
	})
}

// UntagResource removes tags from a table.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) error {
	t, err := s.tableByARN(ctx, ptr.Value(in.ResourceArn))
	if err != nil {
		return err
	}
	return s.updateTable(t, func(rec *tableRecord) error {
		rec.Tags = slices.DeleteFunc(slices.Clone(rec.Tags), func(x Tag) bool { return slices.Contains(in.TagKeys, ptr.Value(x.Key)) })
		return nil
	})
}

// ListTagsOfResource lists a table's tags.
func (s *Service) ListTagsOfResource(ctx context.Context, in *ListTagsOfResourceInput) (*ListTagsOfResourceOutput, error) {
	t, err := s.tableByARN(ctx, ptr.Value(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	tags := slices.Clone(s.tables[t.key()].rec.Tags)
	s.mu.RUnlock()
	if tags == nil {
		tags = []Tag{}
	}
	return &ListTagsOfResourceOutput{Tags: tags}, nil
}

// DescribeLimits answers DynamoDB's default account and table limits.
func (s *Service) DescribeLimits(ctx context.Context, in *DescribeLimitsInput) (*DescribeLimitsOutput, error) {
	return &DescribeLimitsOutput{AccountMaxReadCapacityUnits: ptr.To(int64(80000)), AccountMaxWriteCapacityUnits: ptr.To(int64(80000)),
		TableMaxReadCapacityUnits: ptr.To(int64(40000)), TableMaxWriteCapacityUnits: ptr.To(int64(40000))}, nil
}

// DescribeEndpoints names the endpoint the client called, for endpoint
// discovery.
func (s *Service) DescribeEndpoints(ctx context.Context, in *DescribeEndpointsRequest) (*DescribeEndpointsResponse, error) {
	info := awsproto.Info(ctx)
	host := info.Host
	if host == "" {
		host = "dynamodb." + info.Region + ".amazonaws.com"
	}
	return &DescribeEndpointsResponse{Endpoints: []Endpoint{{Address: ptr.To(host), CachePeriodInMinutes: ptr.To(int64(1440))}}}, nil
}
