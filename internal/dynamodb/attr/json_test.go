package attr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseValueRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"S", `{"S":"x"}`, `{"S":"x"}`},
		{"empty S", `{"S":""}`, `{"S":""}`},
		{"S escapes", `{"S":"a\"b\\c\n\u00e9\ud83d\ude00\u0001/\/"}`, `{"S":"a\"b\\c\né😀\u0001//"}`},
		{"S lone surrogate", `{"S":"\ud800x"}`, "{\"S\":\"\ufffdx\"}"},
		{"S invalid UTF-8", "{\"S\":\"a\xffb\"}", "{\"S\":\"a\ufffdb\"}"},
		{"N normalized", `{"N":"001.50"}`, `{"N":"1.5"}`},
		{"N exponent", `{"N":"-1.5e3"}`, `{"N":"-1500"}`},
		{"B", `{"B":"3q2+7w=="}`, `{"B":"3q2+7w=="}`},
		{"empty B", `{"B":""}`, `{"B":""}`},
		{"SS", `{"SS":["b","a",""]}`, `{"SS":["b","a",""]}`},
		{"NS", `{"NS":["1.0","2","-0.5e1"]}`, `{"NS":["1","2","-5"]}`},
		{"BS", `{"BS":["AA==","AAA=",""]}`, `{"BS":["AA==","AAA=",""]}`},
		{"BOOL", `{"BOOL":false}`, `{"BOOL":false}`},
		{"NULL", `{"NULL":true}`, `{"NULL":true}`},
		{"L", `{"L":[{"S":"a"},{"N":"1"},{"L":[]}]}`, `{"L":[{"S":"a"},{"N":"1"},{"L":[]}]}`},
		{"M sorted", `{"M":{"b":{"N":"2"},"a":{"M":{}}}}`, `{"M":{"a":{"M":{}},"b":{"N":"2"}}}`},
		{"white space", " {\n\t\"S\" : \"x\" } ", `{"S":"x"}`},
		{"null member ignored", `{"S":"x","N":null}`, `{"S":"x"}`},
		{"unknown member ignored", `{"X":{"deep":[1,2.5e3,true,null,"s"]},"S":"x"}`, `{"S":"x"}`},
		{"null M member dropped", `{"M":{"a":null,"b":{"S":"x"}}}`, `{"M":{"b":{"S":"x"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := ParseValue([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseValue(%s): %v", tt.in, err)
			}
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("ParseValue(%s) encodes as\n%s\nwant\n%s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseValueErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     string // the message
		syntax   bool   // a *SyntaxError, not an *Error
	}{
		{"empty", `{}`, msgEmptyValue, false},
		{"only null", `{"S":null}`, msgEmptyValue, false},
		{"only unknown", `{"X":"y"}`, msgEmptyValue, false},
		{"two types", `{"S":"a","N":"1"}`, msgMultipleTypes, false},
		{"two types, bad number first", `{"S":"a","N":"b"}`, msgNotNumeric + ": b", false},
		{"two types, empty number", `{"S":"","N":""}`, msgNotNumeric, false},
		{"NULL false", `{"NULL":false}`, msgNullFalse, false},
		{"empty SS", `{"SS":[]}`, msgEmptySS, false},
		{"empty NS", `{"NS":[]}`, msgEmptyNS, false},
		{"empty BS", `{"BS":[]}`, msgEmptyBS, false},
		{"SS duplicate", `{"SS":["a","a"]}`, "One or more parameter values were invalid: Input collection [a, a] contains duplicates.", false},
		{"NS duplicate", `{"NS":["1","1"]}`, msgDupNS, false},
		{"NS numeric duplicate", `{"NS":["1","1.0"]}`, msgDupNS, false},
		{"BS duplicate", `{"BS":["Yg==","Yg=="]}`, "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates.", false},
		{"NS empty member", `{"NS":["1",""]}`, msgNotNumeric, false},
		{"NS bad member", `{"NS":["1","b"]}`, msgNotNumeric + ": b", false},
		{"N overflow", `{"N":"1e126"}`, msgOverflow, false},
		{"N underflow", `{"N":"-1e-131"}`, msgUnderflow, false},
		{"N precision", `{"N":"123456789012345678901234567890123456789"}`, msgPrecision, false},
		{"nested error", `{"L":[{"S":"a"},{"NULL":false}]}`, msgNullFalse, false},
		{"nested empty", `{"M":{"a":{}}}`, msgEmptyValue, false},
		{"N number", `{"N":123}`, "NUMBER_VALUE cannot be converted to String", true},
		{"S bool", `{"S":true}`, "BOOLEAN_VALUE cannot be converted to String", true},
		{"BOOL string", `{"BOOL":"true"}`, "STRING_VALUE cannot be converted to Boolean", true},
		{"S object", `{"S":{}}`, synObject, true},
		{"M list", `{"M":[]}`, synList, true},
		{"L object", `{"L":{}}`, synObject, true},
		{"SS of numbers", `{"SS":[1]}`, "NUMBER_VALUE cannot be converted to String", true},
		{"value is a list", `[]`, synList, true},
		{"bad base64", `{"B":"a"}`, synBase64, true},
		{"bad BS base64", `{"BS":["!!!!"]}`, synBase64, true},
		{"truncated", `{"S":"x"`, "expected ',' or '}' after object member", true},
		{"truncated string", `{"S":"x`, "unexpected end of JSON input", true},
		{"trailing comma", `{"S":"x",}`, "invalid character looking for beginning of value", true},
		{"trailing data", `{"S":"x"} x`, "invalid character after top-level value", true},
		{"control character", "{\"S\":\"a\x01\"}", "invalid control character in string literal", true},
		{"bad escape", `{"S":"\q"}`, "invalid escape in string literal", true},
		{"bad unknown member", `{"X":01,"S":"x"}`, "expected ',' or '}' after object member", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseValue([]byte(tt.in))
			if !tt.syntax {
				wantMessage(t, err, tt.want)
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v (%T), want *SyntaxError", err, err)
			}
			if se.Message != tt.want {
				t.Errorf("message = %q, want %q", se.Message, tt.want)
			}
		})
	}
}

