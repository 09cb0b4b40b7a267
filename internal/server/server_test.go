package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/server"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

func TestHealth(t *testing.T) {
	n := nimbustest.Start(t)
	resp, err := http.Get(n.URL() + "/_nimbus/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Status    string
		Version   string
		Commit    *string
		Services  map[string]string
		Isolation struct{ Memory, Filesystem, User string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	iso := got.Isolation
	if !slices.Contains([]string{"cgroup-v1", "cgroup-v2", "rss-poll"}, iso.Memory) ||
		!slices.Contains([]string{"mount-namespace", "none"}, iso.Filesystem) ||
		!slices.Contains([]string{"per-instance", "shared"}, iso.User) {
		t.Errorf("isolation = %+v", iso)
	}
	if got.Status != "running" || got.Version == "" || got.Commit == nil {
		t.Errorf("health = %+v", got)
	}
	want := map[string]string{"lambda": "running", "logs": "running", "sqs": "running", "dynamodb": "running", "dynamodbstreams": "running"}
	if diff := cmp.Diff(want, got.Services); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	// The banner's list is health's, in a fixed order.
	if diff := cmp.Diff([]string{"lambda", "logs", "sqs", "dynamodb", "dynamodbstreams"}, n.Services()); diff != "" {
		t.Errorf("Services() (-want +got):\n%s", diff)
	}

	// The states are the server's, not a constant: stopped after Shutdown.
	n.Stop()
	for name, state := range n.ServiceStates() {
		if state != "stopped" {
			t.Errorf("after Shutdown, %s is %q, want stopped", name, state)
		}
	}
}

func TestIsolationSettings(t *testing.T) {
	tests := []struct {
		name    string
		cfg     server.Config
		wantErr string
	}{
		{"required but off", server.Config{Isolation: "off", RequireIsolation: true}, "isolation required but not in force: isolation is turned off"},
		{"unknown mode", server.Config{Isolation: "strict"}, `invalid isolation "strict": want auto or off`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Addr, tt.cfg.Ephemeral = "127.0.0.1:0", true
			srv, err := server.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Shutdown(context.Background())
			if err := srv.Start(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Start = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRefusesPublicAddressWithoutVerification(t *testing.T) {
	tests := []struct {
		name    string
		cfg     server.Config
		wantErr string
	}{
		{"public without auth", server.Config{Addr: "0.0.0.0:0", Ephemeral: true}, "refusing to listen on 0.0.0.0:0 without --auth verify"},
		{"bad address", server.Config{Addr: "nonsense", Ephemeral: true}, "invalid address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := server.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, want %q", err, tt.wantErr)
			}
		})
	}
	srv, err := server.New(server.Config{Addr: "0.0.0.0:0", Ephemeral: true, InsecurePublic: true})
	if err != nil {
		t.Fatalf("--insecure-public refused: %v", err)
	}
	srv.Shutdown(context.Background())
}

func TestShutdownLetsInFlightInvocationsFinish(t *testing.T) {
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	ctx := context.Background()
	nimbustest.CreateFunction(t, client, "slow")
	type result struct {
		out *lambda.InvokeOutput
		err error
	}
	rec := nimbustest.NewRecorder(t)
	done := make(chan result)
	go func() {
		// The function tells the recorder it runs, then works for 700 ms.
		payload := fmt.Sprintf(`{"action":"record","url":%q,"ms":700}`, rec.URL())
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("slow"), Payload: []byte(payload)})
		done <- result{out, err}
	}()
	rec.WaitFor(t, 1, 60*time.Second) // the invocation runs
	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n.Shutdown(shutdownCtx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	r := <-done
	if r.err != nil || r.out.FunctionError != nil {
		t.Fatalf("the in-flight invocation did not finish cleanly: %v %s", r.err, r.out.Payload)
	}
	if _, err := http.Get(n.URL() + "/_nimbus/health"); err == nil {
		t.Error("the server still answers after Shutdown")
	}
}

func TestCodeLocationServesTheZip(t *testing.T) {
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	zip := nimbustest.FunctionZip(t)
	ctx := context.Background()
	nimbustest.CreateFunction(t, client, "zipped")
	got, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("zipped")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(zip) {
		t.Fatalf("Code.Location %s answered %d with %d bytes, want the %d-byte zip", aws.ToString(got.Code.Location), resp.StatusCode, len(body), len(zip))
	}
	resp, _ = http.Get(n.URL() + "/_nimbus/lambda/code/..%2f..%2fdb.zip")
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a traversal in the code path answered %d", resp.StatusCode)
	}
}

func TestCodeLocationIsSignedAndExpires(t *testing.T) {
	n := nimbustest.Start(t)
	client := lambda.NewFromConfig(n.Config())
	ctx := context.Background()
	nimbustest.CreateFunction(t, client, "signed")
	got, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("signed")})
	if err != nil {
		t.Fatal(err)
	}
	loc := aws.ToString(got.Code.Location)
	for name, url := range map[string]string{
		"tampered signature": loc[:len(loc)-4] + "0000",
		"unsigned":           strings.SplitN(loc, "?", 2)[0],
		"later expiry":       strings.Replace(loc, "expires=", "expires=9", 1),
	} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %s answered %d, want 403", name, url, resp.StatusCode)
		}
	}
}

// waitFor polls state read through the API until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) { testenv.Eventually(t, what, cond) }

// TestShutdownEndsLongPolls: a ReceiveMessage waiting for messages does not
// hold Shutdown up; it answers, empty, at once. The fake clock never moves,
// so only Shutdown can end the poll.
func TestShutdownEndsLongPolls(t *testing.T) {
	n := nimbustest.StartWith(t, nimbustest.Options{Config: server.Config{Clock: clock.NewFake(time.Now())}})
	client := sqs.NewFromConfig(n.Config())
	ctx := context.Background()
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("polled")})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		out *sqs.ReceiveMessageOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 20})
		done <- result{out, err}
	}()
	waitFor(t, "the long poll to wait", func() bool { return n.InFlightRequests() == 1 })
	shutdownCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n.Shutdown(shutdownCtx); err != nil {
		t.Errorf("Shutdown: %v (the long poll held it up)", err)
	}
	r := <-done
	if r.err != nil || len(r.out.Messages) != 0 {
		t.Errorf("long poll during Shutdown = %v, %v; want an empty answer", r.out, r.err)
	}
}
