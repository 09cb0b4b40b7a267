package logs_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// hit is a FilterLogEvents result as stream/message.
func hits(events []types.FilteredLogEvent) []string {
	var h []string
	for _, e := range events {
		h = append(h, *e.LogStreamName+"/"+*e.Message)
	}
	return h
}

// filterFixture fills group g with three streams and returns every event
// in merge order (time, stream).
func filterFixture(t *testing.T, e *env, c *cloudwatchlogs.Client) []string {
	t.Helper()
	createGroup(t, c, "g", "a", "b", "c")
	put(t, e, c, "g", "a", ev(0, "ERROR disk"), ev(2, "INFO ok"), ev(4, `{"level":"error","n":1}`))
	put(t, e, c, "g", "b", ev(0, "WARN low"), ev(1, "ERROR net"), ev(4, "INFO b"))
	put(t, e, c, "g", "c", ev(3, "DEBUG x"))
	return []string{"a/ERROR disk", "b/WARN low", "b/ERROR net", "a/INFO ok", "c/DEBUG x", `a/{"level":"error","n":1}`, "b/INFO b"}
}

func TestFilterLogEvents(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	all := filterFixture(t, e, c)
	tests := []struct {
		name    string
		in      cloudwatchlogs.FilterLogEventsInput
		want    []string
		wantErr errorCheck
	}{
		{name: "everything, interleaved", want: all},
		{name: "term", in: cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, want: []string{"a/ERROR disk", "b/ERROR net"}},
		{name: "optional terms", in: cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("?WARN ?DEBUG")}, want: []string{"b/WARN low", "c/DEBUG x"}},
		{name: "exclusion", in: cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String("INFO -ok")}, want: []string{"b/INFO b"}},
		{name: "json", in: cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String(`{ $.level = "error" }`)}, want: []string{`a/{"level":"error","n":1}`}},
		{name: "stream names", in: cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"c", "b", "nope"}}, want: []string{"b/WARN low", "b/ERROR net", "c/DEBUG x", "b/INFO b"}},
		{name: "stream prefix", in: cloudwatchlogs.FilterLogEventsInput{LogStreamNamePrefix: aws.String("a")}, want: []string{"a/ERROR disk", "a/INFO ok", `a/{"level":"error","n":1}`}},
		{name: "time range, both ends inclusive", in: cloudwatchlogs.FilterLogEventsInput{StartTime: aws.Int64(ms(1)), EndTime: aws.Int64(ms(3))}, want: []string{"b/ERROR net", "a/INFO ok", "c/DEBUG x"}},
		{name: "group by ARN", in: cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: aws.String(groupARN(account1, "g")), FilterPattern: aws.String("DEBUG")}, want: []string{"c/DEBUG x"}},
		{
			name:    "names and prefix",
			in:      cloudwatchlogs.FilterLogEventsInput{LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("a")},
			wantErr: errorIs[*types.InvalidParameterException]("logStreamNames and logStreamNamePrefix are mutually exclusive parameters."),
		},
		{
			name:    "bad pattern",
			in:      cloudwatchlogs.FilterLogEventsInput{FilterPattern: aws.String(`"unterminated`)},
			wantErr: errorIs[*types.InvalidParameterException]("Invalid filter pattern: unterminated quoted string"),
		},
		{name: "no group", in: cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")}, wantErr: errGroupNotFound},
		{name: "bad token", in: cloudwatchlogs.FilterLogEventsInput{NextToken: aws.String("x")}, wantErr: errBadToken},
		{
			name:    "limit too large",
			in:      cloudwatchlogs.FilterLogEventsInput{Limit: aws.Int32(10001)},
			wantErr: errorIs[*types.InvalidParameterException]("1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.LogGroupName == nil && in.LogGroupIdentifier == nil {
				in.LogGroupName = aws.String("g")
			}
			out, err := c.FilterLogEvents(ctx, &in)
			checkError(t, err, tt.wantErr)
			if err != nil {
				return
			}
			if diff := gocmp.Diff(tt.want, hits(out.Events), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if out.NextToken != nil {
				t.Errorf("nextToken = %q, want none", *out.NextToken)
			}
			if out.SearchedLogStreams == nil || len(out.SearchedLogStreams) != 0 {
				t.Errorf("searchedLogStreams = %v, want [] as AWS sends", out.SearchedLogStreams)
			}
		})
	}
	t.Run("event fields", func(t *testing.T) {
		out := must[*cloudwatchlogs.FilterLogEventsOutput](t)(c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName: aws.String("g"), FilterPattern: aws.String("DEBUG")}))
		if len(out.Events) != 1 {
			t.Fatalf("events = %d, want 1", len(out.Events))
		}
		got := out.Events[0]
		want := types.FilteredLogEvent{LogStreamName: aws.String("c"), Message: aws.String("DEBUG x"),
			Timestamp: aws.Int64(ms(3)), IngestionTime: aws.Int64(ms(0)), EventId: got.EventId}
		if diff := gocmp.Diff(want, got, ignoreSDK); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !regexp.MustCompile(`^[0-9]{56}$`).MatchString(aws.ToString(got.EventId)) {
			t.Errorf("eventId = %q, want 56 digits", aws.ToString(got.EventId))
		}
	})
	t.Run("event ids unique", func(t *testing.T) {
		out := must[*cloudwatchlogs.FilterLogEventsOutput](t)(c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")}))
		seen := map[string]bool{}
		for _, e := range out.Events {
			if seen[*e.EventId] {
				t.Errorf("duplicate eventId %s", *e.EventId)
			}
			seen[*e.EventId] = true
		}
	})
}

