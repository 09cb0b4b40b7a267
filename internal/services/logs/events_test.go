package logs_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	hour = int64(time.Hour / time.Millisecond)
	day  = 24 * hour
)

func TestPutLogEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		retention int32
		stream    string // default "s"
		seqToken  *string
		events    []event
		want      *types.RejectedLogEventsInfo
		wantSeq   int
		wantKept  []string
		wantErr   errorCheck
	}{
		{
			name:     "accepted",
			events:   []event{ev(-1, "one"), ev(0, "two"), ev(0, "three")},
			wantSeq:  3,
			wantKept: []string{"one", "two", "three"},
		},
		{
			name:     "sequence token ignored",
			seqToken: aws.String("49590302947284752918208930232"),
			events:   []event{ev(0, "x")},
			wantSeq:  1,
			wantKept: []string{"x"},
		},
		{
			name:    "wrong order",
			events:  []event{ev(0, "b"), ev(-1, "a")},
			wantErr: errorIs[*types.InvalidParameterException]("Log events in a single PutLogEvents request must be in chronological order."),
		},
		{
			name:    "no stream",
			stream:  "nope",
			events:  []event{ev(0, "x")},
			wantErr: errStreamNotFound,
		},
		{
			name:     "too old",
			events:   []event{ev(-15*day, "old"), ev(-14*day-1, "old too"), ev(-1000, "recent"), ev(0, "now")},
			want:     &types.RejectedLogEventsInfo{TooOldLogEventEndIndex: aws.Int32(2)},
			wantSeq:  2,
			wantKept: []string{"recent", "now"},
		},
		{
			name:     "too new",
			events:   []event{ev(0, "now"), ev(2*hour, "just in"), ev(2*hour+1, "new"), ev(3*hour, "newer")},
			want:     &types.RejectedLogEventsInfo{TooNewLogEventStartIndex: aws.Int32(2)},
			wantSeq:  2,
			wantKept: []string{"now", "just in"},
		},
		{
			name:      "expired by retention",
			retention: 1,
			events:    []event{ev(-2*day, "expired"), ev(-day-1, "expired too"), ev(-day+1000, "kept")},
			want:      &types.RejectedLogEventsInfo{ExpiredLogEventEndIndex: aws.Int32(2)},
			wantSeq:   1,
			wantKept:  []string{"kept"},
		},
		{
			name:      "all three",
			retention: 3,
			events:    []event{ev(-20*day, "old"), ev(-4*day, "expired"), ev(-1, "kept"), ev(5*hour, "new")},
			want: &types.RejectedLogEventsInfo{
				TooOldLogEventEndIndex:   aws.Int32(1),
				ExpiredLogEventEndIndex:  aws.Int32(2),
				TooNewLogEventStartIndex: aws.Int32(3),
			},
			wantSeq:  1,
			wantKept: []string{"kept"},
		},
		{
			name:    "all rejected",
			events:  []event{ev(-20*day, "old")},
			want:    &types.RejectedLogEventsInfo{TooOldLogEventEndIndex: aws.Int32(1)},
			wantSeq: 0,
		},
		{
			name:     "largest batch",
			events:   []event{ev(0, strings.Repeat("x", 1_048_576-26))},
			wantSeq:  1,
			wantKept: []string{strings.Repeat("x", 1_048_576-26)},
		},
		{
			name:    "batch too large",
			events:  []event{ev(0, strings.Repeat("x", 600_000)), ev(0, strings.Repeat("y", 448_525))},
			wantErr: errorIs[*types.InvalidParameterException]("Upload too large: 1048577 bytes exceeds limit of 1048576"),
		},
		{
			name:    "spans more than a day",
			events:  []event{ev(-day-1, "a"), ev(0, "b")},
			wantErr: errorIs[*types.InvalidParameterException]("The batch of log events in a single PutLogEvents request cannot span more than 24 hours."),
		},
	}
	e := start(t)
	c := e.client(account1)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			group := fmt.Sprintf("g%d", i)
			createGroup(t, c, group, "s")
			if tt.retention > 0 {
				if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: &group, RetentionInDays: &tt.retention}); err != nil {
					t.Fatal(err)
				}
			}
			stream := tt.stream
			if stream == "" {
				stream = "s"
			}
			in := &cloudwatchlogs.PutLogEventsInput{LogGroupName: &group, LogStreamName: &stream, SequenceToken: tt.seqToken}
			for _, ev := range tt.events {
				in.LogEvents = append(in.LogEvents, types.InputLogEvent{Timestamp: aws.Int64(ms(ev.ms)), Message: aws.String(ev.msg)})
			}
			out, err := c.PutLogEvents(ctx, in)
			checkError(t, err, tt.wantErr)
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, out.RejectedLogEventsInfo, ignoreSDK); diff != "" {
				t.Errorf("rejectedLogEventsInfo (-want +got):\n%s", diff)
			}
			if want := fmt.Sprintf("%056d", tt.wantSeq); aws.ToString(out.NextSequenceToken) != want {
				t.Errorf("nextSequenceToken = %q, want %q", aws.ToString(out.NextSequenceToken), want)
			}
			got := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx,
				&cloudwatchlogs.GetLogEventsInput{LogGroupName: &group, LogStreamName: &stream, StartFromHead: aws.Bool(true)}))
			var kept []string
			for _, e := range got.Events {
				kept = append(kept, *e.Message)
			}
			if diff := cmp.Diff(tt.wantKept, kept, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("stored messages (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("no group", func(t *testing.T) {
		_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("nope"), LogStreamName: aws.String("s"),
			LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(ms(0)), Message: aws.String("x")}}})
		errGroupNotFound(t, err)
	})
}

