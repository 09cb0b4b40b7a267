// Command sqs measures SQS servers through one client, the query-era
// aws-sdk-go-v2 SQS client (service/sqs v1.24.5, the last that speaks the
// query protocol): Nimbus, goaws (which speaks only that protocol) and
// moto_server, each a subprocess on 127.0.0.1, in turn, in the same run.
//
// It lives in a module of its own so that client version stays out of
// Nimbus's. `go run ./bench` builds Nimbus and runs it; by hand:
//
//	cd bench/sqs && go run . -nimbus /path/to/nimbus -goaws /path/to/goaws
//
// goaws binds every interface, so, when run as root with `ip`, the bench
// re-runs itself inside a private network namespace (ip netns add) where
// only it and the servers live. Loads are bounded in messages and time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

type options struct {
	nimbus, goaws, moto string
	out                 string
	messages            int
	duration            time.Duration
	workers             int
	roundTrips          int
}

func main() {
	var o options
	flag.StringVar(&o.nimbus, "nimbus", "", "nimbus binary (required)")
	flag.StringVar(&o.goaws, "goaws", "", "goaws binary (go install github.com/Admiral-Piett/goaws/app/cmd@v0.4.5); skipped when empty")
	flag.StringVar(&o.moto, "moto", "moto_server", "moto_server command; skipped when missing")
	flag.StringVar(&o.out, "out", "", "write the markdown report here too")
	flag.IntVar(&o.messages, "messages", 20000, "most messages per throughput run")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "longest throughput run")
	flag.IntVar(&o.workers, "workers", 8, "concurrent workers in the throughput run")
	flag.IntVar(&o.roundTrips, "round-trips", 300, "single-message round trips for latency")
	flag.Parse()
	if o.nimbus == "" {
		fmt.Fprintln(os.Stderr, "sqs bench: -nimbus is required")
		os.Exit(2)
	}
	if reexecInNetns() {
		return
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "sqs bench:", err)
		os.Exit(1)
	}
}

// reexecInNetns runs this command again inside a new network namespace
// and reports true when it did (and the child has finished).
func reexecInNetns() bool {
	if os.Getenv("NIMBUS_SQSBENCH_NETNS") != "" || os.Geteuid() != 0 {
		return false
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return false
	}
	ns := fmt.Sprintf("nimbus-sqsbench-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		progress("no private network namespace (%v: %s); running in the host's", err, strings.TrimSpace(string(out)))
		return false
	}
	defer exec.Command("ip", "netns", "delete", ns).Run()
	exec.Command("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up").Run()
	self, _ := os.Executable()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), "NIMBUS_SQSBENCH_NETNS="+ns)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "sqs bench:", err)
		os.Exit(1)
	}
	return true
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "sqs bench: "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	work, err := os.MkdirTemp("", "nimbus-sqsbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var results []result
	for _, s := range servers(o, work) {
		if s.skip != "" {
			progress("%s: skipped (%s)", s.name, s.skip)
			results = append(results, result{server: s.name, skipped: s.skip})
			continue
		}
		r, err := measure(ctx, o, s)
		if err != nil {
			progress("%s: %v", s.name, err)
			r = result{server: s.name, skipped: "failed: " + err.Error()}
		}
		results = append(results, r)
	}
	report := render(o, results, os.Getenv("NIMBUS_SQSBENCH_NETNS"))
	fmt.Print(report)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(report), 0o644)
	}
	return nil
}
