package lambda

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
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
