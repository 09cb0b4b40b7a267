package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// rieInstall is the command that installs AWS's Lambda Runtime Interface
// Emulator where findRIE looks for it.
const rieInstall = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@latest"

// rieFunction is the only function name RIE serves
// (POST /2015-03-31/functions/function/invocations).
const rieFunction = "function"

// rieResult holds what was measured of RIE.
type rieResult struct {
	// Listen are exec → first accepted TCP connection, one per fresh RIE.
	// RIE starts the runtime lazily on the first invoke, so this is only
	// its HTTP server coming up.
	Listen []time.Duration
	// IdleRSS is VmRSS of each of those processes, settle after listening
	// (before any invoke, so without the runtime process).
	IdleRSS []int64
	// Cold are the first invokes of those processes: runtime start, init
	// and the invoke.
	Cold []time.Duration
	// Warm and RSSAfter are as for Nimbus, measured on one more RIE.
	Warm     warmResult
	RSSAfter int64
	// Queued is the throughput run with the callers queued behind one
	// client-side lock, so RIE sees one invoke at a time (the usual
	// workaround for its single runtime).
	Queued throughputResult
	// Throughput is the throughput run as Nimbus gets it: callers
	// concurrent, no warm-up of more instances (RIE has one runtime).
	Throughput throughputResult
	// Crash is the panic line RIE logged when it died in that run.
	Crash string
}

// findRIE returns the aws-lambda-rie binary: path when set, else the one on
// PATH, else the one in $GOBIN or each $(go env GOPATH)/bin.
func findRIE(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", err
		}
		return path, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) > 0 && lines[0] != "" {
			dirs = append(dirs, lines[0])
		}
		if len(lines) > 1 {
			for _, gp := range filepath.SplitList(lines[1]) {
				dirs = append(dirs, filepath.Join(gp, "bin"))
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "aws-lambda-rie")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("aws-lambda-rie not found on PATH, in $GOBIN or in $(go env GOPATH)/bin")
}

// startRIE execs RIE serving bootstrap on free loopback ports (its invoke
// API and the Runtime API it gives the runtime) and returns it with its URL
// and the time from exec to the first accepted TCP connection.
func startRIE(bin, bootstrap string, stderr *os.File) (*process, string, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, "", 0, err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, "", 0, err
	}
	argv := []string{bin, "--log-level", "error",
		"--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, bootstrap}
	env := []string{"AWS_LAMBDA_FUNCTION_NAME=" + rieFunction, "AWS_LAMBDA_FUNCTION_TIMEOUT=30", "AWS_REGION=us-east-1"}
	p, t0, err := startProcess(argv, filepath.Dir(bootstrap), env, stderr)
	if err != nil {
		return nil, "", 0, err
	}
	at, err := waitListening(addr, 20*time.Second, p.exited)
	if err != nil {
		p.stop(5 * time.Second)
		return nil, "", 0, fmt.Errorf("aws-lambda-rie: %w", err)
	}
	return p, "http://" + addr, at.Sub(t0), nil
}

// rieStarts times o.RIEStarts fresh RIE processes to listening, reads each
// one's RSS after o.Settle and then times its first invoke.
func rieStarts(ctx context.Context, o options, bin, bootstrap string, stderr *os.File, r *rieResult) error {
	for i := range o.RIEStarts {
		p, url, d, err := startRIE(bin, bootstrap, stderr)
		if err != nil {
			return fmt.Errorf("start %d: %w", i+1, err)
		}
		time.Sleep(o.Settle)
		rss, rssErr := procRSS(p.pid())
		cold, err := target{client: newClient(url), function: rieFunction, proc: p}.timedInvoke(ctx, echoPayload)
		p.stop(5 * time.Second)
		if err != nil {
			return fmt.Errorf("first invoke of RIE %d: %w", i+1, err)
		}
		if rssErr != nil {
			return rssErr
		}
		r.Listen = append(r.Listen, d)
		r.IdleRSS = append(r.IdleRSS, rss)
		r.Cold = append(r.Cold, cold)
	}
	progress("rie: %d starts, median %v to listening, first invoke median %v", len(r.Listen),
		median(r.Listen).Round(time.Microsecond), median(r.Cold).Round(time.Microsecond))
	return nil
}

// startRIEMain starts the RIE the invoke runs use and invokes it once (so
// its runtime runs), and returns it and a target on it. The caller stops
// the process.
func startRIEMain(ctx context.Context, bin, bootstrap string, stderr *os.File) (*process, target, error) {
	p, url, _, err := startRIE(bin, bootstrap, stderr)
	if err != nil {
		return nil, target{}, err
	}
	t := target{client: newClient(url), function: rieFunction, proc: p}
	if err := t.invoke(ctx, echoPayload); err != nil {
		p.stop(5 * time.Second)
		return nil, target{}, fmt.Errorf("first invoke of RIE: %w", err)
	}
	p.noteChildren()
	return p, t, nil
}

// lastLine returns the last line of the file at path that contains substr,
// or "".
func lastLine(path, substr string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], substr) {
			return strings.TrimSpace(lines[i])
		}
	}
	return ""
}
