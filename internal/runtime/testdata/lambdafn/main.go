// Command lambdafn is a test function built on aws-lambda-go (build with
// -tags lambda.norpc). The event's "action" chooses what it does.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action string `json:"action"`
	Ms     int    `json:"ms"`
	N      int    `json:"n"`
	Text   string `json:"text"`
}

var counter int

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	if os.Getenv("MARK_CALLS") != "" {
		fmt.Printf("handler called with %s\n", raw)
	}
	var e event
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	switch e.Action {
	case "echo":
		return raw, nil
	case "error":
		return nil, errors.New("boom")
	case "sleep":
		time.Sleep(time.Duration(e.Ms) * time.Millisecond)
		return "slept", nil
	case "exit":
		fmt.Println("exiting now")
		os.Exit(1)
	case "print":
		fmt.Println("hello stdout")
		fmt.Fprintln(os.Stderr, "hello stderr")
		fmt.Print("no newline")
		return "printed", nil
	case "printmany":
		for n := 0; n < e.N; n++ {
			fmt.Printf("line %d %s\n", n, e.Text)
		}
		return "printed", nil
	case "hold": // holds N MB, touched, for Ms milliseconds
		held := make([][]byte, e.N)
		for n := range held {
			held[n] = make([]byte, 1<<20)
			for i := 0; i < len(held[n]); i += 4096 {
				held[n][i] = 1
			}
		}
		time.Sleep(time.Duration(e.Ms) * time.Millisecond)
		return len(held), nil
	case "fill": // allocates N MB in $TMPDIR (two files), without writing them
		for _, name := range []string{"a", "b"} {
			f, err := os.Create(filepath.Join(os.Getenv("TMPDIR"), name))
			if err != nil {
				return nil, err
			}
			err = syscall.Fallocate(int(f.Fd()), 0, 0, int64(e.N)<<20)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
		return "filled", nil
	case "block": // returns once the file Text exists
		for {
			if _, err := os.Stat(e.Text); err == nil {
				return "released", nil
			}
			time.Sleep(5 * time.Millisecond)
		}
	case "count":
		counter++
		return counter, nil
	case "panic":
		panic("oops")
	case "big":
		return strings.Repeat("x", e.N), nil
	case "env":
		return os.Environ(), nil
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"requestId":   lc.AwsRequestID,
			"arn":         lc.InvokedFunctionArn,
			"trace":       os.Getenv("_X_AMZN_TRACE_ID"),
			"deadlineMs":  deadline.UnixMilli(),
			"cwd":         must(os.Getwd()),
			"clientAppId": lc.ClientContext.Client.AppTitle,
		}, nil
	}
	return nil, fmt.Errorf("unknown action %q", e.Action)
}

func must(s string, _ error) string { return s }

func main() {
	fmt.Println("init: starting")
	if os.Getenv("TRAP_SIGTERM") != "" { // handles SIGTERM and stays
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		go func() {
			<-c
			fmt.Println("SIGTERM received")
		}()
	}
	lambda.Start(handle)
}
