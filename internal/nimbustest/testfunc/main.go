// Command testfunc is the Lambda function the tests and benchmarks deploy:
// a real aws-lambda-go handler, built as a provided.al2023 `bootstrap`,
// whose behaviour each event chooses.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	// URL is where record posts the request id (nimbustest.Recorder): a
	// function instance sees neither the test's files nor its /tmp.
	URL string `json:"url"`
	// MB is how much memory alloc takes and touches.
	MB int `json:"mb"`
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
	case "alloc":
		held := make([][]byte, 0, ev.MB)
		for range ev.MB {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			held = append(held, b)
		}
		res.Count = len(held)
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
		resp, err := http.Post(ev.URL, "text/plain", strings.NewReader(lc.AwsRequestID))
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if ev.Millis > 0 {
			time.Sleep(time.Duration(ev.Millis) * time.Millisecond)
		}
	default:
		return nil, fmt.Errorf("unknown action %q", ev.Action)
	}
	return res, nil
}

func main() { lambda.Start(handle) }
