package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// floorResponse is what the floor server answers every Invoke with: the
// shape of the test function's answer to echoPayload.
const floorResponse = `{"action":"echo","requestId":"00000000-0000-0000-0000-000000000000","count":1}`

// floorHandler answers Lambda's Invoke route with floorResponse after
// reading the request body, and nothing else: the least any server can do
// for the same request, so its CPU per invoke is the floor Nimbus's is
// compared with. POST / is DynamoDB's floor, ddbFloorHandler.
func floorHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /{$}", ddbFloorHandler())
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		io.WriteString(w, floorResponse)
	})
	return mux
}

// serveFloor serves floorHandler on addr until the process is killed. It
// is what `bench -floor-server ADDR` runs.
func serveFloor(addr string) error {
	srv := &http.Server{Addr: addr, Handler: floorHandler(), ReadHeaderTimeout: 30 * time.Second}
	return srv.ListenAndServe()
}

// floorResult holds what was measured of the floor server.
type floorResult struct {
	Warm       warmResult
	Throughput throughputResult
	// ColdStart is coldFloor's figures.
	ColdStart []time.Duration
}

// startFloorServer starts this binary as a floor server in a subprocess
// and returns it and a target on it. The caller stops the process.
func startFloorServer(stderr *os.File) (*process, target, error) {
	p, url, err := startFloorProcess(stderr)
	if err != nil {
		return nil, target{}, err
	}
	return p, target{client: newClient(url), function: "floor", proc: p}, nil
}

// startFloorProcess starts this binary as a floor server in a subprocess
// and returns it and its URL once it listens. The caller stops the process.
func startFloorProcess(stderr *os.File) (*process, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	p, _, err := startProcess([]string{self, "-floor-server", addr}, "", nil, stderr)
	if err != nil {
		return nil, "", err
	}
	if _, err := waitListening(addr, 20*time.Second, p.exited); err != nil {
		p.stop(5 * time.Second)
		return nil, "", fmt.Errorf("floor server: %w", err)
	}
	return p, "http://" + addr, nil
}

// coldFloor execs bootstrap n times with a Runtime API that only listens,
// and returns the time from each exec to the runtime's first request
// (GET /2018-06-01/runtime/invocation/next): the part of a cold start that
// is the process and its runtime starting, which no server avoids.
func coldFloor(bootstrap string, n int, stderr *os.File) ([]time.Duration, error) {
	arrived := make(chan time.Time, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- time.Now():
		default:
		}
		<-r.Context().Done() // the runtime waits here until it is stopped
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	env := []string{"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(), "AWS_LAMBDA_FUNCTION_NAME=floor", "AWS_REGION=us-east-1"}
	var out []time.Duration
	for i := range n {
		p, t0, err := startProcess([]string{bootstrap}, filepath.Dir(bootstrap), env, stderr)
		if err != nil {
			return nil, err
		}
		select {
		case at := <-arrived:
			out = append(out, at.Sub(t0))
		case <-p.exited:
			return nil, fmt.Errorf("bootstrap %d exited before asking for an event", i+1)
		case <-time.After(10 * time.Second):
			p.stop(time.Second)
			return nil, fmt.Errorf("bootstrap %d never asked for an event", i+1)
		}
		p.stop(time.Second)
	}
	return out, nil
}
