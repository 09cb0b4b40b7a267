package lambda

import (
	"context"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// taggedFunction checks a tagging Resource parameter: an unqualified
// function ARN.
func taggedFunction(ctx context.Context, resource string) (string, error) {
	if !strings.HasPrefix(resource, "arn:") || !strings.Contains(resource, ":function:") {
		return "", ErrInvalidParameterValueException("%s", "Invalid resource ARN: "+resource)
	}
	t, err := resolve(ctx, resource, nil)
	if err != nil {
		return "", err
	}
	if t.qualifier != "" {
		return "", ErrInvalidParameterValueException("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	return resource, nil
}

// TagResource adds tags to a function.
func (s *Service) TagResource(ctx context.Context, in *TagResourceRequest) error {
	name, err := taggedFunction(ctx, ptr.ValueOr(in.Resource, ""))
	if err != nil {
		return err
	}
	if len(in.Tags) == 0 {
		return ErrInvalidParameterValueException("A list of tags is required.")
	}
	_, err = s.updateMeta(ctx, name, func(f *function) error {
		if f.Tags == nil {
			f.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			f.Tags[k] = v
		}
		if len(f.Tags) > maxTags {
			return ErrInvalidParameterValueException("Number of tags exceeds resource tag limit.")
		}
		return nil
	})
	return err
}

// UntagResource removes tags from a function.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceRequest) error {
	name, err := taggedFunction(ctx, ptr.ValueOr(in.Resource, ""))
	if err != nil {
		return err
	}
	_, err = s.updateMeta(ctx, name, func(f *function) error {
		for _, k := range in.TagKeys {
			delete(f.Tags, k)
		}
		return nil
	})
	return err
}

// ListTags answers a function's tags.
func (s *Service) ListTags(ctx context.Context, in *ListTagsRequest) (*ListTagsResponse, error) {
	name, err := taggedFunction(ctx, ptr.ValueOr(in.Resource, ""))
	if err != nil {
		return nil, err
	}
	f, _, err := s.find(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	return &ListTagsResponse{Tags: nonNilMap(f.Tags)}, nil
}