// filterAll pages through FilterLogEvents and returns the hits and pages.
func filterAll(t *testing.T, c *cloudwatchlogs.Client, in *cloudwatchlogs.FilterLogEventsInput) ([]string, int) {
	t.Helper()
	var got []string
	pages := 0
	p := cloudwatchlogs.NewFilterLogEventsPaginator(c, in)
	for p.HasMorePages() {
		out := must[*cloudwatchlogs.FilterLogEventsOutput](t)(p.NextPage(ctx))
		if in.Limit != nil && len(out.Events) > int(*in.Limit) {
			t.Fatalf("page of %d events, limit %d", len(out.Events), *in.Limit)
		}
		got = append(got, hits(out.Events)...)
		if pages++; pages > 10_000 {
			t.Fatal("paging does not end")
		}
	}
	return got, pages
}

func TestFilterLogEventsPaging(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	all := filterFixture(t, e, c)
	for _, limit := range []int32{1, 2, 3, 6, 7, 100} {
		for _, pattern := range []string{"", "INFO"} {
			t.Run(fmt.Sprintf("limit %d pattern %q", limit, pattern), func(t *testing.T) {
				got, _ := filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(limit), FilterPattern: &pattern})
				want := all
				if pattern != "" {
					want = slices.DeleteFunc(slices.Clone(all), func(h string) bool { return !strings.Contains(h, pattern) })
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestFilterLogEventsMerge merges many streams whose events do not fit in
// one chunk or one page.
func TestFilterLogEventsMerge(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	streams := []string{"s0", "s1", "s2", "s3", "s4"}
	createGroup(t, c, "g", streams...)
	type rec struct {
		ts     int64
		stream string
		seq    int
		hit    string
	}
	var want []rec
	rng := rand.New(rand.NewPCG(1, 2))
	pad := strings.Repeat(".", 2000)
	for _, s := range streams {
		var evs []event
		ts := int64(0)
		for i := range 200 {
			ts += rng.Int64N(3)
			msg := fmt.Sprintf("%s-%d %s", s, i, pad)
			evs = append(evs, ev(ts, msg))
			want = append(want, rec{ts, s, i, s + "/" + msg})
		}
		put(t, e, c, "g", s, evs...)
	}
	slices.SortFunc(want, func(a, b rec) int {
		return cmp.Or(cmp.Compare(a.ts, b.ts), cmp.Compare(a.stream, b.stream), cmp.Compare(a.seq, b.seq))
	})
	var wantHits []string
	for _, r := range want {
		wantHits = append(wantHits, r.hit)
	}
	got, pages := filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")})
	if diff := gocmp.Diff(wantHits, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// 1000 events of about 2 kB: two 1 MB pages.
	if pages != 2 {
		t.Errorf("pages = %d, want 2", pages)
	}
}
