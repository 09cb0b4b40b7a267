package lambda

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/outbox"
	"github.com/nimbus-dev/nimbus/internal/ptr"
	"github.com/nimbus-dev/nimbus/internal/runtime"
	"github.com/nimbus-dev/nimbus/internal/storage"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// TestDecorateSpellsTheEventsWay checks what a stored record becomes in a
// Lambda event: eventSourceARN added, userIdentity's members in lower
// case, its position and time read.
func TestDecorateSpellsTheEventsWay(t *testing.T) {
	p := &streamPoller{m: mapping{EventSourceArn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"}, partitionKey: "pk"}
	raw := json.RawMessage(`{"awsRegion":"us-east-1","dynamodb":{"ApproximateCreationDateTime":1700000000,"Keys":{"pk":{"S":"a"}},` +
		`"SequenceNumber":"100000000000000000042","SizeBytes":5,"StreamViewType":"KEYS_ONLY"},"eventID":"e","eventName":"REMOVE",` +
		`"eventSource":"aws:dynamodb","eventVersion":"1.1","userIdentity":{"PrincipalId":"dynamodb.amazonaws.com","Type":"Service"}}`)
	r, err := p.decorate(raw)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(r.raw, &got); err != nil {
		t.Fatalf("decorated record is not JSON: %s", r.raw)
	}
	want := map[string]any{"principalId": "dynamodb.amazonaws.com", "type": "Service"}
	if d := cmp.Diff(want, got["userIdentity"]); d != "" || got["eventSourceARN"] != p.m.EventSourceArn {
		t.Errorf("decorated %s (-want +got userIdentity):\n%s", r.raw, d)
	}
	if r.pos != 42 || r.seq != "100000000000000000042" || r.created.Unix() != 1700000000 {
		t.Errorf("position %d, sequence %s, created %v", r.pos, r.seq, r.created)
	}
	if _, err := p.decorate(json.RawMessage(`{"dynamodb":{}}`)); err == nil {
		t.Error("a record without a sequence number was accepted")
	}
}

// fakeStream is a StreamSource over shards held in memory; its records
// are numbered by position, as Nimbus's sequence numbers are.
type fakeStream struct {
	mu      sync.Mutex
	shards  []StreamShard
	records map[string][]uint64 // by shard, ascending
	changed chan struct{}
}

func newFakeStream() *fakeStream {
	return &fakeStream{records: map[string][]uint64{}, changed: make(chan struct{})}
}

// add appends a shard with records at the given positions; closed shards
// take no more.
func (f *fakeStream) add(id, parent string, closed bool, positions ...uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shards = append(f.shards, StreamShard{ID: id, Parent: parent, Start: positions[0], Closed: closed})
	f.records[id] = positions
	f.changedLocked()
}

// write appends a record to an open shard.
func (f *fakeStream) write(shard string, pos uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records[shard] = append(f.records[shard], pos)
	f.changedLocked()
}

func (f *fakeStream) changedLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeStream) StreamShards(string) ([]StreamShard, string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.shards), "pk", true
}

func (f *fakeStream) ShardLatest(_, shard string) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rs := f.records[shard]
	return rs[len(rs)-1] + 1, nil
}

func (f *fakeStream) ReadShard(_, shard string, from uint64, limit int) ([]json.RawMessage, uint64, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []json.RawMessage
	next := from
	for _, pos := range f.records[shard] {
		if pos >= from && len(out) < limit {
			out = append(out, json.RawMessage(fmt.Sprintf(`{"eventName":"INSERT","dynamodb":{"ApproximateCreationDateTime":1700000000,`+
				`"Keys":{"pk":{"S":"k%d"}},"SequenceNumber":"1%020d"}}`, pos, pos)))
			next = pos + 1
		}
	}
	closed := false
	for _, sh := range f.shards {
		closed = closed || (sh.ID == shard && sh.Closed)
	}
	rs := f.records[shard]
	return out, next, closed && next > rs[len(rs)-1], nil
}

func (f *fakeStream) Changed(string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// recordingRunner is a Runner that succeeds at once and records the
// sequence numbers it was invoked with.
type recordingRunner struct {
	// gate, when set, holds each invocation until it is closed, whether or
	// not the invocation's context ends meanwhile; entered says one waits.
	gate, entered chan struct{}

	mu   sync.Mutex
	seqs []string
}

func (r *recordingRunner) Invoke(_ context.Context, _ *runtime.Function, req *runtime.Request) (*runtime.Response, error) {
	if r.gate != nil {
		r.entered <- struct{}{}
		<-r.gate
	}
	var ev struct {
		Records []struct {
			Dynamodb struct{ SequenceNumber string } `json:"dynamodb"`
		}
	}
	if err := json.Unmarshal(req.Payload, &ev); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range ev.Records {
		r.seqs = append(r.seqs, strings.TrimLeft(rec.Dynamodb.SequenceNumber[1:], "0"))
	}
	return &runtime.Response{Payload: []byte("null")}, nil
}

func (r *recordingRunner) Retire(string, string, string) {}
func (r *recordingRunner) Supports(string) error         { return nil }

func (r *recordingRunner) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seqs)
}

