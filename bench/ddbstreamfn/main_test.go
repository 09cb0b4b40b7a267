package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHandle feeds the handler a DynamoDB stream event as Lambda (and
// Nimbus) sends it and checks what it posts for each record.
func TestHandle(t *testing.T) {
	var got []string
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
	}))
	defer rec.Close()
	t.Setenv("RECORD_URL", rec.URL)
	const payload = `{"Records":[
		{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"handler-0001"},"sk":{"S":"0"}},"SequenceNumber":"100000000000000000007","NewImage":{"pk":{"S":"handler-0001"}}}},
		{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"handler-0002"},"sk":{"S":"0"}},"SequenceNumber":"100000000000000000008"}}]}`
	var ev event
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		t.Fatal(err)
	}
	if err := handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("posted %d lines, want 2: %q", len(got), got)
	}
	for i, want := range []string{" handler-0001 100000000000000000007", " handler-0002 100000000000000000008"} {
		started, rest, _ := strings.Cut(got[i], " ")
		if started == "" || " "+rest != want {
			t.Errorf("line %d = %q, want a time then %q", i, got[i], want)
		}
	}
}
