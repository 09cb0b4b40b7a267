package awsproto

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeFormats(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"epoch seconds", Time{at}, `1704164645.678`},
		{"whole seconds", Time{at.Truncate(time.Second)}, `1704164645`},
		{"iso8601", ISOTime{Time{at}}, `"2024-01-02T03:04:05.678Z"`},
		{"rfc822", HTTPTime{Time{at}}, `"Tue, 02 Jan 2024 03:04:05 GMT"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil || string(b) != tt.want {
				t.Fatalf("Marshal = %s, %v; want %s", b, err, tt.want)
			}
		})
	}
	for _, in := range []string{`1704164645.678`, `"2024-01-02T03:04:05.678Z"`, `"Tue, 02 Jan 2024 03:04:05 GMT"`} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil || got.Unix() != at.Unix() {
			t.Errorf("Unmarshal(%s) = %v, %v", in, got, err)
		}
	}
	var bad Time
	for _, in := range []string{`"yesterday"`, `1e999`, `true`} {
		if err := json.Unmarshal([]byte(in), &bad); err == nil {
			t.Errorf("Unmarshal(%s) accepted", in)
		}
	}
}