// tenEvents fills stream s of group g with events e0…e9 at 0…8 ms, e4 and
// e5 sharing a timestamp, and returns their messages.
func tenEvents(t *testing.T, e *env, c *cloudwatchlogs.Client) []string {
	t.Helper()
	createGroup(t, c, "g", "s")
	var evs []event
	var msgs []string
	for i := range 10 {
		off := int64(i)
		if i >= 5 {
			off--
		}
		evs = append(evs, ev(off, fmt.Sprintf("e%d", i)))
		msgs = append(msgs, fmt.Sprintf("e%d", i))
	}
	put(t, e, c, "g", "s", evs...)
	return msgs
}

func messages(events []types.OutputLogEvent) []string {
	var m []string
	for _, e := range events {
		m = append(m, *e.Message)
	}
	return m
}

func TestGetLogEvents(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	all := tenEvents(t, e, c)
	tests := []struct {
		name    string
		in      cloudwatchlogs.GetLogEventsInput
		want    []string
		wantErr errorCheck
	}{
		{name: "newest by default", in: cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(3)}, want: all[7:]},
		{name: "oldest from head", in: cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(3), StartFromHead: aws.Bool(true)}, want: all[:3]},
		{name: "everything", in: cloudwatchlogs.GetLogEventsInput{}, want: all},
		{
			name: "time range, end exclusive",
			in:   cloudwatchlogs.GetLogEventsInput{StartTime: aws.Int64(ms(2)), EndTime: aws.Int64(ms(5))},
			want: []string{"e2", "e3", "e4", "e5"},
		},
		{
			name: "time range from head",
			in:   cloudwatchlogs.GetLogEventsInput{StartTime: aws.Int64(ms(4)), EndTime: aws.Int64(ms(6)), StartFromHead: aws.Bool(true), Limit: aws.Int32(2)},
			want: []string{"e4", "e5"},
		},
		{name: "group by ARN", in: cloudwatchlogs.GetLogEventsInput{LogGroupIdentifier: aws.String(groupARN(account1, "g")), Limit: aws.Int32(1)}, want: all[9:]},
		{name: "no stream", in: cloudwatchlogs.GetLogEventsInput{LogStreamName: aws.String("nope")}, wantErr: errStreamNotFound},
		{name: "no group", in: cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("nope")}, wantErr: errGroupNotFound},
		{name: "bad token", in: cloudwatchlogs.GetLogEventsInput{NextToken: aws.String("f/123/s")}, wantErr: errBadToken},
		{
			name:    "limit too large",
			in:      cloudwatchlogs.GetLogEventsInput{Limit: aws.Int32(10001)},
			wantErr: errorIs[*types.InvalidParameterException]("1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.LogGroupName == nil && in.LogGroupIdentifier == nil {
				in.LogGroupName = aws.String("g")
			}
			if in.LogStreamName == nil {
				in.LogStreamName = aws.String("s")
			}
			out, err := c.GetLogEvents(ctx, &in)
			checkError(t, err, tt.wantErr)
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, messages(out.Events)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if out.NextForwardToken == nil || out.NextBackwardToken == nil {
				t.Errorf("tokens = %v, %v; want both", out.NextForwardToken, out.NextBackwardToken)
			}
		})
	}
	t.Run("event fields", func(t *testing.T) {
		out := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(1), StartFromHead: aws.Bool(true)}))
		want := []types.OutputLogEvent{{Message: aws.String("e0"), Timestamp: aws.Int64(ms(0)), IngestionTime: aws.Int64(ms(0))}}
		if diff := cmp.Diff(want, out.Events, ignoreSDK); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// pageAll follows one direction's tokens until AWS's end condition (the
