package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
)

// run executes the nimbus command line in-process.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestInvokeAndLogsCommands(t *testing.T) {
	n := nimbustest.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	client := lambda.NewFromConfig(n.Config())
	nimbustest.CreateFunction(t, client, "cli")
	endpoint := []string{"--endpoint", n.URL(), "--region", "us-east-1"}

	out, _, err := run(t, append([]string{"invoke", "cli", "--payload", `{"action":"echo","any":"from the cli"}`}, endpoint...)...)
	if err != nil || !strings.Contains(out, `"any":"from the cli"`) {
		t.Fatalf("invoke printed %q, %v", out, err)
	}
	event := filepath.Join(t.TempDir(), "event.json")
	os.WriteFile(event, []byte(`{"action":"print","text":"cli log line"}`), 0o644)
	_, tail, err := run(t, append([]string{"invoke", "cli", "--payload", "@" + event, "--tail"}, endpoint...)...)
	if err != nil || !strings.Contains(tail, "cli log line") || !strings.Contains(tail, "REPORT RequestId:") {
		t.Fatalf("invoke --tail printed %q, %v", tail, err)
	}
	out, _, err = run(t, append([]string{"invoke", "cli", "--payload", `{"action":"error","text":"bad"}`}, endpoint...)...)
	if err == nil || !strings.Contains(err.Error(), "errorString") || !strings.Contains(out, `"errorMessage":"bad"`) {
		t.Fatalf("a failing invoke printed %q and returned %v", out, err)
	}
	out, _, err = run(t, append([]string{"invoke", "cli", "--async"}, endpoint...)...)
	if err != nil || !strings.Contains(out, "202") {
		t.Fatalf("invoke --async printed %q, %v", out, err)
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _, err = run(t, append([]string{"logs", "cli", "--since", "1h"}, endpoint...)...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, "cli log line") && strings.Contains(out, "START RequestId:") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs printed %q", out)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// --follow keeps printing until interrupted.
	followCtx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	cmd := newRootCommand()
	var followed bytes.Buffer
	cmd.SetOut(&followed)
	cmd.SetArgs(append([]string{"logs", "cli", "--follow", "--since", "1h"}, endpoint...))
	if err := cmd.ExecuteContext(followCtx); err != nil {
		t.Fatalf("logs --follow: %v", err)
	}
	if !strings.Contains(followed.String(), "cli log line") {
		t.Errorf("logs --follow printed %q", followed.String())
	}

	out, _, err = run(t, "version")
	if err != nil || !strings.HasPrefix(out, "nimbus ") {
		t.Fatalf("version printed %q, %v", out, err)
	}
}

func TestUpRefusesPublicAddressWithoutAuth(t *testing.T) {
	_, _, err := run(t, "up", "--addr", "0.0.0.0:0", "--ephemeral")
	if err == nil || !strings.Contains(err.Error(), "--auth verify") {
		t.Fatalf("up on 0.0.0.0 without auth returned %v", err)
	}
	_, _, err = run(t, "up", "--auth", "verify", "--ephemeral")
	if err == nil || !strings.Contains(err.Error(), "needs credentials") {
		t.Fatalf("up --auth verify without credentials returned %v", err)
	}
}

func TestRuntimesCommand(t *testing.T) {
	out, _, err := run(t, "runtimes", "--interpreter", "python3.12=/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RUNTIME", "provided.al2023", "nodejs20.x"} {
		if !strings.Contains(out, want) {
			t.Errorf("runtimes printed no %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`python3\.12\s+/bin/true`).MatchString(out) {
		t.Errorf("the --interpreter override is not shown:\n%s", out)
	}
	if _, _, err := run(t, "runtimes", "--interpreter", "nonsense"); err == nil || !strings.Contains(err.Error(), "RUNTIME=PATH") {
		t.Errorf("a malformed --interpreter returned %v", err)
	}
}
