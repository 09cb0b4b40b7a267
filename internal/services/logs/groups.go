package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// groupRecord is a log group as stored under groupKey.
type groupRecord struct {
	Name    string `json:"name"`
	Created int64  `json:"created"` // epoch ms
	// RetentionDays is 0 when events never expire.
	RetentionDays      int32             `json:"retentionDays,omitempty"`
	Class              string            `json:"class"`
	KmsKeyID           string            `json:"kmsKeyId,omitempty"`
	DeletionProtection bool              `json:"deletionProtection,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// defaultDescribeLimit is DescribeLogGroups' and DescribeLogStreams' page
// size when the request sets no limit.
const defaultDescribeLimit = 50

// loadGroup returns the group, or nil when it does not exist.
func (s *Service) loadGroup(account, region, name string) (*groupRecord, error) {
	var g groupRecord
	ok, err := s.getJSON(groupKey(account, region, name), &g)
	if err != nil || !ok {
		return nil, err
	}
	return &g, nil
}

// mustGroup returns the group or ResourceNotFoundException.
func (s *Service) mustGroup(account, region, name string) (*groupRecord, error) {
	g, err := s.loadGroup(account, region, name)
	if err != nil {
		return nil, fmt.Errorf("loading log group %q: %w", name, err)
	}
	if g == nil {
		return nil, errGroupNotFound()
	}
	return g, nil
}

// CreateLogGroup creates a log group; it never expires its events until a
// retention policy is put.
func (s *Service) CreateLogGroup(ctx context.Context, in *CreateLogGroupRequest) error {
	info := awsproto.Info(ctx)
	name := ptr.Value(in.LogGroupName)
	defer s.lockGroup(info.Account, info.Region, name)()
	g, err := s.loadGroup(info.Account, info.Region, name)
	if err != nil {
		return fmt.Errorf("loading log group %q: %w", name, err)
	}
	if g != nil {
		return errGroupExists()
	}
	g = &groupRecord{
		Name:               name,
		Created:            s.nowMillis(),
		Class:              ptr.Value(in.LogGroupClass),
		KmsKeyID:           ptr.Value(in.KmsKeyId),
		DeletionProtection: ptr.Value(in.DeletionProtectionEnabled),
	}
	if g.Class == "" {
		g.Class = "STANDARD"
	}
	if len(in.Tags) > 0 {
		g.Tags = in.Tags
	}
	if err := s.db.Set(groupKey(info.Account, info.Region, name), mustJSON(g)); err != nil {
		return fmt.Errorf("creating log group %q: %w", name, err)
	}
	return nil
}

// createGroupLocked stores a new group; the caller holds its lock.
func (s *Service) createGroupLocked(b *storage.Batch, account, region, name string, retention int32) *groupRecord {
	g := &groupRecord{Name: name, Created: s.nowMillis(), Class: "STANDARD", RetentionDays: retention}
	b.Set(groupKey(account, region, name), mustJSON(g))
	return g
}

// DeleteLogGroup deletes a log group with its streams and events.
func (s *Service) DeleteLogGroup(ctx context.Context, in *DeleteLogGroupRequest) error {
	info := awsproto.Info(ctx)
	name := ptr.Value(in.LogGroupName)
	defer s.lockGroup(info.Account, info.Region, name)()
	if _, err := s.mustGroup(info.Account, info.Region, name); err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	b.Delete(groupKey(info.Account, info.Region, name))
	streams := streamsPrefix(info.Account, info.Region, name)
	b.DeleteRange(streams, storage.PrefixEnd(streams))
	events := groupEventsPrefix(info.Account, info.Region, name)
	b.DeleteRange(events, storage.PrefixEnd(events))
	if err := b.Commit(); err != nil {
		return fmt.Errorf("deleting log group %q: %w", name, err)
	}
	return nil
}

// groupsToken is DescribeLogGroups' paging position: the last group sent.
type groupsToken struct {
	After string `json:"g"`
}

// DescribeLogGroups lists the caller's log groups in name order.
func (s *Service) DescribeLogGroups(ctx context.Context, in *DescribeLogGroupsRequest) (*DescribeLogGroupsResponse, error) {
	info := awsproto.Info(ctx)
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, ErrInvalidParameterException("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	limit := int(ptr.Value(in.Limit))
	if limit == 0 {
		limit = defaultDescribeLimit
	}
	all := groupsPrefix(info.Account, info.Region)
	prefix := append(slices.Clip(all), ptr.Value(in.LogGroupNamePrefix)...)
	start := prefix
	if in.NextToken != nil {
		var tok groupsToken
		if err := decodeToken(*in.NextToken, &tok); err != nil {
			return nil, err
		}
		start = after(groupKey(info.Account, info.Region, tok.After))
	}
	wanted := identifierSet(info, in.LogGroupIdentifiers)
	pattern := ptr.Value(in.LogGroupNamePattern)
	var groups []*groupRecord
	more := false
	err := s.db.ScanFrom(prefix, start, func(k, v []byte) error {
		var g groupRecord
		if err := jsonRecord(k, v, &g); err != nil {
			return err
		}
		switch {
		case !strings.Contains(g.Name, pattern),
			in.LogGroupClass != nil && g.Class != *in.LogGroupClass,
			wanted != nil && !wanted[g.Name]:
			return nil
		}
		if len(groups) == limit {
			more = true
			return storage.ErrStop
		}
		groups = append(groups, &g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing log groups: %w", err)
	}
	out := &DescribeLogGroupsResponse{LogGroups: make([]LogGroup, 0, len(groups))}
	for _, g := range groups {
		lg, err := s.describeGroup(info, g, in.LogGroupNamePattern == nil)
		if err != nil {
			return nil, err
		}
		out.LogGroups = append(out.LogGroups, lg)
	}
	if more {
		out.NextToken = encodeToken(groupsToken{After: groups[len(groups)-1].Name})
	}
	return out, nil
}

// identifierSet returns the group names of DescribeLogGroups'
// logGroupIdentifiers (names or ARNs), or nil when there are none.
func identifierSet(info *awsproto.RequestInfo, ids []string) map[string]bool {
	if len(ids) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, id := range ids {
		if name, err := groupOf(info, nil, &id); err == nil {
			set[name] = true
		}
	}
	return set
}

// describeGroup renders a group as DescribeLogGroups does. Searches by
// pattern leave out storedBytes and deletionProtectionEnabled, as AWS does.
func (s *Service) describeGroup(info *awsproto.RequestInfo, g *groupRecord, full bool) (LogGroup, error) {
	arn := groupARN(info.Region, info.Account, g.Name)
	lg := LogGroup{
		Arn:               ptr.To(arn + ":*"),
		LogGroupArn:       ptr.To(arn),
		LogGroupName:      ptr.To(g.Name),
		CreationTime:      ptr.To(g.Created),
		LogGroupClass:     ptr.To(g.Class),
		MetricFilterCount: ptr.To(int32(0)),
	}
	if g.RetentionDays != 0 {
		lg.RetentionInDays = ptr.To(g.RetentionDays)
	}
	if g.KmsKeyID != "" {
		lg.KmsKeyId = ptr.To(g.KmsKeyID)
	}
	if !full {
		return lg, nil
	}
	lg.DeletionProtectionEnabled = ptr.To(g.DeletionProtection)
	var stored int64
	err := s.db.Scan(streamsPrefix(info.Account, info.Region, g.Name), func(k, v []byte) error {
		var st streamRecord
		if err := jsonRecord(k, v, &st); err != nil {
			return err
		}
		stored += st.Bytes
		return nil
	})
	if err != nil {
		return LogGroup{}, fmt.Errorf("summing stored bytes of %q: %w", g.Name, err)
	}
	lg.StoredBytes = ptr.To(stored)
	return lg, nil
}

// jsonRecord decodes a record met during a scan.
func jsonRecord(k, v []byte, dst any) error {
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("decoding record %q: %w", bytes.Clone(k), err)
	}
	return nil
}
