//lint:file-ignore SA1019 the deprecated log-group tagging operations are served, so they are tested

package logs_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
)

// TestTags replays aws-recorded/logs test_tag_resource_api: both tagging
// APIs edit the same tags.
func TestTags(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	group := "tagged"
	arn := aws.String(groupARN(account1, group))
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &group, Tags: map[string]string{"env": "testing1"}}); err != nil {
		t.Fatal(err)
	}
	listBoth := func(t *testing.T, want map[string]string) {
		t.Helper()
		byARN := must[*cloudwatchlogs.ListTagsForResourceOutput](t)(c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: arn}))
		if diff := cmp.Diff(want, byARN.Tags); diff != "" {
			t.Errorf("ListTagsForResource (-want +got):\n%s", diff)
		}
		byName := must[*cloudwatchlogs.ListTagsLogGroupOutput](t)(c.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: &group}))
		if diff := cmp.Diff(want, byName.Tags); diff != "" {
			t.Errorf("ListTagsLogGroup (-want +got):\n%s", diff)
		}
	}
	steps := []struct {
		name string
		do   func() error
		want map[string]string
	}{
		{"after create", func() error { return nil }, map[string]string{"env": "testing1"}},
		{"TagResource", func() error {
			_, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: arn, Tags: map[string]string{"test1": "val1", "test2": "val2"}})
			return err
		}, map[string]string{"env": "testing1", "test1": "val1", "test2": "val2"}},
		{"TagLogGroup", func() error {
			_, err := c.TagLogGroup(ctx, &cloudwatchlogs.TagLogGroupInput{LogGroupName: &group, Tags: map[string]string{"test3": "val3"}})
			return err
		}, map[string]string{"env": "testing1", "test1": "val1", "test2": "val2", "test3": "val3"}},
		{"UntagResource", func() error {
			_, err := c.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"env", "test1"}})
			return err
		}, map[string]string{"test2": "val2", "test3": "val3"}},
		{"UntagLogGroup", func() error {
			_, err := c.UntagLogGroup(ctx, &cloudwatchlogs.UntagLogGroupInput{LogGroupName: &group, Tags: []string{"test3", "absent"}})
			return err
		}, map[string]string{"test2": "val2"}},
		{"untag all", func() error {
			_, err := c.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: arn, TagKeys: []string{"test2"}})
			return err
		}, map[string]string{}},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		t.Run(step.name, func(t *testing.T) { listBoth(t, step.want) })
	}

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name    string
			do      func() error
			wantErr errorCheck
		}{
			{"unknown group by ARN", func() error {
				_, err := c.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(groupARN(account1, "nope"))})
				return err
			}, errGroupNotFound},
			{"not a log group ARN", func() error {
				_, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String("arn:aws:logs:us-east-1:111111111111:destination:d"), Tags: map[string]string{"a": "b"}})
				return err
			}, errGroupNotFound},
			{"unknown group by name", func() error {
				_, err := c.TagLogGroup(ctx, &cloudwatchlogs.TagLogGroupInput{LogGroupName: aws.String("nope"), Tags: map[string]string{"a": "b"}})
				return err
			}, errGroupNotFound},
			{"too many", func() error {
				tags := map[string]string{}
				for i := range 51 {
					tags[fmt.Sprint("k", i)] = "v"
				}
				// The model caps one request at 50: add 30, then 21 more.
				first, rest := map[string]string{}, map[string]string{}
				for k, v := range tags {
					if len(first) < 30 {
						first[k] = v
					} else {
						rest[k] = v
					}
				}
				if _, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: arn, Tags: first}); err != nil {
					return err
				}
				_, err := c.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: arn, Tags: rest})
				return err
			}, errorIs[*types.TooManyTagsException]("A resource can have no more than 50 tags.")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { checkError(t, tt.do(), tt.wantErr) })
		}
	})
}
