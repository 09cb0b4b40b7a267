// Command ddbstreamfn is the function the bench triggers from a DynamoDB
// stream (bench/ddbstream.go): for every record of a batch it posts the
// time its handler started, in Unix nanoseconds, the record's partition key
// and its sequence number, separated by spaces, to $RECORD_URL.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// event is the part of a DynamoDB stream event the bench reads.
type event struct {
	Records []struct {
		Dynamodb struct {
			Keys           map[string]map[string]string `json:"Keys"`
			SequenceNumber string                       `json:"SequenceNumber"`
		} `json:"dynamodb"`
	} `json:"Records"`
}

func handle(ctx context.Context, ev event) error {
	started := strconv.FormatInt(time.Now().UnixNano(), 10)
	for _, r := range ev.Records {
		line := started + " " + r.Dynamodb.Keys["pk"]["S"] + " " + r.Dynamodb.SequenceNumber
		resp, err := http.Post(os.Getenv("RECORD_URL"), "text/plain", strings.NewReader(line))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("recorder answered %s", resp.Status)
		}
	}
	return nil
}

func main() { lambda.Start(handle) }
