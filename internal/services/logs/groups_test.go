package logs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreSDK ignores the SDK's unexported bookkeeping in output types.
var ignoreSDK = cmpopts.IgnoreUnexported(
	types.LogGroup{}, types.LogStream{}, types.OutputLogEvent{}, types.FilteredLogEvent{},
	types.RejectedLogEventsInfo{}, types.SearchedLogStream{},
)

func groupARN(account, name string) string {
	return "arn:aws:logs:us-east-1:" + account + ":log-group:" + name
}

// wantGroup is how DescribeLogGroups shows a fresh group created at epoch.
func wantGroup(account, name string) types.LogGroup {
	return types.LogGroup{
		Arn:                       aws.String(groupARN(account, name) + ":*"),
		LogGroupArn:               aws.String(groupARN(account, name)),
		LogGroupName:              aws.String(name),
		CreationTime:              aws.Int64(epoch.UnixMilli()),
		LogGroupClass:             types.LogGroupClassStandard,
		MetricFilterCount:         aws.Int32(0),
		StoredBytes:               aws.Int64(0),
		DeletionProtectionEnabled: aws.Bool(false),
	}
}

func TestCreateLogGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      cloudwatchlogs.CreateLogGroupInput
		want    func(types.LogGroup) types.LogGroup
		wantErr errorCheck
	}{
		{
			name: "plain",
			in:   cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/web")},
			want: func(g types.LogGroup) types.LogGroup { return g },
		},
		{
			name: "class, key and protection",
			in: cloudwatchlogs.CreateLogGroupInput{
				LogGroupName:              aws.String("ia"),
				LogGroupClass:             types.LogGroupClassInfrequentAccess,
				KmsKeyId:                  aws.String("arn:aws:kms:us-east-1:111111111111:key/k"),
				DeletionProtectionEnabled: aws.Bool(true),
			},
			want: func(g types.LogGroup) types.LogGroup {
				g.LogGroupClass = types.LogGroupClassInfrequentAccess
				g.KmsKeyId = aws.String("arn:aws:kms:us-east-1:111111111111:key/k")
				g.DeletionProtectionEnabled = aws.Bool(true)
				return g
			},
		},
		{
			name:    "duplicate",
			in:      cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("existing")},
			wantErr: errorIs[*types.ResourceAlreadyExistsException]("The specified log group already exists"),
		},
		{
			name:    "bad character",
			in:      cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("a b")},
			wantErr: errorIs[*types.InvalidParameterException]("1 validation error detected: Value 'a b' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"),
		},
		{
			name:    "too long",
			in:      cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(strings.Repeat("x", 513))},
			wantErr: errorIs[*types.InvalidParameterException]("Invalid LogGroup or LogStream, both must have length less than or equal to 512."),
		},
	}
	e := start(t)
	c := e.client(account1)
	createGroup(t, c, "existing")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateLogGroup(ctx, &tt.in)
			checkError(t, err, tt.wantErr)
			if err != nil {
				return
			}
			out := must[*cloudwatchlogs.DescribeLogGroupsOutput](t)(c.DescribeLogGroups(ctx,
				&cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: tt.in.LogGroupName}))
			want := []types.LogGroup{tt.want(wantGroup(account1, *tt.in.LogGroupName))}
			if diff := cmp.Diff(want, out.LogGroups, ignoreSDK); diff != "" {
				t.Errorf("DescribeLogGroups (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeleteLogGroup(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	createGroup(t, c, "doomed", "s1", "s2")
	createGroup(t, c, "doomed2", "s1")
	put(t, e, c, "doomed", "s1", ev(0, "a"), ev(1, "b"))
	put(t, e, c, "doomed2", "s1", ev(0, "kept"))

	if _, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("doomed")})
	errGroupNotFound(t, err)

	// A new group of the same name starts empty.
	createGroup(t, c, "doomed")
	streams := must[*cloudwatchlogs.DescribeLogStreamsOutput](t)(c.DescribeLogStreams(ctx,
		&cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("doomed")}))
	if len(streams.LogStreams) != 0 {
		t.Errorf("streams of the re-created group = %d, want 0", len(streams.LogStreams))
	}
	createGroup(t, c, "x", "s1")
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("doomed"), LogStreamName: aws.String("s1")})
	errStreamNotFound(t, err)
	// Its neighbour "doomed2" is untouched.
	got := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx,
		&cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("doomed2"), LogStreamName: aws.String("s1")}))
	if len(got.Events) != 1 {
		t.Errorf("events of doomed2 = %d, want 1", len(got.Events))
	}
}