// token comes back unchanged) and returns the messages in stream order and
// the number of calls.
func pageAll(t *testing.T, c *cloudwatchlogs.Client, in cloudwatchlogs.GetLogEventsInput, forward bool) ([]string, int, string) {
	t.Helper()
	var got []string
	calls := 0
	for {
		out := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &in))
		calls++
		if calls > 100 {
			t.Fatal("paging does not end")
		}
		next := out.NextBackwardToken
		if forward {
			got = append(got, messages(out.Events)...)
			next = out.NextForwardToken
		} else {
			got = append(messages(out.Events), got...)
		}
		if in.NextToken != nil && *next == *in.NextToken {
			if len(out.Events) != 0 {
				t.Errorf("last page has %d events", len(out.Events))
			}
			return got, calls, *next
		}
		in.NextToken = next
	}
}

func TestGetLogEventsPaging(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	all := tenEvents(t, e, c)
	base := cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}
	for _, limit := range []int32{1, 3, 5, 10, 100} {
		for _, forward := range []bool{true, false} {
			t.Run(fmt.Sprintf("limit %d forward %t", limit, forward), func(t *testing.T) {
				in := base
				in.Limit, in.StartFromHead = aws.Int32(limit), aws.Bool(forward)
				got, calls, _ := pageAll(t, c, in, forward)
				if diff := cmp.Diff(all, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				if want := (10+int(limit)-1)/int(limit) + 1; calls != want {
					t.Errorf("calls = %d, want %d", calls, want)
				}
			})
		}
	}
	t.Run("turn around", func(t *testing.T) {
		in := base
		in.Limit = aws.Int32(3)
		tail := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &in))
		in.NextToken = tail.NextBackwardToken
		back := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &in))
		if diff := cmp.Diff(all[4:7], messages(back.Events)); diff != "" {
			t.Errorf("backward (-want +got):\n%s", diff)
		}
		in.NextToken = back.NextForwardToken
		fwd := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &in))
		if diff := cmp.Diff(all[7:10], messages(fwd.Events)); diff != "" {
			t.Errorf("forward again (-want +got):\n%s", diff)
		}
	})
	t.Run("follow new events", func(t *testing.T) {
		in := base
		in.StartFromHead = aws.Bool(true)
		_, _, token := pageAll(t, c, in, true)
		put(t, e, c, "g", "s", ev(20, "late"))
		in.NextToken = &token
		out := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &in))
		if diff := cmp.Diff([]string{"late"}, messages(out.Events)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("empty stream", func(t *testing.T) {
		createGroup(t, c, "empty", "s")
		for _, forward := range []bool{true, false} {
			got, calls, _ := pageAll(t, c, cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("empty"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(forward)}, forward)
			if len(got) != 0 || calls != 2 {
				t.Errorf("forward %t: %d events in %d calls, want 0 in 2", forward, len(got), calls)
			}
		}
	})
}

func TestGetLogEventsPageBytes(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	createGroup(t, c, "g", "s")
	big := strings.Repeat("x", 400_000)
	for i := range 3 {
		put(t, e, c, "g", "s", ev(int64(i), big))
	}
	out := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)}))
	if len(out.Events) != 2 {
		t.Errorf("page of three 400 kB events holds %d, want 2 (1 MB limit)", len(out.Events))
	}
}
