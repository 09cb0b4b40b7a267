package logs

import (
	"context"
	"fmt"
	"maps"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// maxTags is how many tags a log group may carry.
const maxTags = 50

// TagResource adds or replaces tags of the log group an ARN names.
func (s *Service) TagResource(ctx context.Context, in *TagResourceRequest) error {
	return s.editTags(ctx, ptr.Value(in.ResourceArn), true, func(tags map[string]string) {
		maps.Copy(tags, in.Tags)
	})
}

// UntagResource removes tags of the log group an ARN names.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceRequest) error {
	return s.editTags(ctx, ptr.Value(in.ResourceArn), true, func(tags map[string]string) {
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
	})
}

// ListTagsForResource returns the tags of the log group an ARN names.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceRequest) (*ListTagsForResourceResponse, error) {
	tags, err := s.tags(ctx, ptr.Value(in.ResourceArn), true)
	if err != nil {
		return nil, err
	}
	return &ListTagsForResourceResponse{Tags: tags}, nil
}

// TagLogGroup is the older TagResource, by group name.
func (s *Service) TagLogGroup(ctx context.Context, in *TagLogGroupRequest) error {
	return s.editTags(ctx, ptr.Value(in.LogGroupName), false, func(tags map[string]string) {
		maps.Copy(tags, in.Tags)
	})
}

// UntagLogGroup is the older UntagResource, by group name.
func (s *Service) UntagLogGroup(ctx context.Context, in *UntagLogGroupRequest) error {
	return s.editTags(ctx, ptr.Value(in.LogGroupName), false, func(tags map[string]string) {
		for _, k := range in.Tags {
			delete(tags, k)
		}
	})
}

// ListTagsLogGroup is the older ListTagsForResource, by group name.
func (s *Service) ListTagsLogGroup(ctx context.Context, in *ListTagsLogGroupRequest) (*ListTagsLogGroupResponse, error) {
	tags, err := s.tags(ctx, ptr.Value(in.LogGroupName), false)
	if err != nil {
		return nil, err
	}
	return &ListTagsLogGroupResponse{Tags: tags}, nil
}

// taggedGroup returns the group name that ref (an ARN when isARN) names.
func taggedGroup(info *awsproto.RequestInfo, ref string, isARN bool) (string, error) {
	if !isARN {
		return ref, nil
	}
	region, account, name, ok := parseGroupARN(ref)
	if !ok || region != info.Region || account != info.Account {
		return "", errGroupNotFound()
	}
	return name, nil
}

func (s *Service) tags(ctx context.Context, ref string, isARN bool) (map[string]string, error) {
	info := awsproto.Info(ctx)
	name, err := taggedGroup(info, ref, isARN)
	if err != nil {
		return nil, err
	}
	g, err := s.mustGroup(info.Account, info.Region, name)
	if err != nil {
		return nil, err
	}
	tags := map[string]string{} // Sent as {} when there are none, as AWS does.
	maps.Copy(tags, g.Tags)
	return tags, nil
}

func (s *Service) editTags(ctx context.Context, ref string, isARN bool, edit func(map[string]string)) error {
	info := awsproto.Info(ctx)
	name, err := taggedGroup(info, ref, isARN)
	if err != nil {
		return err
	}
	defer s.lockGroup(info.Account, info.Region, name)()
	g, err := s.mustGroup(info.Account, info.Region, name)
	if err != nil {
		return err
	}
	if g.Tags == nil {
		g.Tags = map[string]string{}
	}
	edit(g.Tags)
	if len(g.Tags) > maxTags {
		// Unrecorded message.
		return ErrTooManyTagsException("A resource can have no more than %d tags.", maxTags)
	}
	if err := s.db.Set(groupKey(info.Account, info.Region, name), mustJSON(g)); err != nil {
		return fmt.Errorf("tagging log group %q: %w", name, err)
	}
	return nil
}