// nested wraps a leaf in depth single-member maps or lists.
func nested(depth int, list bool) string {
	s := `{"S":"leaf"}`
	for range depth {
		if list {
			s = `{"L":[` + s + `]}`
		} else {
			s = `{"M":{"n":` + s + `}}`
		}
	}
	return s
}

func TestNestingDepth(t *testing.T) {
	t.Parallel()
	for _, list := range []bool{false, true} {
		// An attribute is level 1: 31 wraps put the leaf at level 32.
		if _, err := ParseValue([]byte(nested(MaxDepth-1, list))); err != nil {
			t.Errorf("leaf at level %d (list %v): %v", MaxDepth, list, err)
		}
		_, err := ParseValue([]byte(nested(MaxDepth, list)))
		wantMessage(t, err, msgNesting)
		_, err = ParseItem([]byte(`{"a":` + nested(MaxDepth, list) + `}`))
		wantMessage(t, err, msgNesting)
	}
	// Far deeper input fails the same way, without deep recursion.
	deep := strings.Repeat(`{"L":[`, 100000)
	_, err := ParseValue([]byte(deep))
	wantMessage(t, err, msgNesting)
	// Unknown members are skipped up to a bound.
	_, err = ParseValue([]byte(`{"X":` + strings.Repeat("[", 20000)))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Message != "exceeded max depth" {
		t.Errorf("deep unknown member: %v", err)
	}
}

