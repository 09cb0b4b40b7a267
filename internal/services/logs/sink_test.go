package logs_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/logevent"
	"github.com/nimbus-dev/nimbus/internal/services/logs"
)

// The runtime hands function logs to a sink of this shape.
var _ interface {
	AppendFunctionLogs(account, region, group, stream string, events []logevent.Event)
} = (*logs.Service)(nil)

func TestAppendFunctionLogs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		defaultDays   int
		wantRetention *int32
	}{
		{"never expire by default", 0, nil},
		{"configured default", 7, aws.Int32(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := start(t, func(cfg *logs.Config) { cfg.DefaultRetentionDays = tt.defaultDays })
			c := e.client(account1)
			group, stream := "/aws/lambda/fn", "2026/03/01/[$LATEST]0123456789abcdef0123456789abcdef"
			e.svc.AppendFunctionLogs(account1, region, group, stream, []logevent.Event{
				{Time: epoch.Add(2 * time.Millisecond), Message: "END RequestId: r1"},
				{Time: epoch, Message: "START RequestId: r1 Version: $LATEST"},
				{Message: "no time: now"},
			})
			e.clock.Advance(time.Second)
			e.svc.AppendFunctionLogs(account1, region, group, stream, []logevent.Event{{Time: epoch.Add(time.Second), Message: "second batch"}})
			e.svc.FlushFunctionLogs()

			if diff := cmp.Diff(tt.wantRetention, retentionOf(t, c, group)); diff != "" {
				t.Errorf("retentionInDays (-want +got):\n%s", diff)
			}
			out := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
				LogGroupName: &group, LogStreamName: &stream, StartFromHead: aws.Bool(true)}))
			want := []string{"START RequestId: r1 Version: $LATEST", "no time: now", "END RequestId: r1", "second batch"}
			if diff := cmp.Diff(want, messages(out.Events)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			// Other accounts see nothing.
			_, err := e.client(account2).GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: &group, LogStreamName: &stream})
			errGroupNotFound(t, err)
		})
	}
	t.Run("existing group keeps its retention", func(t *testing.T) {
		t.Parallel()
		e := start(t, func(cfg *logs.Config) { cfg.DefaultRetentionDays = 7 })
		c := e.client(account1)
		createGroup(t, c, "/aws/lambda/fn")
		e.svc.AppendFunctionLogs(account1, region, "/aws/lambda/fn", "s", []logevent.Event{{Message: "x"}})
		e.svc.FlushFunctionLogs()
		if got := retentionOf(t, c, "/aws/lambda/fn"); got != nil {
			t.Errorf("retentionInDays = %d, want none", *got)
		}
	})
	t.Run("invalid names are dropped", func(t *testing.T) {
		t.Parallel()
		e := start(t)
		e.svc.AppendFunctionLogs(account1, region, "bad name", "s", []logevent.Event{{Message: "x"}})
		e.svc.AppendFunctionLogs(account1, region, "g", "bad:stream", []logevent.Event{{Message: "x"}})
		e.svc.FlushFunctionLogs()
		if n := storedEvents(t, e.db); n != 0 {
			t.Errorf("stored events = %d, want 0", n)
		}
	})
}

// TestConcurrentAppends races function logs and PutLogEvents on shared
// and separate streams; every event must land exactly once.
func TestConcurrentAppends(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	const writers, batches, perBatch = 8, 20, 5
	createGroup(t, c, "/aws/lambda/fn", "api")
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var evs []logevent.Event
				for i := range perBatch {
					evs = append(evs, logevent.Event{Time: epoch, Message: fmt.Sprintf("w%d b%d e%d", w, b, i)})
				}
				e.svc.AppendFunctionLogs(account1, region, "/aws/lambda/fn", "shared", evs)
				e.svc.AppendFunctionLogs(account1, region, "/aws/lambda/fn", fmt.Sprint("own-", w), evs)
				e.svc.AppendFunctionLogs(account1, region, fmt.Sprint("/aws/lambda/new-", b%3), "s", evs[:1])
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				// Not put: t.Fatal must not be called off the test goroutine.
				_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
					LogGroupName: aws.String("/aws/lambda/fn"), LogStreamName: aws.String("api"),
					LogEvents: []types.InputLogEvent{{Timestamp: aws.Int64(ms(0)), Message: aws.String(fmt.Sprintf("api w%d b%d", w, b))}},
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	e.svc.FlushFunctionLogs()
	count := func(group string, streams ...string) int {
		got, _ := filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: &group, LogStreamNames: streams})
		seen := map[string]bool{}
		for _, h := range got {
			if seen[h] {
				t.Errorf("%s: %q twice", group, h)
			}
			seen[h] = true
		}
		return len(got)
	}
	checks := []struct {
		name string
		got  int
		want int
	}{
		{"shared stream", count("/aws/lambda/fn", "shared"), writers * batches * perBatch},
		{"own streams", count("/aws/lambda/fn", "own-0", "own-1", "own-2", "own-3", "own-4", "own-5", "own-6", "own-7"), writers * batches * perBatch},
		{"API stream", count("/aws/lambda/fn", "api"), writers * batches},
		{"implicit groups", count("/aws/lambda/new-0") + count("/aws/lambda/new-1") + count("/aws/lambda/new-2"), writers * batches},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: %d events, want %d", ck.name, ck.got, ck.want)
		}
	}
}
