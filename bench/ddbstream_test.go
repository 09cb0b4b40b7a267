package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSeqBefore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"same width, lower", "100000000000000000001", "100000000000000000002", true},
		{"same width, higher", "100000000000000000010", "100000000000000000009", false},
		{"equal", "100000000000000000001", "100000000000000000001", false},
		{"shorter is lower", "1100000000017454423009", "11000000000174544230010", true},
		{"longer is higher", "11000000000174544230010", "1100000000017454423009", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := seqBefore(tt.a, tt.b); got != tt.want {
				t.Errorf("seqBefore(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestSpliceBothDynamoDBSections checks that the DynamoDB and DynamoDB
// Streams sections, which -only dynamodb and -only streams rewrite, each
// replace only themselves.
func TestSpliceBothDynamoDBSections(t *testing.T) {
	t.Parallel()
	doc := "# Bench\n\n## DynamoDB\n\nddb\n\n" + streamsHeading + "\n\nstreams\n"
	tests := []struct {
		name, heading, section, want string
	}{
		{"DynamoDB", "## DynamoDB", "\n## DynamoDB\n\nnew ddb\n", "# Bench\n\n## DynamoDB\n\nnew ddb\n\n" + streamsHeading + "\n\nstreams\n"},
		{"Streams", streamsHeading, "\n" + streamsHeading + "\n\nnew streams\n", "# Bench\n\n## DynamoDB\n\nddb\n\n" + streamsHeading + "\n\nnew streams\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, spliceSection(doc, tt.heading, tt.section)); diff != "" {
				t.Errorf("spliceSection (-want +got):\n%s", diff)
			}
		})
	}
}
