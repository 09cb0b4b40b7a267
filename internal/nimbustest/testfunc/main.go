// Command testfunc is the Lambda function the tests and benchmarks deploy:
// a real aws-lambda-go handler, built as a provided.al2023 `bootstrap`,
// whose behaviour each event chooses.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Event selects what the function does.
type Event struct {
	// Action is echo (default), error, sleep, exit, panic, print, env or record.
	Action string `json:"action"`
	// Millis is how long sleep sleeps.
	Millis int `json:"ms"`
	// Text is printed by print, or the error message of error.
	Text string `json:"text"`
	// File is where record appends the request id (one line per run).
	File string `json:"file"`
	// Size makes echo answer a string of this many bytes.
	Size int `json:"size"`
	// Any carries arbitrary JSON back in echo.
	Any any `json:"any,omitempty"`
}

// Result is what the function answers.
type Result struct {
	Action    string            `json:"action"`
	RequestID string            `json:"requestId"`
	Count     int               `json:"count"`
	Any       any               `json:"any,omitempty"`
	Blob      string            `json:"blob,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
}

// count survives between invocations of a warm instance.
var count int

func handle(ctx context.Context, ev Event) (*Result, error) {
	count++
	lc, _ := lambdacontext.FromContext(ctx)
	res := &Result{Action: ev.Action, RequestID: lc.AwsRequestID, Count: count, Any: ev.Any}
	switch ev.Action {
	case "", "echo":
		res.Blob = strings.Repeat("x", ev.Size)
	case "error":
		return nil, errors.New(ev.Text)
	case "sleep":
		time.Sleep(time.Duration(ev.Millis) * time.Millisecond)
	case "exit":
		os.Exit(1)
	case "panic":
		panic(ev.Text)
	case "print":
		fmt.Println(ev.Text)
		fmt.Fprintln(os.Stderr, "stderr: "+ev.Text)
	case "env":
		res.Env = map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			res.Env[k] = v
		}
	case "record":
		f, err := os.OpenFile(ev.File, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(f, lc.AwsRequestID)
		if err := f.Close(); err != nil {
			return nil, err
		}
		if ev.Millis > 0 {
			time.Sleep(time.Duration(ev.Millis) * time.Millisecond)
		}
	default:
		return nil, fmt.Errorf("unknown action %q", ev.Action)
	}
	return res, nil
}

func main() { lambda.Start(handle) }
