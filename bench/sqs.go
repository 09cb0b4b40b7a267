package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// goawsInstall says how to get the goaws binary the SQS comparison uses.
const goawsInstall = "GOBIN=$(go env GOPATH)/bin go install github.com/Admiral-Piett/goaws/app/cmd@v0.4.5 && mv $(go env GOPATH)/bin/cmd $(go env GOPATH)/bin/goaws"

// findGoaws looks for goaws on PATH, then in $(go env GOPATH)/bin.
func findGoaws(flagged string) string {
	if flagged != "" {
		return flagged
	}
	if p, err := exec.LookPath("goaws"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "goaws")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// runSQSComparison runs the SQS comparison module (bench/sqs, its own Go
// module for the query-era client) against the nimbus binary, goaws and
// moto_server, and returns its markdown report.
func runSQSComparison(ctx context.Context, root, nimbusBin, goaws string) (string, error) {
	args := []string{"run", ".", "-nimbus", nimbusBin}
	if goaws != "" {
		args = append(args, "-goaws", goaws)
	} else {
		fmt.Fprintf(os.Stderr, "bench: goaws not found; install it with\n\n\t%s\n\nMeasuring SQS without it.\n", goawsInstall)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Join(root, "bench", "sqs")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("bench/sqs: %w", err)
	}
	return string(out), nil
}

// sqsDelivery is the SQS → Lambda latency measured: send → handler start.
type sqsDelivery struct {
	latencies []time.Duration
}

// measureSQSDelivery times, on a fresh server, how long a message takes
// from SendMessage to the start of the handler of the function its queue
// triggers (bench/sqsfn): n sequential messages after a warm-up.
func measureSQSDelivery(ctx context.Context, bin string, zip []byte, n int, stderr *os.File) (*sqsDelivery, error) {
	p, url, _, err := startNimbus(bin, stderr)
	if err != nil {
		return nil, err
	}
	defer p.stop(10 * time.Second)
	arrived := make(chan string, 16)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		arrived <- string(b)
	}))
	defer rec.Close()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "SECRETBENCH", "")}
	qc, lc := sqs.NewFromConfig(cfg), lambda.NewFromConfig(cfg)
	q, err := qc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("delivery")})
	if err != nil {
		return nil, err
	}
	if _, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("sqsfn"), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Role: aws.String("arn:aws:iam::000000000000:role/bench"), Code: &types.FunctionCode{ZipFile: zip},
		Environment: &types.Environment{Variables: map[string]string{"RECORD_URL": rec.URL}}}); err != nil {
		return nil, err
	}
	if err := lambda.NewFunctionActiveV2Waiter(lc).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("sqsfn")}, 30*time.Second); err != nil {
		return nil, err
	}
	if _, err := lc.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{FunctionName: aws.String("sqsfn"),
		EventSourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:delivery"), BatchSize: aws.Int32(1)}); err != nil {
		return nil, err
	}
	d := &sqsDelivery{}
	for i := -5; i < n; i++ { // the first five warm instances up
		body := "m" + strconv.Itoa(i)
		t0 := time.Now()
		if _, err := qc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			return nil, err
		}
		select {
		case got := <-arrived:
			started, rest, _ := strings.Cut(got, " ")
			ns, _ := strconv.ParseInt(started, 10, 64)
			if rest != body {
				return nil, fmt.Errorf("handler got %q, want %q", rest, body)
			}
			if i >= 0 {
				d.latencies = append(d.latencies, time.Unix(0, ns).Sub(t0))
			}
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("message %s never reached the function", body)
		}
	}
	progress("sqs → lambda: send → handler start p50 %v over %d messages", median(d.latencies).Round(time.Microsecond), len(d.latencies))
	return d, nil
}

// renderSQS is the report's SQS section.
func renderSQS(d *sqsDelivery, comparison string) string {
	var b strings.Builder
	b.WriteString("\n## SQS\n\n")
	p50 := median(d.latencies)
	fmt.Fprintf(&b, "- SQS → Lambda delivery, SendMessage → handler start of a warm function (BatchSize 1), %d sequential messages: "+
		"p50 %s, p99 %s (target p50 ≤ 5 ms: %s).\n\n", len(d.latencies), fmtDur(p50), fmtDur(percentile(d.latencies, 99)), yes(p50 <= 5*time.Millisecond))
	// The comparison module's report, one heading level down.
	b.WriteString(strings.Replace(comparison, "# SQS benchmark", "### Nimbus, goaws and moto_server through one client", 1))
	return b.String()
}
