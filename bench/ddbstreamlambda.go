package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// handlerRun is Nimbus's write → handler start run.
type handlerRun struct {
	// Latencies holds, for every timed write whose record reached the
	// function, the time from sending PutItem to the start of the handler
	// that got it (bench/ddbstreamfn reports it).
	Latencies []time.Duration
	// Warmups is how many untimed writes reached the function first.
	Warmups int
	// Lost counts writes whose record did not reach the function within
	// streamWait; Unexpected the deliveries of other records meanwhile
	// (repeats, late ones); Late the deliveries in the second after the last
	// write; Dropped those the recorder could not queue.
	Lost, Unexpected, Late int
	Dropped                int64
	// Failed is why the run could not be made; nil when it was.
	Failed error
	errorCounts
}

// delivery is one record's arrival at the function.
type delivery struct {
	started time.Time
	key     string
}

// measureHandler creates the stream function on s (Nimbus), maps the
// handler table's stream to it (LATEST, BatchSize 1), and times
// streamHandlerWrites sequential writes from PutItem to the start of the
// handler invoked with their record, after streamHandlerWarmups untimed
// ones. Before each timed write it waits a random part of the mapping's
// poll interval, so that writes land at every phase of the poller's cycle
// instead of right after its last read.
func measureHandler(ctx context.Context, s *streamServer, zip []byte) handlerRun {
	var r handlerRun
	var dropped atomic.Int64
	arrived := make(chan delivery, 1024)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		fields := strings.Fields(string(b))
		if len(fields) < 2 {
			http.Error(w, "want: started key [sequence number]", http.StatusBadRequest)
			return
		}
		ns, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case arrived <- delivery{started: time.Unix(0, ns), key: fields[1]}:
		default:
			dropped.Add(1)
		}
	}))
	defer rec.Close()
	if r.Failed = mapStreamFunction(ctx, s, zip, rec.URL); r.Failed != nil {
		return r
	}

	deadline := time.Now().Add(streamHandlerLimit)
	for i := -streamHandlerWarmups; i < streamHandlerWrites && time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		pk := fmt.Sprintf("handler-%04d", i)
		if i < 0 {
			pk = fmt.Sprintf("warm-%d", -i)
		} else {
			time.Sleep(rand.N(nimbusShardPoll))
		}
		t0 := time.Now()
		if _, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(streamHandlerTable), Item: ddbItem(pk, "0")}); err != nil {
			r.fail(err)
			continue
		}
		d, ok := awaitDelivery(arrived, pk, streamWait, &r)
		switch {
		case !ok:
			r.Lost++
		case i < 0:
			r.Warmups++
		default:
			r.Latencies = append(r.Latencies, d.started.Sub(t0))
		}
	}
	// Anything arriving after the last write is a repeat or a straggler.
	end := time.After(time.Second)
drain:
	for {
		select {
		case <-arrived:
			r.Late++
		case <-end:
			break drain
		}
	}
	r.Dropped = dropped.Load()
	return r
}

// awaitDelivery waits up to wait for the record of key to reach the
// function, counting the other deliveries meanwhile in r.Unexpected.
func awaitDelivery(arrived <-chan delivery, key string, wait time.Duration, r *handlerRun) (delivery, bool) {
	timeout := time.After(wait)
	for {
		select {
		case d := <-arrived:
			if d.key == key {
				return d, true
			}
			r.Unexpected++
		case <-timeout:
			return delivery{}, false
		}
	}
}

// mapStreamFunction creates the stream function on s, posting to
// recorder, waits until it is Active, maps the handler table's stream to
// it from LATEST with BatchSize 1, and waits until the mapping is Enabled
// and its poller has read the shard's position.
func mapStreamFunction(ctx context.Context, s *streamServer, zip []byte, recorder string) error {
	const name = "ddbstreamfn"
	if s.lambda == nil {
		return fmt.Errorf("%s runs no functions here", s.name)
	}
	if _, err := s.lambda.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name),
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Role: aws.String("arn:aws:iam::000000000000:role/bench"), Code: &lambdatypes.FunctionCode{ZipFile: zip},
		Environment: &lambdatypes.Environment{Variables: map[string]string{"RECORD_URL": recorder}}}); err != nil {
		return fmt.Errorf("creating the stream function: %w", err)
	}
	if err := lambda.NewFunctionActiveV2Waiter(s.lambda).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 30*time.Second); err != nil {
		return fmt.Errorf("waiting for the stream function to be Active: %w", err)
	}
	m, err := s.lambda.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String(name),
		EventSourceArn: aws.String(s.arns[streamHandlerTable]), StartingPosition: lambdatypes.EventSourcePositionLatest,
		BatchSize: aws.Int32(1)})
	if err != nil {
		return fmt.Errorf("mapping the stream to the function: %w", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, err := s.lambda.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: m.UUID})
		if err != nil {
			return fmt.Errorf("reading the stream mapping: %w", err)
		}
		if aws.ToString(got.State) == "Enabled" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the stream mapping is %s, not Enabled, after 10s", aws.ToString(got.State))
		}
	}
	// A LATEST mapping starts after the records that are there when its
	// poller first lists the shards: give it two polls.
	time.Sleep(2 * nimbusShardPoll)
	return nil
}
