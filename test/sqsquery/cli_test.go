package sqsquery

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// debianCLI is Debian's AWS CLI 2.9, whose botocore still speaks the query
// protocol to SQS (the aws first on a PATH may be a newer CLI speaking
// JSON; .ci/run installs this one with apt-get install awscli).
const debianCLI = "/usr/bin/aws"

// missing skips a test whose input is absent, or fails it under CI=true,
// where every input must be present (the main module's internal/testenv,
// which this module cannot import).
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("CI=true and a test input is missing: "+format, args...)
	}
	t.Skipf("skip: "+format, args...)
}

func TestAWSCLI29(t *testing.T) {
	t.Parallel()
	version, err := exec.Command(debianCLI, "--version").CombinedOutput()
	if err != nil {
		missing(t, "%s is not runnable (apt-get install awscli): %v", debianCLI, err)
	}
	if !strings.HasPrefix(string(version), "aws-cli/2.9.") {
		missing(t, "%s is %s, not the query-speaking 2.9", debianCLI, strings.TrimSpace(string(version)))
	}
	rec, endpoint := newRecorder(t)
	run := func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(debianCLI, append([]string{"--endpoint-url", endpoint, "--output", "json", "sqs"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws sqs %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
		}
		got := map[string]any{}
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("aws sqs %s printed %s", args[0], out)
			}
		}
		return got
	}
	name := queueName(t, "cli")
	created := run("create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=40", "--tags", "team=blue")
	url, _ := created["QueueUrl"].(string)
	if !strings.HasSuffix(url, "/000000000000/"+name) {
		t.Fatalf("create-queue printed %v", created)
	}
	sent := run("send-message", "--queue-url", url, "--message-body", "from the cli <&>",
		"--message-attributes", `{"k":{"DataType":"String","StringValue":"v"}}`)
	if sent["MD5OfMessageBody"] == nil || sent["MessageId"] == nil || sent["MD5OfMessageAttributes"] == nil {
		t.Errorf("send-message printed %v", sent)
	}
	got := run("receive-message", "--queue-url", url, "--attribute-names", "All", "--message-attribute-names", "All")
	msgs, _ := got["Messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("receive-message printed %v", got)
	}
	m := msgs[0].(map[string]any)
	attrs, _ := m["MessageAttributes"].(map[string]any)
	if m["Body"] != "from the cli <&>" || m["MessageId"] != sent["MessageId"] || attrs["k"] == nil {
		t.Errorf("receive-message printed %v", m)
	}
	run("delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"].(string))
	run("tag-queue", "--queue-url", url, "--tags", "env=dev")
	tags := run("list-queue-tags", "--queue-url", url)
	if tm, _ := tags["Tags"].(map[string]any); tm["team"] != "blue" || tm["env"] != "dev" {
		t.Errorf("list-queue-tags printed %v", tags)
	}
	qattrs := run("get-queue-attributes", "--queue-url", url, "--attribute-names", "VisibilityTimeout")
	if am, _ := qattrs["Attributes"].(map[string]any); am["VisibilityTimeout"] != "40" {
		t.Errorf("get-queue-attributes printed %v", qattrs)
	}
	run("delete-queue", "--queue-url", url)
	want := []string{"CreateQueue", "SendMessage", "ReceiveMessage", "DeleteMessage", "TagQueue", "ListQueueTags", "GetQueueAttributes", "DeleteQueue"}
	if got := rec.actions(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the CLI sent %v, want %v", got, want)
	}
}
