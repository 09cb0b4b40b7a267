// Command peerfn is a test function built on aws-lambda-go (build with
// -tags lambda.norpc). Given another instance's Runtime API address in
// "target", it tries to take that instance's next event and to post a
// result for it, and reports what each call got; it also calls its own
// Runtime API on a new connection. Without a target it echoes "echo".
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Target string `json:"target"`
	Echo   string `json:"echo"`
}

// outcome is what one Runtime API call got.
type outcome struct {
	Status    int    `json:"status,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Err       string `json:"err,omitempty"` // the call failed without an answer
}

// call sends one request on a connection of its own.
func call(ctx context.Context, method, url, body string) outcome {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return outcome{Err: err.Error()}
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return outcome{Err: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		ErrorType string `json:"errorType"`
	}
	_ = json.Unmarshal(b, &e)
	return outcome{Status: resp.StatusCode, ErrorType: e.ErrorType}
}

func handle(ctx context.Context, e event) (any, error) {
	if e.Target == "" {
		return map[string]any{"echo": e.Echo, "uid": os.Getuid()}, nil
	}
	other := "http://" + e.Target + "/2018-06-01/runtime/invocation/"
	own := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/"
	return map[string]any{
		"uid":      os.Getuid(),
		"next":     call(ctx, "GET", other+"next", ""),
		"response": call(ctx, "POST", other+"8476a536-e9f4-11e8-9739-2dfe598c3fcd/response", `"stolen"`),
		"own":      call(ctx, "GET", own+"no/such/path", ""),
	}, nil
}

func main() {
	fmt.Println("init: peerfn")
	lambda.Start(handle)
}
