package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// TestAWSCLIQuickstart runs the README's quickstart with the AWS CLI (v1 or
// v2), as users do. It skips where the CLI is not installed (.ci/run
// installs Debian's awscli).
func TestAWSCLIQuickstart(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		testenv.Missing(t, "the AWS CLI (aws) is not installed; apt-get install awscli")
	}
	version, err := exec.Command(awsCLI, "--version").CombinedOutput()
	if err != nil {
		testenv.Missing(t, "aws --version failed: %v %s", err, version)
	}
	n := nimbustest.Start(t)
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "function.zip")
	if err := os.WriteFile(zipPath, nimbustest.FunctionZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", n.URL(), "--output", "json"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run("lambda", "create-function", "--function-name", "hello", "--runtime", "provided.al2023", "--handler", "bootstrap",
		"--role", "arn:aws:iam::000000000000:role/lambda-role", "--zip-file", "fileb://function.zip")
	if err != nil || !strings.Contains(out, `"State": "Pending"`) {
		t.Fatalf("create-function: %v\n%s", err, out)
	}
	invoke := []string{"lambda", "invoke", "--function-name", "hello", "--payload", `{"action":"print","text":"from the cli"}`}
	if strings.HasPrefix(string(version), "aws-cli/2") {
		invoke = append(invoke, "--cli-binary-format", "raw-in-base64-out")
	}
	out, err = run(append(invoke, "out.json")...)
	if err != nil || !strings.Contains(out, `"StatusCode": 200`) {
		t.Fatalf("invoke: %v\n%s", err, out)
	}
	result, _ := os.ReadFile(filepath.Join(dir, "out.json"))
	if !strings.Contains(string(result), `"action":"print"`) {
		t.Errorf("out.json = %s", result)
	}
	out, err = run("lambda", "get-function", "--function-name", "hello")
	var got struct{ Configuration struct{ State string } }
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Configuration.State != "Active" {
		t.Fatalf("get-function: %v\n%s", err, out)
	}
	waitFor := func(args []string, want string) {
		t.Helper()
		for i := 0; i < 100; i++ {
			if out, err = run(args...); err == nil && strings.Contains(out, want) {
				return
			}
		}
		t.Fatalf("%v never showed %q: %v\n%s", args, want, err, out)
	}
	waitFor([]string{"logs", "filter-log-events", "--log-group-name", "/aws/lambda/hello"}, "from the cli")
	out, err = run("lambda", "invoke", "--function-name", "nope", "out2.json")
	if err == nil || !strings.Contains(out, "ResourceNotFoundException") || !strings.Contains(out, "Function not found") {
		t.Errorf("invoking a missing function: %v\n%s", err, out)
	}
	out, err = run("sns", "list-topics")
	if err == nil || !strings.Contains(out, "NotImplemented") {
		t.Errorf("a service Nimbus does not serve: %v\n%s", err, out)
	}
}
