package eventpattern

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The messages marked "recorded" are AWS's answers in
// ../shared/aws-recorded/sns/test_sns_filter_policy.snapshot.json and
// EventBridge errors quoted in public issues, without the Jackson location;
// the others are Event Ruler's, except those marked "ours".
var compileErrorCases = []struct {
	name, pattern, want string
}{
	// Structure.
	{"invalid JSON", `{"a": [1}`, "Invalid JSON: invalid character '}' after array element"},             // ours
	{"truncated JSON", `{"a": [1]`, "Invalid JSON: unexpected end of input"},                             // ours
	{"data after the object", `{"a": [1]} {}`, "Invalid JSON: unexpected data after the pattern object"}, // ours
	{"not an object", `["a"]`, "Filter is not an object"},
	{"string", `"a"`, "Filter is not an object"},
	{"empty pattern", `{}`, "Empty objects are not allowed"},
	{"empty nested object", `{"source": ["aws.health"], "detail": {}}`, "Empty objects are not allowed"}, // recorded
	{"scalar field", `{"key_a": "value_one"}`, `"key_a" must be an object or an array`},                  // recorded
	{"nested scalar field", `{"pipeline": {"slug": "some-pipeline"}}`, `"slug" must be an object or an array`},
	{"empty array", `{"key": []}`, "Empty arrays are not allowed"},                                       // recorded
	{"nested array", `{"key": [["value"]]}`, "Match value must be String, number, true, false, or null"}, // recorded

	// Operators.
	{"empty operator", `{"key": [{}]}`, "Match expression name not found"},
	{"unknown operator", `{"key": [{"wrong-operator": true}]}`, "Unrecognized match type wrong-operator"}, // recorded
	{"two operators", `{"key": [{"suffix": "value", "prefix": "value2"}]}`, "Only one key allowed in match expression"},
	{"operator outside a list", `{"key": {"suffix": "value"}}`, `"suffix" must be an object or an array`}, // recorded
	{"prefix number", `{"key": [{"prefix": 1}]}`, "prefix match pattern must be a string"},
	{"suffix null", `{"key": [{"suffix": null}]}`, "suffix match pattern must be a string"},        // recorded
	{"suffix array", `{"key": [{"suffix": ["a", "b"]}]}`, "suffix match pattern must be a string"}, // recorded
	{"prefix empty object", `{"key": [{"prefix": {}}]}`, "Prefix expression name not found"},
	{"prefix unknown option", `{"key": [{"prefix": {"wildcard": "a"}}]}`, "Unsupported prefix pattern: wildcard"},
	{"suffix ignore-case number", `{"key": [{"suffix": {"equals-ignore-case": 1}}]}`, "equals-ignore-case match pattern must be a string"},
	{"prefix ignore-case two keys", `{"key": [{"prefix": {"equals-ignore-case": "a", "x": 1}}]}`, "Only one key allowed in match expression"},
	{"equals-ignore-case number", `{"key": [{"equals-ignore-case": 5}]}`, "equals-ignore-case match pattern must be a string"},
	{"exists null", `{"key": [{"exists": null}]}`, "exists match pattern must be either true or false."},   // recorded
	{"exists string", `{"key": [{"exists": "no"}]}`, "exists match pattern must be either true or false."}, // recorded
	{"exists two keys", `{"key": [{"exists": true, "prefix": "a"}]}`, "Only one key allowed in match expression"},

	// Wildcard.
	{"wildcard number", `{"key": [{"wildcard": 1}]}`, "wildcard match pattern must be a string"},
	{"consecutive wildcards", `{"key": [{"wildcard": "a**"}]}`, "Consecutive wildcard characters at pos 2"},
	{"bad escape", `{"key": [{"wildcard": "a\\b"}]}`, "Invalid escape character at pos 2"},
	{"trailing backslash", `{"key": [{"wildcard": "ab\\"}]}`, "Invalid escape character at pos 3"},

	// Numeric.
	{"numeric object", `{"key": [{"numeric": {">": 1}}]}`, "Value of numeric must be an array."},
	{"numeric empty", `{"key": [{"numeric": []}]}`, "Invalid member in numeric match: ]"},                                        // recorded
	{"numeric unknown operator", `{"key": [{"numeric": ["operator"]}]}`, "Unrecognized numeric range operator: operator"},        // recorded
	{"numeric number first", `{"key": [{"numeric": [1, "<="]}]}`, "Invalid member in numeric match: 1"},                          // recorded
	{"numeric equals string", `{"key": [{"numeric": ["=", "000"]}]}`, "Value of equals must be numeric"},                         // recorded
	{"numeric missing value", `{"key": [{"numeric": [">="]}]}`, "Value of >= must be numeric"},                                   // recorded
	{"numeric two lower bounds", `{"key": [{"numeric": ["<", 100, ">", 10]}]}`, "Too many elements in numeric expression"},       // recorded
	{"numeric bad upper operator", `{"key": [{"numeric": [">=", 1, ">", 2]}]}`, "Bad numeric range operator: >"},                 // recorded
	{"numeric empty range", `{"key": [{"numeric": [">", 3, "<", 1]}]}`, "Bottom must be less than top"},                          // recorded
	{"numeric missing upper value", `{"key": [{"numeric": [">", 20, "<="]}]}`, "Value of <= must be numeric"},                    // recorded
	{"numeric value as operator", `{"key": [{"numeric": [">", 20, 30]}]}`, "Bad value in numeric range: 30"},                     // recorded
	{"numeric unknown upper operator", `{"key": [{"numeric": [">", 20, "test"]}]}`, "Bad numeric range operator: test"},          // recorded
	{"numeric string bound", `{"key": [{"numeric": [">", "20", "<", "30"]}]}`, "Value of > must be numeric"},                     // recorded
	{"numeric string upper bound", `{"key": [{"numeric": [">", 20, "<", "30"]}]}`, "Value of < must be numeric"},                 // recorded
	{"numeric three terms", `{"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}`, "Too many terms in numeric range expression"}, // recorded
	{"numeric extra key", `{"key": [{"numeric": [">", 1], "prefix": "a"}]}`, "Too many elements in numeric expression"},
	{"numeric too large", `{"key": [{"numeric": ["<", 5000000001]}]}`, "Value must be between -5.0E9 and 5.0E9, inclusive"},
	{"numeric below range", `{"key": [{"numeric": ["=", -6e9]}]}`, "Value must be between -5.0E9 and 5.0E9, inclusive"},
	{"numeric nothing above the top", `{"key": [{"numeric": [">", 5e9]}]}`, "Bottom must be less than top"},
	{"numeric seven decimals", `{"key": [{"numeric": [">", 0.1234567]}]}`, "Only values upto 6 decimals are supported"},

	// Anything-but.
	{"anything-but null", `{"key": [{"anything-but": null}]}`, "Value of anything-but must be an array or single string/number value."},
	{"anything-but mixed list", `{"key": [{"anything-but": ["a", 1]}]}`, "Inside anything but list, either all values are number or string, mixed type is not supported"},
	{"anything-but empty list", `{"key": [{"anything-but": []}]}`, "Inside anything but list, either all values are number or string, mixed type is not supported"},
	{"anything-but list with null", `{"key": [{"anything-but": ["a", null]}]}`, "Inside anything but list, start|null|boolean is not supported."},
	{"anything-but number out of range", `{"key": [{"anything-but": [1, 6e9]}]}`, "Value must be between -5.0E9 and 5.0E9, inclusive"},
	{"anything-but empty object", `{"key": [{"anything-but": {}}]}`, "Anything-But expression name not found"},
	{"anything-but unknown", `{"key": [{"anything-but": {"wrong-operator": null}}]}`, "Unsupported anything-but pattern: wrong-operator"}, // recorded
	{"anything-but exists", `{"key": [{"anything-but": {"exists": false}}]}`, "Unsupported anything-but pattern: exists"},                 // recorded
	{"anything-but prefix false", `{"key": [{"anything-but": {"prefix": false}}]}`, "prefix match pattern must be a string"},              // recorded
	{"anything-but prefix empty", `{"key": [{"anything-but": {"prefix": ""}}]}`, "Null prefix/suffix not allowed"},
	{"anything-but suffix list", `{"key": [{"anything-but": {"suffix": ["a", 1]}}]}`, "suffix match pattern must be a string"},
	{"anything-but ignore-case number", `{"key": [{"anything-but": {"equals-ignore-case": 1}}]}`, "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."},
	{"anything-but bad wildcard", `{"key": [{"anything-but": {"wildcard": ["ok", "a**"]}}]}`, "Consecutive wildcard characters at pos 2"},
	{"anything-but two options", `{"key": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}`, "Too many elements in numeric expression"},
	{"anything-but extra key", `{"key": [{"anything-but": "a", "prefix": "b"}]}`, "Too many elements in numeric expression"},

	// CIDR.
	{"cidr list", `{"key": [{"cidr": ["bad-filter"]}]}`, "prefix match pattern must be a string"},          // recorded
	{"cidr without slash", `{"key": [{"cidr": "bad-filter"}]}`, "Malformed CIDR, one '/' required"},        // recorded
	{"cidr bad mask", `{"key": [{"cidr": "10.0.0.0/x"}]}`, "Malformed CIDR, mask bits must be an integer"}, // recorded
	{"cidr negative mask", `{"key": [{"cidr": "10.0.0.0/-1"}]}`, "Malformed CIDR, mask bits must not be negative"},
	{"cidr not an address", `{"key": [{"cidr": "bad-filter/24"}]}`, "Nonstandard IP address: bad-filter"},                      // recorded
	{"cidr letters in ipv4", `{"key": [{"cidr": "xx.11.xx/24"}]}`, "Nonstandard IP address: xx.11.xx"},                         // recorded
	{"cidr letters in ipv6", `{"key": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}`, "Nonstandard IP address: xxxx:db8:1234:1a00::"}, // recorded
	{"cidr octet too large", `{"key": [{"cidr": "10.0.0.256/24"}]}`, "Invalid IP address: 10.0.0.256"},
	{"cidr single ipv4 address", `{"key": [{"cidr": "10.0.0.1/32"}]}`, "IPv4 mask bits must be < 32"},
	{"cidr single ipv6 address", `{"key": [{"cidr": "2001:db8::1/128"}]}`, "IPv6 mask bits must be < 128"},

	// $or. These fail both as an operator and as a key called "$or".
	{"or one branch", `{"$or": [{"a": [1]}], "b": "x"}`, "There must have at least 2 Objects in $or relationship."},
	{"or not an array", `{"$or": {"a": [1]}, "b": "x"}`, "It must be an Array followed with $or."},
	{"or with a value", `{"$or": [{"a": [1]}, "x"], "b": "x"}`, "Only JSON object is allowed in array of $or relationship."},
	{"or with a reserved key", `{"$or": [{"a": [1]}, {"prefix": ["x"]}], "b": "x"}`, "prefix is Ruler reserved fieldName which cannot be used inside $or."},
	{"error inside or", `{"$or": [{"a": [1]}, {"b": []}]}`, "Empty arrays are not allowed"},
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range compileErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Compile([]byte(tc.pattern))
			if err == nil {
				t.Fatalf("Compile(%s) = %v, want error %q", tc.pattern, p, tc.want)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Compile(%s) error %v is a %T, want *Error", tc.pattern, err, err)
			}
			if diff := cmp.Diff(tc.want, perr.Message); diff != "" {
				t.Errorf("Compile(%s) message (-want +got):\n%s", tc.pattern, diff)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	t.Parallel()
	_, err := Compile([]byte(`{"key": []}`))
	if got, want := err.Error(), "eventpattern: Empty arrays are not allowed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCompileAccepts(t *testing.T) {
	t.Parallel()
	for _, pattern := range []string{
		`{"a": [{"prefix": ""}]}`,
		`{"a": [{"numeric": ["<=", -4999999999.999999]}]}`,
		`{"a": [{"numeric": [">=", 0, "<=", 5e9]}]}`,
		`{"a": [{"anything-but": {"prefix": []}}]}`,
		`{"a": [1e400, 0.1234567, 123456789012]}`, // numbers AWS cannot compare still match by text
		`{"a": [{"wildcard": "\\**\\\\"}]}`,
		`{"prefix": ["a"], "numeric": {"exists": [1]}}`, // operator names are fine as keys outside "$or"
		`{"a": {"b": [1]}, "a": {"c": [2]}}`,
		`{"detail": {"$or": [{"a": [1]}, {"b": {"$or": [{"c": [1]}, {"d": [2]}]}}]}}`,
	} {
		if _, err := Compile([]byte(pattern)); err != nil {
			t.Errorf("Compile(%s): %v", pattern, err)
		}
	}
}

func TestParseMicros(t *testing.T) {
	t.Parallel()
	type result struct {
		Micros    int64
		Exact, OK bool
	}
	for _, tc := range []struct {
		in   string
		want result
	}{
		{"0", result{0, true, true}},
		{"-0.0", result{0, true, true}},
		{"301.8", result{301_800_000, true, true}},
		{"3.018e2", result{301_800_000, true, true}},
		{"3018E-1", result{301_800_000, true, true}},
		{"1e+06", result{1_000_000_000_000, true, true}},
		{"0.000001", result{1, true, true}},
		{"0.0000019", result{1, false, true}},
		{"-5e9", result{-maxMicros, true, true}},
		{"5000000000.000001", result{0, true, false}},
		{"1e400", result{0, true, false}},
		{"1e-400", result{0, false, true}},
		{"123456789012345678901234567890e-20", result{1_234_567_890_123_456, false, true}},
		{"", result{0, false, false}},
		{"-", result{0, false, false}},
		{"1e", result{0, false, false}},
		{"1x", result{0, false, false}},
	} {
		m, exact, ok := parseMicros(tc.in)
		if diff := cmp.Diff(tc.want, result{m, exact, ok}); diff != "" {
			t.Errorf("parseMicros(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
