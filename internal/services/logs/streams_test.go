package logs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func streamARN(group, stream string) string {
	return groupARN(account1, group) + ":log-stream:" + stream
}

func TestCreateAndDeleteLogStream(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	createGroup(t, c, "g", "existing")
	tests := []struct {
		name    string
		group   string
		stream  string
		wantErr errorCheck
	}{
		{name: "new", group: "g", stream: "2026/03/01/[$LATEST]abc"},
		{name: "duplicate", group: "g", stream: "existing",
			wantErr: errorIs[*types.ResourceAlreadyExistsException]("The specified log stream already exists")},
		{name: "no group", group: "nope", stream: "s", wantErr: errGroupNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: &tt.group, LogStreamName: &tt.stream})
			checkError(t, err, tt.wantErr)
		})
	}
	t.Run("delete", func(t *testing.T) {
		put(t, e, c, "g", "existing", ev(0, "x"))
		if _, err := c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("existing")}); err != nil {
			t.Fatal(err)
		}
		_, err := c.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("existing")})
		errStreamNotFound(t, err)
		_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("existing")})
		errStreamNotFound(t, err)
		// Re-created, it has no events left.
		createGroup(t, c, "g2")
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("existing")}); err != nil {
			t.Fatal(err)
		}
		got := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("existing")}))
		if len(got.Events) != 0 {
			t.Errorf("events = %d, want 0", len(got.Events))
		}
	})
}

func TestDescribeLogStreams(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	createGroup(t, c, "g", "app-1", "app-2", "web-1", "quiet")
	e.clock.Advance(time.Second)
	// Last event times: web-1 oldest, then app-2, then app-1.
	put(t, e, c, "g", "web-1", ev(-500, "w"))
	put(t, e, c, "g", "app-2", ev(-300, "a"), ev(-200, "bb"))
	put(t, e, c, "g", "app-1", ev(-100, "c"))

	fresh := func(name string) types.LogStream {
		return types.LogStream{
			Arn:           aws.String(streamARN("g", name)),
			LogStreamName: aws.String(name),
			CreationTime:  aws.Int64(ms(0)),
			//lint:ignore SA1019 AWS still sends storedBytes (as 0), and so does Nimbus
			StoredBytes: aws.Int64(0),
		}
	}
	withEvents := func(name string, first, last int64, seq int) types.LogStream {
		s := fresh(name)
		s.FirstEventTimestamp = aws.Int64(ms(first))
		s.LastEventTimestamp = aws.Int64(ms(last))
		s.LastIngestionTime = aws.Int64(ms(1000))
		s.UploadSequenceToken = aws.String(fmt.Sprintf("%056d", seq))
		return s
	}
	app1 := withEvents("app-1", 900, 900, 1)
	app2 := withEvents("app-2", 700, 800, 2)
	web1 := withEvents("web-1", 500, 500, 1)
	quiet := fresh("quiet")

	tests := []struct {
		name    string
		in      cloudwatchlogs.DescribeLogStreamsInput
		want    []types.LogStream
		wantErr errorCheck
	}{
		{
			name: "by name",
			in:   cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g")},
			want: []types.LogStream{app1, app2, quiet, web1},
		},
		{
			name: "by name descending",
			in:   cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), Descending: aws.Bool(true)},
			want: []types.LogStream{web1, quiet, app2, app1},
		},
		{
			name: "prefix",
			in:   cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), LogStreamNamePrefix: aws.String("app-")},
			want: []types.LogStream{app1, app2},
		},
		{
			name: "by last event time",
			in:   cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), OrderBy: types.OrderByLastEventTime},
			want: []types.LogStream{quiet, web1, app2, app1},
		},
		{
			name: "by last event time descending",
			in:   cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)},
			want: []types.LogStream{app1, app2, web1, quiet},
		},
		{
			name: "group by ARN",
			in:   cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String(groupARN(account1, "g")), LogStreamNamePrefix: aws.String("web")},
			want: []types.LogStream{web1},
		},
		{
			name: "group by name as identifier",
			in:   cloudwatchlogs.DescribeLogStreamsInput{LogGroupIdentifier: aws.String("g"), LogStreamNamePrefix: aws.String("web")},
			want: []types.LogStream{web1},
		},
		{
			name:    "name and identifier",
			in:      cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), LogGroupIdentifier: aws.String("g")},
			wantErr: errorIs[*types.ValidationException]("LogGroup name and LogGroup ARN are mutually exclusive parameters."),
		},
		{
			name:    "last event time with prefix",
			in:      cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("a")},
			wantErr: errorIs[*types.InvalidParameterException]("Cannot order by LastEventTime with a logStreamNamePrefix."),
		},
		{
			name:    "no group",
			in:      cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("nope")},
			wantErr: errGroupNotFound,
		},
		{
			name:    "bad token",
			in:      cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), NextToken: aws.String("garbage")},
			wantErr: errBadToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.DescribeLogStreams(ctx, &tt.in)
			checkError(t, err, tt.wantErr)
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, out.LogStreams, ignoreSDK, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeLogStreamsPaging(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	createGroup(t, c, "g", "s0", "s1", "s2", "s3", "s4", "s5", "s6")
	e.clock.Advance(100 * time.Millisecond)
	// Last event times: s1 newest … s5 oldest, s6 tied with s5, s0 none.
	for i, offset := range []int64{0, -10, -20, -30, -40, -50, -50} {
		if i > 0 {
			put(t, e, c, "g", fmt.Sprintf("s%d", i), ev(offset, "x"))
		}
	}
	tests := []struct {
		name string
		in   cloudwatchlogs.DescribeLogStreamsInput
		want []string
	}{
		{"name", cloudwatchlogs.DescribeLogStreamsInput{}, []string{"s0", "s1", "s2", "s3", "s4", "s5", "s6"}},
		{"name descending", cloudwatchlogs.DescribeLogStreamsInput{Descending: aws.Bool(true)}, []string{"s6", "s5", "s4", "s3", "s2", "s1", "s0"}},
		{"time", cloudwatchlogs.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime}, []string{"s0", "s5", "s6", "s4", "s3", "s2", "s1"}},
		{"time descending", cloudwatchlogs.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)}, []string{"s1", "s2", "s3", "s4", "s6", "s5", "s0"}},
	}
	for _, tt := range tests {
		for _, limit := range []int32{1, 2, 3, 7, 50} {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				in := tt.in
				in.LogGroupName, in.Limit = aws.String("g"), aws.Int32(limit)
				var got []string
				p := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, &in)
				for p.HasMorePages() {
					out := must[*cloudwatchlogs.DescribeLogStreamsOutput](t)(p.NextPage(ctx))
					if len(out.LogStreams) > int(limit) {
						t.Fatalf("page of %d streams, limit %d", len(out.LogStreams), limit)
					}
					for _, s := range out.LogStreams {
						got = append(got, *s.LogStreamName)
					}
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}
