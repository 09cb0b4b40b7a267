// Command rawfn is a test runtime speaking the Runtime API with plain
// net/http. RAW_MODE chooses the scenario.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

var base = "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/"

func call(method, path string, body io.Reader, header map[string]string) (int, string) {
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		panic(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "call:", err)
		os.Exit(3)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func next() string {
	req, _ := http.NewRequest("GET", base+"invocation/next", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		os.Exit(4)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
}

func main() {
	switch os.Getenv("RAW_MODE") {
	case "initerror":
		fmt.Println("init failing")
		call("POST", "init/error", strings.NewReader(`{"errorMessage":"bad config","errorType":"InitFailed"}`),
			map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.InitFailed"})
		time.Sleep(time.Minute)
	case "protocol":
		// Wrong calls before and during an invocation, then a good answer
		// listing the statuses seen.
		var seen []string
		record := func(code int, body string) { seen = append(seen, fmt.Sprintf("%d %s", code, body)) }
		record(call("POST", "invocation/nope/response", strings.NewReader("x"), nil))
		id := next()
		record(call("POST", "invocation/wrong-id/response", strings.NewReader("x"), nil))
		record(call("GET", "invocation/next", nil, nil))
		record(call("POST", "init/error", strings.NewReader("{}"), nil))
		record(call("GET", "no/such/path", nil, nil))
		record(call("POST", "invocation/"+id+"/response", strings.NewReader(`"first"`), nil))
		record(call("POST", "invocation/"+id+"/response", strings.NewReader(`"second"`), nil))
		out, _ := json.Marshal(seen)
		fmt.Println(string(out))
		for { // the next /next completes the first invocation; answer the rest plainly
			id = next()
			call("POST", "invocation/"+id+"/response", strings.NewReader(`"ok"`), nil)
		}
	case "trailer":
		for {
			id := next()
			// A chunked body whose reader fails: trailers carry the error.
			pr, pw := io.Pipe()
			req, _ := http.NewRequest("POST", base+"invocation/"+id+"/response", pr)
			req.Trailer = http.Header{"Lambda-Runtime-Function-Error-Type": nil, "Lambda-Runtime-Function-Error-Body": nil}
			go func() {
				pw.Write([]byte(`{"partial":`))
				req.Trailer.Set("Lambda-Runtime-Function-Error-Type", "Runtime.TruncatedResponse")
				req.Trailer.Set("Lambda-Runtime-Function-Error-Body",
					base64.StdEncoding.EncodeToString([]byte(`{"errorMessage":"reader failed","errorType":"Runtime.TruncatedResponse"}`)))
				pw.Close()
			}()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				os.Exit(5)
			}
			resp.Body.Close()
		}
	case "errorheader":
		for {
			id := next()
			call("POST", "invocation/"+id+"/error", bytes.NewReader([]byte(`{"errorMessage":"custom","errorType":"MyError","stackTrace":[]}`)),
				map[string]string{"Lambda-Runtime-Function-Error-Type": "Function.Custom", "Content-Type": "application/json"})
		}
	case "exit0":
		next()
		os.Exit(0)
	case "big":
		id := next()
		code, body := call("POST", "invocation/"+id+"/response", bytes.NewReader(make([]byte, 6291557)), nil)
		fmt.Println(code, body)
		os.Exit(1)
	case "hang":
		select {}
	default:
		fmt.Println("unknown RAW_MODE")
		os.Exit(2)
	}
}
