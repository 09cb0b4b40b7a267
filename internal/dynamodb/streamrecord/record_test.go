package streamrecord

import (
	"encoding/json"
	"testing"
)

func TestRecordKeepsItsJSON(t *testing.T) {
	in := `[{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"a"}}}},null]`
	var recs []Record
	if err := json.Unmarshal([]byte(in), &recs); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(recs)
	if err != nil || string(out) != in {
		t.Errorf("round trip = %s, %v; want %s", out, err, in)
	}
	var r Record
	if err := r.UnmarshalJSON([]byte(`{"a":`)); err == nil {
		t.Error("invalid JSON accepted")
	}
	if b, _ := Record(nil).MarshalJSON(); string(b) != "null" {
		t.Errorf("empty record marshals as %s", b)
	}
}
