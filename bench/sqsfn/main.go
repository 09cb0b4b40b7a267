// Command sqsfn is the function the bench triggers from SQS: for every
// record it posts the time its handler started, in Unix nanoseconds, and
// the message body to $RECORD_URL.
package main

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(ctx context.Context, ev events.SQSEvent) error {
	started := time.Now().UnixNano()
	for _, r := range ev.Records {
		resp, err := http.Post(os.Getenv("RECORD_URL"), "text/plain", strings.NewReader(strconv.FormatInt(started, 10)+" "+r.Body))
		if err != nil {
			return err
		}
		resp.Body.Close()
	}
	return nil
}

func main() { lambda.Start(handle) }
