package logs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/services/logs"
	"github.com/nimbus-dev/nimbus/internal/storage"
)

// retentionOf returns a group's retentionInDays (nil: never expire).
func retentionOf(t *testing.T, c *cloudwatchlogs.Client, group string) *int32 {
	t.Helper()
	out := must[*cloudwatchlogs.DescribeLogGroupsOutput](t)(c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: &group}))
	for _, g := range out.LogGroups {
		if *g.LogGroupName == group {
			return g.RetentionInDays
		}
	}
	t.Fatalf("no group %q", group)
	return nil
}

func TestRetentionPolicy(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := e.client(account1)
	tests := []struct {
		name    string
		days    int32
		want    *int32
		wantErr errorCheck
	}{
		{name: "one day", days: 1, want: aws.Int32(1)},
		{name: "ten years", days: 3653, want: aws.Int32(3653)},
		{
			name: "not an allowed value",
			days: 2,
			wantErr: errorIs[*types.InvalidParameterException]("1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: " +
				"[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]"),
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			group := fmt.Sprintf("g%d", i)
			createGroup(t, c, group)
			_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: &group, RetentionInDays: &tt.days})
			checkError(t, err, tt.wantErr)
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, retentionOf(t, c, group)); diff != "" {
				t.Errorf("retentionInDays (-want +got):\n%s", diff)
			}
			if _, err := c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: &group}); err != nil {
				t.Fatal(err)
			}
			if got := retentionOf(t, c, group); got != nil {
				t.Errorf("retentionInDays after DeleteRetentionPolicy = %d, want none", *got)
			}
		})
	}
	t.Run("no group", func(t *testing.T) {
		_, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("nope"), RetentionInDays: aws.Int32(1)})
		errGroupNotFound(t, err)
		_, err = c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("nope")})
		errGroupNotFound(t, err)
	})
}

// storedEvents counts the event records in the DB, swept or not.
func storedEvents(t *testing.T, db *storage.DB) int {
	t.Helper()
	n := 0
	if err := db.Scan(storage.Key("logs", "e"), func(k, v []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// visible returns what GetLogEvents and FilterLogEvents show of a stream.
func visible(t *testing.T, c *cloudwatchlogs.Client, group, stream string) (get, filter []string) {
	t.Helper()
	g := must[*cloudwatchlogs.GetLogEventsOutput](t)(c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: &group, LogStreamName: &stream}))
	f := must[*cloudwatchlogs.FilterLogEventsOutput](t)(c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: &group}))
	var fm []string
	for _, e := range f.Events {
		fm = append(fm, *e.Message)
	}
	return messages(g.Events), fm
}

func TestRetentionHidesExpiredEvents(t *testing.T) {
	t.Parallel()
	e := start(t) // sweeper off
	c := e.client(account1)
	createGroup(t, c, "g", "s")
	if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("g"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	put(t, e, c, "g", "s", ev(0, "old"))
	e.clock.Advance(12 * time.Hour)
	put(t, e, c, "g", "s", ev(0, "new"))

	steps := []struct {
		name    string
		advance time.Duration
		want    []string
	}{
		{"both fresh", 0, []string{"old", "new"}},
		{"first expired", 12*time.Hour + time.Millisecond, []string{"new"}},
		{"all expired", 12 * time.Hour, nil},
	}
	for _, step := range steps {
		e.clock.Advance(step.advance)
		get, filter := visible(t, c, "g", "s")
		if diff := cmp.Diff(step.want, get); diff != "" {
			t.Errorf("%s: GetLogEvents (-want +got):\n%s", step.name, diff)
		}
		if diff := cmp.Diff(step.want, filter); diff != "" {
			t.Errorf("%s: FilterLogEvents (-want +got):\n%s", step.name, diff)
		}
	}
	if n := storedEvents(t, e.db); n != 2 {
		t.Errorf("stored events = %d, want 2 (hidden, not deleted, without the sweeper)", n)
	}
	// Lifting the retention brings them back, as nothing was deleted.
	if _, err := c.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if get, _ := visible(t, c, "g", "s"); len(get) != 2 {
		t.Errorf("events after DeleteRetentionPolicy = %v, want both", get)
	}
}

// waitFor polls cond until it holds or a few seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetentionSweeper(t *testing.T) {
	t.Parallel()
	e := start(t, func(cfg *logs.Config) { cfg.SweepInterval = time.Minute })
	c := e.client(account1)
	createGroup(t, c, "short", "s")
	createGroup(t, c, "forever", "s")
	if _, err := c.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("short"), RetentionInDays: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	put(t, e, c, "short", "s", ev(0, "a"), ev(1, "b"))
	put(t, e, c, "forever", "s", ev(0, "kept"))
	e.clock.Advance(30 * time.Second)
	if n := storedEvents(t, e.db); n != 3 {
		t.Fatalf("stored events = %d, want 3", n)
	}

	e.clock.Advance(25 * time.Hour)
	waitFor(t, "the sweeper to delete expired events", func() bool { return storedEvents(t, e.db) == 1 })
	if get, _ := visible(t, c, "forever", "s"); len(get) != 1 {
		t.Errorf("events of the group without retention = %v, want 1", get)
	}
	out := must[*cloudwatchlogs.DescribeLogGroupsOutput](t)(c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("short")}))
	if got := aws.ToInt64(out.LogGroups[0].StoredBytes); got != 0 {
		t.Errorf("storedBytes after the sweep = %d, want 0", got)
	}

	// The sweeper keeps running: events put now expire at the next sweep
	// past their retention.
	put(t, e, c, "short", "s", ev(0, "c"))
	e.clock.Advance(23 * time.Hour)
	if n := storedEvents(t, e.db); n != 2 {
		t.Errorf("stored events = %d, want 2", n)
	}
	e.clock.Advance(time.Hour)
	// The sweeper re-arms its timer after each sweep, concurrently with
	// this test: keep the fake time moving until the next sweep runs.
	waitFor(t, "the second sweep", func() bool {
		e.clock.Advance(time.Minute)
		return storedEvents(t, e.db) == 1
	})
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	db, err := storage.Open("", storage.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tests := []struct {
		name    string
		cfg     logs.Config
		wantErr bool
	}{
		{"defaults", logs.Config{DB: db}, false},
		{"default retention", logs.Config{DB: db, DefaultRetentionDays: 14}, false},
		{"no DB", logs.Config{}, true},
		{"bad default retention", logs.Config{DB: db, DefaultRetentionDays: 2}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := logs.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New error = %v, want error %t", err, tt.wantErr)
			}
			if s != nil {
				if err := s.Close(); err != nil {
					t.Error(err)
				}
				if err := s.Close(); err != nil {
					t.Errorf("second Close: %v", err)
				}
			}
		})
	}
}
