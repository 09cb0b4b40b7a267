package attr

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchItem is about 1 KB of item JSON with attributes of every type.
var benchItem = []byte(`{
 "pk": {"S": "user#8f14e45fceea167a5a36dedd4bea2543"},
 "sk": {"S": "profile#2024-05-01T12:00:00Z"},
 "name": {"S": "Ada Lovelace"},
 "bio": {"S": "Mathematician and writer, chiefly known for her work on Charles Babbage's proposed mechanical general-purpose computer, the Analytical Engine."},
 "city": {"S": "Zürich \u00e9t\u00e9"},
 "age": {"N": "36"},
 "balance": {"N": "12345.6789"},
 "score": {"N": "-0.000125"},
 "big": {"N": "1.2345678901234567890123456789e40"},
 "avatar": {"B": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="},
 "active": {"BOOL": true},
 "deleted": {"NULL": true},
 "tags": {"SS": ["admin", "beta", "early-adopter", "math"]},
 "lucky": {"NS": ["7", "13", "42", "3.14159"]},
 "keys": {"BS": ["AAEC", "AwQF", "BgcI"]},
 "address": {"M": {
   "street": {"S": "12 St James's Square"},
   "zip": {"S": "SW1Y 4JH"},
   "geo": {"M": {"lat": {"N": "51.5074"}, "lon": {"N": "-0.1278"}}}
 }},
 "history": {"L": [
   {"M": {"at": {"N": "1714564800"}, "event": {"S": "login"}}},
   {"M": {"at": {"N": "1714568400"}, "event": {"S": "update"}}},
   {"S": "note"}, {"N": "3"}, {"BOOL": false}
 ]}
}`)

func BenchmarkDecodeItem(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchItem)))
	for b.Loop() {
		if _, err := ParseItem(benchItem); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeItemStdlib decodes through encoding/json, as a request
// struct with an Item field does.
func BenchmarkDecodeItemStdlib(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchItem)))
	for b.Loop() {
		var it Item
		if err := json.Unmarshal(benchItem, &it); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeItem(b *testing.B) {
	it, err := ParseItem(benchItem)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		if buf, err = AppendItemJSON(buf[:0], it); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkAppendKey(b *testing.B) {
	keys := []Value{
		String("user#8f14e45fceea167a5a36dedd4bea2543"),
		String("profile#2024-05-01T12:00:00Z"),
		Int(1714564800),
		mustNumber(b, "-12345.678901234567890123456789"),
		Binary([]byte(strings.Repeat("\x00\x01", 16))),
	}
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = buf[:0]
		for _, k := range keys {
			buf = AppendKey(buf, k)
		}
	}
}

func BenchmarkCompareNumbers(b *testing.B) {
	x := mustNumber(b, "12345.678901234567890123456789")
	y := mustNumber(b, "12345.678901234567890123456788")
	b.ReportAllocs()
	for b.Loop() {
		if Compare(x, y) != 1 {
			b.Fatal("order")
		}
	}
}
