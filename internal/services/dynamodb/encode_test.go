package dynamodb

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nimbus-dev/nimbus/internal/awsproto"
	"github.com/nimbus-dev/nimbus/internal/dynamodb/attr"
	"github.com/nimbus-dev/nimbus/internal/ptr"
)

// TestAppendJSONMatchesEncodingJSON checks the item outputs' own encoders
// against encoding/json on the same values.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	item := map[string]attr.Value{"pk": attr.String("a"), "n": attr.Int(12), "l": attr.List(attr.Bool(true), attr.Null())}
	for _, tt := range []struct {
		name string
		out  awsproto.JSONAppender
	}{
		{"GetItem with an item", &GetItemOutput{Item: item}},
		{"GetItem without", &GetItemOutput{}},
		{"GetItem with capacity only", &GetItemOutput{ConsumedCapacity: &ConsumedCapacity{TableName: ptr.To("t"), CapacityUnits: ptr.To(0.5)}}},
		{"Query", &QueryOutput{Items: []map[string]attr.Value{item, item}, Count: ptr.To(int32(2)), ScannedCount: ptr.To(int32(3)), LastEvaluatedKey: map[string]attr.Value{"pk": attr.String("a")}}},
		{"Query with no items", &QueryOutput{Items: []map[string]attr.Value{}, Count: ptr.To(int32(0)), ScannedCount: ptr.To(int32(0))}},
		{"Query COUNT", &QueryOutput{Count: ptr.To(int32(7)), ScannedCount: ptr.To(int32(9))}},
		{"Scan", &ScanOutput{Items: []map[string]attr.Value{item}, Count: ptr.To(int32(1)), ScannedCount: ptr.To(int32(1))}},
		{"BatchGetItem", &BatchGetItemOutput{Responses: map[string][]map[string]attr.Value{"a": {item}, "b": {}}, UnprocessedKeys: map[string]KeysAndAttributes{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.out.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(tt.out)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("AppendJSON wrote invalid JSON %s: %v", got, err)
			}
			json.Unmarshal(want, &w)
			if d := cmp.Diff(w, g); d != "" {
				t.Errorf("AppendJSON differs from encoding/json (-want +got):\n%s", d)
			}
		})
	}
}