func TestDescribeLogGroups(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	for _, name := range []string{"/aws/lambda/a", "/aws/lambda/b", "/app/DataLogs", "GroupDataLogs", "datalogs"} {
		createGroup(t, c, name)
	}
	ia := "infrequent"
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: &ia, LogGroupClass: types.LogGroupClassInfrequentAccess}); err != nil {
		t.Fatal(err)
	}
	// Pattern searches show fewer members, as AWS's do.
	patterned := func(name string) types.LogGroup {
		g := wantGroup(account1, name)
		g.StoredBytes, g.DeletionProtectionEnabled = nil, nil
		return g
	}
	tests := []struct {
		name    string
		in      cloudwatchlogs.DescribeLogGroupsInput
		want    []types.LogGroup
		wantErr errorCheck
	}{
		{
			name: "prefix",
			in:   cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")},
			want: []types.LogGroup{wantGroup(account1, "/aws/lambda/a"), wantGroup(account1, "/aws/lambda/b")},
		},
		{
			name: "pattern is a case-sensitive substring",
			in:   cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("DataLogs")},
			want: []types.LogGroup{patterned("/app/DataLogs"), patterned("GroupDataLogs")},
		},
		{
			name: "no match",
			in:   cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("nothing")},
			want: []types.LogGroup{},
		},
		{
			name: "class",
			in:   cloudwatchlogs.DescribeLogGroupsInput{LogGroupClass: types.LogGroupClassInfrequentAccess},
			want: []types.LogGroup{func() types.LogGroup {
				g := wantGroup(account1, "infrequent")
				g.LogGroupClass = types.LogGroupClassInfrequentAccess
				return g
			}()},
		},
		{
			name: "identifiers",
			in:   cloudwatchlogs.DescribeLogGroupsInput{LogGroupIdentifiers: []string{"datalogs", groupARN(account1, "/aws/lambda/b")}},
			want: []types.LogGroup{wantGroup(account1, "/aws/lambda/b"), wantGroup(account1, "datalogs")},
		},
		{
			name:    "prefix and pattern",
			in:      cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("a"), LogGroupNamePattern: aws.String("b")},
			wantErr: errorIs[*types.InvalidParameterException]("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."),
		},
		{
			name:    "bad token",
			in:      cloudwatchlogs.DescribeLogGroupsInput{NextToken: aws.String("!!")},
			wantErr: errBadToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.DescribeLogGroups(ctx, &tt.in)
			checkError(t, err, tt.wantErr)
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, out.LogGroups, ignoreSDK, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if out.NextToken != nil {
				t.Errorf("nextToken = %q, want none", *out.NextToken)
			}
		})
	}
}

func TestDescribeLogGroupsPaging(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("g%02d", i)
		createGroup(t, c, name)
		want = append(want, name)
	}
	createGroup(t, c, "other")
	tests := []struct {
		name      string
		limit     int32
		wantPages int
	}{
		{"limit 1", 1, 7},
		{"limit 3", 3, 3},
		{"limit 7", 7, 1},
		{"default", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("g")}
			if tt.limit > 0 {
				in.Limit = aws.Int32(tt.limit)
			}
			var got []string
			pages := 0
			p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, in)
			for p.HasMorePages() {
				out := must[*cloudwatchlogs.DescribeLogGroupsOutput](t)(p.NextPage(ctx))
				pages++
				for _, g := range out.LogGroups {
					got = append(got, *g.LogGroupName)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			if pages != tt.wantPages {
				t.Errorf("pages = %d, want %d", pages, tt.wantPages)
			}
		})
	}
}

func TestAccountsAndRegionsIsolated(t *testing.T) {
	t.Parallel()
	e := start(t)
	c1, c2 := e.client(account1), e.client(account2)
	c1west := cloudwatchlogs.New(c1.Options(), func(o *cloudwatchlogs.Options) { o.Region = "eu-west-1" })
	createGroup(t, c1, "shared-name", "s")
	put(t, e, c1, "shared-name", "s", ev(0, "account1's secret"))

	// The same name is free in the other account and the other region.
	createGroup(t, c2, "shared-name", "s")
	createGroup(t, c1west, "shared-name")

	tests := []struct {
		name    string
		c       *cloudwatchlogs.Client
		wantARN string
	}{
		{"other account", c2, "arn:aws:logs:us-east-1:" + account2 + ":log-group:shared-name:*"},
		{"other region", c1west, "arn:aws:logs:eu-west-1:" + account1 + ":log-group:shared-name:*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := must[*cloudwatchlogs.DescribeLogGroupsOutput](t)(tt.c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}))
			var arns []string
			for _, g := range out.LogGroups {
				arns = append(arns, *g.Arn)
			}
			if diff := cmp.Diff([]string{tt.wantARN}, arns); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			f := must[*cloudwatchlogs.FilterLogEventsOutput](t)(tt.c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("shared-name")}))
			if len(f.Events) != 0 {
				t.Errorf("FilterLogEvents sees %d events of account1", len(f.Events))
			}
		})
	}
	t.Run("ARN of another account", func(t *testing.T) {
		_, err := c2.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(groupARN(account1, "shared-name"))})
		errGroupNotFound(t, err)
		_, err = c2.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(groupARN(account1, "shared-name"))})
		errGroupNotFound(t, err)
	})
	t.Run("delete is per account", func(t *testing.T) {
		if _, err := c2.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("shared-name")}); err != nil {
			t.Fatal(err)
		}
		got := must[*cloudwatchlogs.GetLogEventsOutput](t)(c1.GetLogEvents(ctx,
			&cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("shared-name"), LogStreamName: aws.String("s")}))
		if len(got.Events) != 1 {
			t.Errorf("account1's events = %d, want 1", len(got.Events))
		}
	})
}

func TestNotImplemented(t *testing.T) {
	t.Parallel()
	e := start(t)
	_, err := e.client(account1).DescribeMetricFilters(ctx, &cloudwatchlogs.DescribeMetricFiltersInput{})
	if err == nil || !strings.Contains(err.Error(), "NotImplemented") {
		t.Errorf("DescribeMetricFilters error = %v, want NotImplemented", err)
	}
}
