package main

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ddbFloorHandler answers the DynamoDB operations the bench measures
// (POST / with X-Amz-Target DynamoDB_20120810.OP) after reading the request
// body, with a fixed response of the shape a server gives for the bench's
// data, and nothing else: the least any server can do for the same
// request. It sets the X-Amz-Crc32 header the SDK checks. Other targets
// get a 400 UnknownOperationException.
func ddbFloorHandler() http.Handler {
	type answer struct {
		body []byte
		crc  string
	}
	answers := map[string]answer{}
	for op, v := range ddbFloorBodies() {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // only maps of strings
		}
		answers["DynamoDB_20120810."+op] = answer{b, strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10)}
	}
	unknown := []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#UnknownOperationException"}`)
	unknownCRC := strconv.FormatUint(uint64(crc32.ChecksumIEEE(unknown)), 10)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/x-amz-json-1.0")
		a, ok := answers[r.Header.Get("X-Amz-Target")]
		if !ok {
			h.Set("X-Amz-Crc32", unknownCRC)
			w.WriteHeader(http.StatusBadRequest)
			w.Write(unknown)
			return
		}
		h.Set("X-Amz-Crc32", a.crc)
		w.Write(a.body)
	})
}

// ddbFloorBodies are the floor's answers by operation, as JSON values:
// nothing for the writes (no ReturnValues), the first item for GetItem,
// and the Query partition's page, whose LastEvaluatedKey is the last item's
// key, as DynamoDB's is when a page ends at its Limit.
func ddbFloorBodies() map[string]any {
	pk, sk := ddbItemKey(0)
	page := make([]map[string]map[string]string, ddbQueryItems)
	for i := range page {
		page[i] = ddbItemJSON(ddbQueryPK, ddbQuerySK(i))
	}
	return map[string]any{
		"PutItem":    map[string]any{},
		"UpdateItem": map[string]any{},
		"GetItem":    map[string]any{"Item": ddbItemJSON(pk, sk)},
		"Query": map[string]any{"Count": ddbQueryItems, "ScannedCount": ddbQueryItems, "Items": page,
			"LastEvaluatedKey": map[string]map[string]string{
				"pk": {"S": ddbQueryPK},
				"sk": {"S": ddbQuerySK(ddbQueryItems - 1)},
			}},
	}
}

// ddbItemJSON is ddbItem(pk, sk) in DynamoDB's JSON.
func ddbItemJSON(pk, sk string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for name, v := range ddbItem(pk, sk) {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out[name] = map[string]string{"S": v.Value}
		case *types.AttributeValueMemberN:
			out[name] = map[string]string{"N": v.Value}
		default:
			panic(fmt.Sprintf("ddbItemJSON: attribute %s is a %T", name, v))
		}
	}
	return out
}
