package lambda_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/nimbus-dev/nimbus/internal/nimbustest"
	"github.com/nimbus-dev/nimbus/internal/testenv"
)

// startIsolated starts a server and returns it where instances are fully
// isolated; elsewhere the test is skipped, or fails under
// NIMBUS_REQUIRE_ISOLATION=1 (CI), where the server refuses to start.
func startIsolated(t *testing.T) *nimbustest.Nimbus {
	t.Helper()
	n := nimbustest.Start(t)
	resp, err := http.Get(n.URL() + "/_nimbus/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var health struct {
		Isolation struct{ Memory, Filesystem, User string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatal(err)
	}
	iso := health.Isolation
	if !strings.HasPrefix(iso.Memory, "cgroup-") || iso.Filesystem != "mount-namespace" || iso.User != "per-instance" {
		testenv.Missing(t, "instances are not fully isolated here (%+v); run as root on Linux with cgroups", iso)
	}
	return n
}

const isolationProbe = `
import json, os, resource, time

def probe(event, context):
    out = {"cwd": os.getcwd(), "taskRoot": os.environ["LAMBDA_TASK_ROOT"], "uid": os.getuid(),
           "pid": os.getpid(), "opt": os.listdir("/opt"),
           "nofile": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
           "procs": sorted(p + " " + open("/proc/%s/cmdline" % p).read().replace("\0", " ") for p in os.listdir("/proc") if p.isdigit())}
    try:
        open("/var/task/new.txt", "w")
        out["taskWrite"] = "allowed"
    except OSError as e:
        out["taskWrite"] = e.strerror
    try:
        open("/usr/nimbus-was-here", "w")
        out["hostWrite"] = "allowed"
    except OSError as e:
        out["hostWrite"] = e.strerror
    return out

def put(event, context):
    with open("/tmp/secret", "w") as f:
        f.write(event["text"])
    return os.getpid()

def get(event, context):
    try:
        with open("/tmp/secret") as f:
            return f.read()
    except OSError as e:
        return "absent: " + e.strerror

def peek(event, context):
    # Another instance's files and processes, by every path there is.
    seen = []
    for path in [event["hostTmp"] + "/secret", "/proc/%d/root/tmp/secret" % event["pid"], "/proc/%d/environ" % event["pid"]]:
        try:
            open(path).read()
            seen.append(path)
        except OSError:
            pass
    return seen

def fill(event, context):
    # Allocates disk blocks without writing them: past EphemeralStorage in
    # total, each file under it.
    for name in ["a", "b"]:
        fd = os.open("/tmp/" + name, os.O_CREAT | os.O_WRONLY)
        os.posix_fallocate(fd, 0, event["mb"] << 20)
        os.close(fd)
    time.sleep(event["wait"])  # until the watch stops the instance
    return "still running"
`

func TestIsolation(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Missing(t, "no python3 on PATH to run Python functions; install Python 3")
	}
	n := startIsolated(t)
	client := lambda.NewFromConfig(n.Config(), func(o *lambda.Options) { o.RetryMaxAttempts = 1 })
	fns := sourceFunctions{t: t, client: client, code: zipSources(t, map[string]string{"app.py": isolationProbe})}

	t.Run("Lambda's filesystem view", func(t *testing.T) {
		fns.create("iso-probe", "python3.12", "app.probe")
		out, res := fns.call("iso-probe", `{}`, false)
		if out.FunctionError != nil {
			t.Fatalf("probe failed: %s", out.Payload)
		}
		if res["cwd"] != "/var/task" || res["taskRoot"] != "/var/task" {
			t.Errorf("cwd %v, LAMBDA_TASK_ROOT %v; want /var/task", res["cwd"], res["taskRoot"])
		}
		if res["taskWrite"] != "Read-only file system" || res["hostWrite"] != "Read-only file system" {
			t.Errorf("writes to /var/task: %v, to /usr: %v; want both refused read-only", res["taskWrite"], res["hostWrite"])
		}
		if res["uid"] == 0.0 {
			t.Error("the instance runs as root")
		}
		if res["pid"] != 1.0 {
			t.Errorf("pid %v; want 1 in its own PID namespace", res["pid"])
		}
		if procs := res["procs"].([]any); len(procs) != 1 {
			t.Errorf("/proc shows processes %v; want only the instance's own", procs)
		}
		if opt := res["opt"].([]any); len(opt) != 0 {
			t.Errorf("/opt holds %v; want it empty (no layers)", opt)
		}
		if nofile := res["nofile"].([]any); nofile[0] != 1024.0 || nofile[1] != 1024.0 {
			t.Errorf("RLIMIT_NOFILE %v; want [1024 1024]", nofile)
		}
	})

	t.Run("/tmp is private to its instance", func(t *testing.T) {
		fns.create("iso-writer", "python3.12", "app.put")
		out, res := fns.call("iso-writer", `{"text":"for my eyes only"}`, false)
		if out.FunctionError != nil {
			t.Fatalf("put failed: %s %v", out.Payload, res)
		}
		var writerPid int
		json.Unmarshal(out.Payload, &writerPid)
		// The same code under another name is another function: it has a
		// /tmp of its own, and cannot reach the writer's.
		fns.create("iso-reader", "python3.12", "app.get")
		if out, _ := fns.call("iso-reader", `{}`, false); string(out.Payload) != `"absent: No such file or directory"` {
			t.Errorf("another function read /tmp/secret: %s", out.Payload)
		}
		hostTmp := instanceTmpDirs(t, n)
		fns.create("iso-peek", "python3.12", "app.peek")
		for _, dir := range hostTmp {
			payload, _ := json.Marshal(map[string]any{"hostTmp": dir, "pid": writerPid})
			if out, _ := fns.call("iso-peek", string(payload), false); string(out.Payload) != `[]` {
				t.Errorf("another instance reached the writer's files: %s", out.Payload)
			}
		}
		if _, err := client.UpdateFunctionConfiguration(t.Context(), &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("iso-writer"), Handler: aws.String("app.get")}); err != nil {
			t.Fatal(err)
		}
		waitUpdated(t, client, "iso-writer")
		// A new configuration is a new instance, with an empty /tmp.
		if out, _ := fns.call("iso-writer", `{}`, false); string(out.Payload) != `"absent: No such file or directory"` {
			t.Errorf("a new instance found the old one's /tmp: %s", out.Payload)
		}
	})

	t.Run("/tmp past EphemeralStorage stops the instance", func(t *testing.T) {
		createFunction(t, client, "iso-fill", func(in *lambda.CreateFunctionInput) {
			in.Runtime, in.Handler = types.RuntimePython312, aws.String("app.fill")
			in.Code = &types.FunctionCode{ZipFile: fns.code}
			// The timeout only bounds a failure: the watch stops the instance
			// long before, however busy the machine.
			in.Timeout = aws.Int32(300)
			in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(512)}
		})
		out, _ := fns.call("iso-fill", `{"mb":300,"wait":600}`, true)
		if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"Runtime.ExitError"`) ||
			!strings.Contains(string(out.Payload), "signal: killed") {
			t.Errorf("answer %s %s; want Runtime.ExitError, signal: killed", aws.ToString(out.FunctionError), out.Payload)
		}
		if tail := decodeTail(t, out); !strings.Contains(tail, "/tmp holds more than the function's ephemeral storage (512 MB)") {
			t.Errorf("log tail does not say why:\n%s", tail)
		}
	})

	t.Run("memory past MemorySize is killed by the cgroup", func(t *testing.T) {
		createFunction(t, client, "iso-alloc", func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(128) })
		out, err := client.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String("iso-alloc"),
			Payload: []byte(`{"action":"alloc","mb":48}`), LogType: types.LogTypeTail})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("48 MB in 128: %v %s", err, out.Payload)
		}
		if tail := decodeTail(t, out); !strings.Contains(tail, "Max Memory Used: ") || maxMemoryUsed(tail) < 48 {
			t.Errorf("REPORT does not show the 48 MB held:\n%s", tail)
		}
		out, err = client.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String("iso-alloc"),
			Payload: []byte(`{"action":"alloc","mb":400}`), LogType: types.LogTypeTail})
		if err != nil {
			t.Fatal(err)
		}
		want := `"errorType":"Runtime.ExitError"`
		if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), want) || !strings.Contains(string(out.Payload), "Error: Runtime exited with error: signal: killed") {
			t.Errorf("answer %s; want Runtime.ExitError, signal: killed", out.Payload)
		}
		tail := decodeTail(t, out)
		if !strings.Contains(tail, "Memory Size: 128 MB\tMax Memory Used: 128 MB") || !strings.Contains(tail, "Status: error\tError Type: Runtime.OutOfMemory") {
			t.Errorf("REPORT of the killed instance:\n%s", tail)
		}
		// The next invocation gets a fresh instance.
		out, err = client.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String("iso-alloc"), Payload: []byte(`{"action":"echo"}`)})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("after the kill: %v %s", err, out.Payload)
		}
	})
}

// instanceTmpDirs lists the host directories that serve as instances' /tmp.
func instanceTmpDirs(t *testing.T, n *nimbustest.Nimbus) []string {
	t.Helper()
	dirs, err := os.ReadDir(n.DataDir() + "/instances")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if d.IsDir() && d.Name() != "runtimes" {
			out = append(out, n.DataDir()+"/instances/"+d.Name()+"/tmp")
		}
	}
	if len(out) == 0 {
		t.Fatal("no instance directories")
	}
	return out
}

func decodeTail(t *testing.T, out *lambda.InvokeOutput) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// maxMemoryUsed reads the REPORT line's Max Memory Used, in MB.
func maxMemoryUsed(tail string) int {
	_, rest, ok := strings.Cut(tail, "Max Memory Used: ")
	if !ok {
		return 0
	}
	n := 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// waitUpdated waits for a configuration update to finish.
func waitUpdated(t *testing.T, client *lambda.Client, name string) {
	t.Helper()
	w := lambda.NewFunctionUpdatedV2Waiter(client, func(o *lambda.FunctionUpdatedV2WaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := w.Wait(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, patience); err != nil {
		t.Fatalf("waiting for %s's update: %v", name, err)
	}
}