func TestItemJSON(t *testing.T) {
	t.Parallel()
	type request struct {
		TableName string
		Item      Item
		Key       Item
		Value     Value
	}
	in := `{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"0100"},"l":{"L":[{"BOOL":true},{"NULL":true}]}},"Key":null}`
	var req request
	if err := json.Unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	want := Item{
		"pk": String("a"),
		"n":  Int(100),
		"l":  List(Bool(true), Null()),
	}
	if diff := cmp.Diff(want, req.Item, cmp.Comparer(Equal)); diff != "" {
		t.Errorf("Item (-want +got):\n%s", diff)
	}
	if req.Key != nil || req.Value.Kind() != None {
		t.Errorf("null Key = %v, absent Value = %v", req.Key, req.Value)
	}
	out, err := json.Marshal(req.Item)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), `{"l":{"L":[{"BOOL":true},{"NULL":true}]},"n":{"N":"100"},"pk":{"S":"a"}}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}

	// encoding/json hands our errors back unchanged.
	err = json.Unmarshal([]byte(`{"Item":{"a":{"SS":[]}}}`), &req)
	wantMessage(t, err, msgEmptySS)
	err = json.Unmarshal([]byte(`{"Value":{"N":1}}`), &req)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Errorf("Value {N:1}: %v (%T), want *SyntaxError", err, err)
	}

	if _, err := json.Marshal(List(Value{})); err == nil {
		t.Error("encoding a zero Value succeeded")
	}
	if b, _ := json.Marshal(Item(nil)); string(b) != "null" {
		t.Errorf("nil Item = %s", b)
	}
}

func TestConstructors(t *testing.T) {
	t.Parallel()
	if _, err := StringSet(); err == nil {
		t.Error("empty StringSet accepted")
	}
	_, err := StringSet("a", "b", "a")
	wantMessage(t, err, "One or more parameter values were invalid: Input collection [a, b, a] contains duplicates.")
	_, err = NumberSet("1", "01")
	wantMessage(t, err, msgDupNS)
	_, err = NumberSet()
	wantMessage(t, err, msgEmptyNS)
	_, err = BinarySet([]byte("b"), []byte("b"))
	wantMessage(t, err, "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates.")
	_, err = BinarySet()
	wantMessage(t, err, msgEmptyBS)

	ns, err := NumberSet("1.0", "2e1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1", "20"}, ns.NS()); diff != "" {
		t.Errorf("NS (-want +got):\n%s", diff)
	}
	bs, _ := BinarySet([]byte{0}, []byte{})
	if diff := cmp.Diff([][]byte{{0}, {}}, bs.BS()); diff != "" {
		t.Errorf("BS (-want +got):\n%s", diff)
	}
	if got := Binary([]byte("hi")).B(); string(got) != "hi" {
		t.Errorf("B = %q", got)
	}
	if Kind(200).String() != "Kind(200)" || NS.String() != "NS" {
		t.Error("Kind.String")
	}
	v := String("x")
	if v.N() != "" || v.B() != nil || v.SS() != nil || v.L() != nil || v.M() != nil || v.Bool() || v.NS() != nil || v.BS() != nil {
		t.Error("accessors of the wrong kind return something")
	}
}

// FuzzParseValue checks that whatever ParseValue accepts encodes to JSON
// that decodes to an equal value and encodes the same again, and that it
// reads strings as encoding/json does.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{
		`{"S":"x"}`, `{"N":"1.50"}`, `{"B":"3q2+7w=="}`, `{"SS":["a","b"]}`, `{"NS":["1","2"]}`,
		`{"BS":["AA=="]}`, `{"BOOL":true}`, `{"NULL":true}`, `{"L":[{"S":"a"},{"M":{"k":{"N":"-0"}}}]}`,
		`{"M":{"a\u0000":{"S":"\ud83d\ude00\n"}}}`, `{"S":"\xff\xfe"}`, `{"X":[1,{"y":null}],"S":""}`,
		nested(MaxDepth-1, true),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := ParseValue(data)
		if err != nil {
			var e *Error
			var se *SyntaxError
			if !errors.As(err, &e) && !errors.As(err, &se) {
				t.Fatalf("error %v is %T", err, err)
			}
			return
		}
		enc, err := AppendJSON(nil, v)
		if err != nil {
			t.Fatalf("AppendJSON(%s): %v", data, err)
		}
		if !json.Valid(enc) {
			t.Fatalf("AppendJSON wrote invalid JSON %q", enc)
		}
		v2, err := ParseValue(enc)
		if err != nil {
			t.Fatalf("ParseValue(%s) of our own encoding: %v", enc, err)
		}
		if !Equal(v, v2) {
			t.Fatalf("%s decodes to %s, re-decodes to %s", data, v, v2)
		}
		enc2, _ := AppendJSON(nil, v2)
		if string(enc) != string(enc2) {
			t.Fatalf("encodings differ:\n%s\n%s", enc, enc2)
		}
		if v.Kind() == S {
			var probe struct{ S string }
			if err := json.Unmarshal(data, &probe); err == nil && probe.S != v.S() {
				t.Fatalf("S of %q: encoding/json reads %q, we read %q", data, probe.S, v.S())
			}
		}
		if Size("a", v) < 1 {
			t.Fatalf("Size of %s is %d", v, Size("a", v))
		}
	})
}