// TestStreamPollerForgetsFinishedShards checks that a stream mapping keeps
// state only for the shards it still reads: a closed shard read to its end
// leaves the poller's memory, and its checkpoint leaves the store once a
// child has started; after a restart nothing is read twice.
func TestStreamPollerForgetsFinishedShards(t *testing.T) {
	db, err := storage.Open("", storage.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ob, err := outbox.New(outbox.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close(context.Background())
	stream := newFakeStream()
	stream.add("s1", "", true, 1, 2)
	stream.add("s2", "s1", true, 3, 4)
	stream.add("s3", "s2", false, 5)
	const streamARN = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"
	codeDir := t.TempDir()
	start := func(runner Runner) *Service {
		s, err := New(Config{DB: db, Runner: runner, Outbox: ob, CodeDir: codeDir, Streams: stream,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ctx := awsproto.WithInfo(context.Background(), &awsproto.RequestInfo{Account: "000000000000", Region: "us-east-1"})
	eventually := func(what string, cond func() bool) {
		t.Helper()
		testenv.Eventually(t, what, cond)
	}
	// checkpoints reads the mapping's stored checkpoints, and counts every
	// key it has in the store.
	checkpoints := func(uuid string) (map[string]checkpoint, int) {
		out := map[string]checkpoint{}
		for _, shard := range []string{"s1", "s2", "s3"} {
			if raw, err := db.Get(checkpointKey(uuid, shard)); err == nil {
				var ck checkpoint
				json.Unmarshal(raw, &ck)
				out[shard] = ck
			}
		}
		keys := 0
		db.Scan(storage.Key("lambda", "esmck", uuid), func(_, _ []byte) error { keys++; return nil })
		return out, keys
	}

	runner := &recordingRunner{}
	s := start(runner)
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, _ := zw.Create("bootstrap")
	w.Write([]byte("#!/bin/sh\n"))
	zw.Close()
	if _, err := s.CreateFunction(ctx, &CreateFunctionRequest{FunctionName: ptr.To("fn"), Runtime: ptr.To("provided.al2023"),
		Handler: ptr.To("bootstrap"), Role: ptr.To("arn:aws:iam::000000000000:role/r"), Code: &FunctionCode{ZipFile: zipped.Bytes()}}); err != nil {
		t.Fatal(err)
	}
	m, err := s.CreateEventSourceMapping(ctx, &CreateEventSourceMappingRequest{FunctionName: ptr.To("fn"), EventSourceArn: ptr.To(streamARN),
		StartingPosition: ptr.To("TRIM_HORIZON")})
	if err != nil {
		t.Fatal(err)
	}
	uuid := *m.UUID
	eventually("the records of the three shards", func() bool { return len(runner.got()) == 5 })
	if diff := cmp.Diff([]string{"1", "2", "3", "4", "5"}, runner.got()); diff != "" {
		t.Errorf("records delivered (-want +got):\n%s", diff)
	}
	s.esmMu.Lock()
	p := s.mappings[uuid].stream
	s.esmMu.Unlock()
	p.mu.Lock()
	running := maps.Clone(p.running)
	p.mu.Unlock()
	if diff := cmp.Diff(map[string]bool{"s3": true}, running); diff != "" {
		t.Errorf("shards the poller keeps (-want +got):\n%s", diff)
	}
	// s3's checkpoint is stored before the last record's batch is read, and
	// moved past it once the batch is done.
	eventually("s3's checkpoint past the last record", func() bool { cks, _ := checkpoints(uuid); return cks["s3"].Pos == 6 })
	cks, keys := checkpoints(uuid)
	if diff := cmp.Diff(map[string]checkpoint{"s3": {Pos: 6}}, cks); diff != "" || keys != 1 {
		t.Errorf("checkpoints (-want +got), %d keys in all:\n%s", keys, diff)
	}
	s.Close()

	// After a restart, the mapping takes up where it was: the finished
	// shards, known done by their child's checkpoint, are not read again.
	again := &recordingRunner{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	s = start(again)
	defer s.Close()
	stream.write("s3", 6)
	<-again.entered
	// Deleted while a batch is in flight: the worker stores its checkpoint
	// after the mapping's are deleted, and deletes it on its way out.
	if _, err := s.DeleteEventSourceMapping(ctx, &DeleteEventSourceMappingRequest{UUID: ptr.To(uuid)}); err != nil {
		t.Fatal(err)
	}
	close(again.gate)
	s.Close()
	if diff := cmp.Diff([]string{"6"}, again.got()); diff != "" {
		t.Errorf("records delivered after the restart (-want +got):\n%s", diff)
	}
	if _, keys := checkpoints(uuid); keys != 0 {
		t.Errorf("%d checkpoints of the deleted mapping are left in the store", keys)
	}
}
