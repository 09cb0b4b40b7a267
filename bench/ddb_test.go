package main

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
)

func TestSpliceSection(t *testing.T) {
	t.Parallel()
	const section = "\n## DynamoDB\n\nnew\n"
	tests := []struct {
		name, doc, want string
	}{
		{"empty file", "", section},
		{"appended after the last section", "# Bench\n\n## SQS\n\nsqs\n", "# Bench\n\n## SQS\n\nsqs\n" + section},
		{"appended to a file without a final newline", "# Bench", "# Bench\n" + section},
		{"replaced at the end", "# Bench\n\n## DynamoDB\n\nold\n### Targets\n\nold\n", "# Bench\n" + section},
		{"replaced before the next section", "# Bench\n\n## DynamoDB\n\nold\n\n## Later\n\nlater\n", "# Bench\n" + section + "\n## Later\n\nlater\n"},
		{"a heading that only starts the same is not it", "# Bench\n\n## DynamoDB streams\n\nx\n", "# Bench\n\n## DynamoDB streams\n\nx\n" + section},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, spliceSection(tt.doc, "## DynamoDB", section)); diff != "" {
				t.Errorf("spliceSection (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDDBFloor drives the floor handler with the SDK client the bench
// uses: every measured operation must succeed (the SDK checks the
// X-Amz-Crc32 header and decodes the body) and pass the bench's checks.
func TestDDBFloor(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(floorHandler())
	defer srv.Close()
	// The SDK's default retries: it sometimes closes a connection under a
	// response it is reading (see newDDBClient), and retries that.
	client := dynamodb.New(newDDBClient(srv.URL).Options(), func(o *dynamodb.Options) { o.RetryMaxAttempts = 3 })
	for _, op := range ddbOps {
		if err := op.call(context.Background(), client, "test", 7); err != nil {
			t.Errorf("%s: %v", op.name, err)
		}
	}
}
