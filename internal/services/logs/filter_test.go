package logs

import (
	"errors"
	"testing"
)

const apacheLine = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534`

const jsonLine = `{"eventType":"UpdateTrail","sourceIPAddress":"123.123.123.123","user":{"id":1,"email":"John.Doe@example.com","admin":true,"manager":null},"users":[{"id":2,"email":"a@b.c"},{"id":3}],"actions":["GET","PUT","DELETE"],"latency":1.5e2}`

func TestFilterPatternMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pattern string
		message string
		want    bool
	}{
		{"empty matches all", "", "anything", true},
		{"blank matches all", "   ", "anything", true},
		{"term", "ERROR", "[ERROR] disk full", true},
		{"term is case-sensitive", "ERROR", "error: disk full", false},
		{"term is a substring", "ERR", "ERROR", true},
		{"all terms", "ERROR disk", "ERROR: disk full", true},
		{"all terms, one missing", "ERROR network", "ERROR: disk full", false},
		{"quoted phrase", `"disk full"`, "ERROR: disk full", true},
		{"quoted phrase, words apart", `"disk full"`, "ERROR: disk is full", false},
		{"quoted phrase with escaped quote", `"say \"hi\""`, `they say "hi"`, true},
		{"optional terms, one present", "?ERROR ?WARN", "WARN: low memory", true},
		{"optional terms, none present", "?ERROR ?WARN", "INFO: ok", false},
		{"exclusion", "ERROR -disk", "ERROR: network down", true},
		{"exclusion hit", "ERROR -disk", "ERROR: disk full", false},
		{"exclusion only", "-DEBUG", "INFO: ok", true},
		{"exclusion of a phrase", `ERROR -"disk full"`, "ERROR: disk full", false},
		{"required and optional", "ERROR ?disk ?network", "ERROR: network down", true},
		{"required and optional, no optional", "ERROR ?disk ?network", "ERROR: cpu", false},
		{"regex", "%user [0-9]+%", "login by user 42", true},
		{"regex no match", "%user [0-9]+%", "login by user x", false},
		{"regex and term", "login %[0-9]{2}%", "login 42", true},

		{"json string", `{ $.eventType = "UpdateTrail" }`, jsonLine, true},
		{"json string mismatch", `{ $.eventType = "CreateTrail" }`, jsonLine, false},
		{"json not equal", `{ $.eventType != "CreateTrail" }`, jsonLine, true},
		{"json wildcard", `{ $.sourceIPAddress = 123.123.* }`, jsonLine, true},
		{"json wildcard prefix", `{ $.eventType = "*Trail" }`, jsonLine, true},
		{"json wildcard middle", `{ $.eventType = "Up*Tr*l" }`, jsonLine, true},
		{"json nested number", `{ $.user.id = 1 }`, jsonLine, true},
		{"json number compare", `{ $.latency > 100 }`, jsonLine, true},
		{"json number compare false", `{ $.latency >= 151 }`, jsonLine, false},
		{"json array index", `{ $.actions[1] = "PUT" }`, jsonLine, true},
		{"json array of objects", `{ $.users[0].email = "a@b.c" }`, jsonLine, true},
		{"json array wildcard", `{ $.users[*].id = 3 }`, jsonLine, true},
		{"json and", `{ ($.user.id = 1) && ($.users[0].email = "a@b.c") }`, jsonLine, true},
		{"json and false", `{ $.user.id = 1 && $.users[0].email = "x" }`, jsonLine, false},
		{"json or", `{ $.user.id = 5 || $.actions[2] = "DELETE" }`, jsonLine, true},
		{"json precedence", `{ $.user.id = 5 && $.user.id = 6 || $.user.id = 1 }`, jsonLine, true},
		{"json parentheses", `{ $.user.id = 5 && ($.user.id = 6 || $.user.id = 1) }`, jsonLine, false},
		{"json is true", `{ $.user.admin IS TRUE }`, jsonLine, true},
		{"json is false", `{ $.user.admin IS FALSE }`, jsonLine, false},
		{"json is null", `{ $.user.manager IS NULL }`, jsonLine, true},
		{"json is null, missing field", `{ $.user.boss IS NULL }`, jsonLine, false},
		{"json not exists", `{ $.user.boss NOT EXISTS }`, jsonLine, true},
		{"json not exists, present", `{ $.user.email NOT EXISTS }`, jsonLine, false},
		{"json missing field", `{ $.nope = "x" }`, jsonLine, false},
		{"json not equal, missing field", `{ $.nope != "x" }`, jsonLine, false},
		{"json on a non-JSON message", `{ $.a = 1 }`, "not json", false},

		{"space-delimited", "[ip, id, user, timestamp, request, status, size]", apacheLine, true},
		{"space-delimited, wrong count", "[ip, user, size]", apacheLine, false},
		{"space-delimited condition", "[ip, id, user, timestamp, request, status = 404, size]", apacheLine, true},
		{"space-delimited wildcard", "[ip, id, user, timestamp, request, status = 4*, size > 1000]", apacheLine, true},
		{"space-delimited failing condition", "[ip, id, user, timestamp, request, status = 5*, size]", apacheLine, false},
		{"space-delimited bracket and quote fields", `[ip, id, user, timestamp = "10/Oct/2000:13:25:15 -0700", request = "GET *", ...]`, apacheLine, true},
		{"ellipsis", "[ip, ..., status = 404, size]", apacheLine, true},
		{"ellipsis in the middle, failing", "[ip = 10.*, ..., size]", apacheLine, false},
		{"ellipsis only", "[...]", apacheLine, true},
		{"or in a field", "[ip, ..., status = 500 || status = 404, size]", apacheLine, true},
		{"and in a field", "[ip, ..., status >= 400 && status < 500, size]", apacheLine, true},
		{"numeric condition on text", "[ip, ..., size > 5]", "1.2.3.4 x abc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseFilterPattern(tt.pattern)
			if err != nil {
				t.Fatalf("parseFilterPattern(%q): %v", tt.pattern, err)
			}
			if got := p.Match(tt.message); got != tt.want {
				t.Errorf("Match(%q) = %t, want %t", tt.message, got, tt.want)
			}
		})
	}
}

func TestFilterPatternErrors(t *testing.T) {
	t.Parallel()
	for _, pattern := range []string{
		`"unterminated`,
		`ERROR ?`,
		`-`,
		`%%`,
		`%(unclosed%`,
		`{ $.a = 1`,
		`{ a = 1 }`,
		`{ $.a }`,
		`{ $.a = }`,
		`{ $.a = "x" && }`,
		`{ ($.a = 1 }`,
		`{ $.a IS MAYBE }`,
		`{ $.a NOT THERE }`,
		`{ $.a > "x" }`,
		`{ $.a[x] = 1 }`,
		`{ $.a[1 = 1 }`,
		`{ $..a = 1 }`,
		`{ $.a = 1 ! }`,
		`[a, b`,
		`[a, b = ]`,
		`[a, b = 1 && c = 2]`,
		`[a, b < "x"]`,
		`[a, = 1]`,
	} {
		t.Run(pattern, func(t *testing.T) {
			if _, err := parseFilterPattern(pattern); !errors.Is(err, errBadPattern) {
				t.Errorf("parseFilterPattern(%q) = %v, want an invalid-pattern error", pattern, err)
			}
		})
	}
}

// FuzzFilterPattern checks that no pattern or message makes the parser or
// the matchers panic or loop, and that parsing is deterministic.
func FuzzFilterPattern(f *testing.F) {
	for _, seed := range []struct{ pattern, message string }{
		{"", "x"},
		{"ERROR ?WARN -DEBUG \"disk full\"", "ERROR: disk full"},
		{"%[0-9]+%", "abc 123"},
		{`{ $.eventType = "UpdateTrail" }`, jsonLine},
		{`{ ($.user.id = 1) && ($.users[*].email = "a@b.c") || $.x NOT EXISTS }`, jsonLine},
		{`{ $.user.admin IS TRUE && $.latency >= 1e2 }`, jsonLine},
		{"[ip, ..., status = 4* || status = 5*, size > 1000]", apacheLine},
		{`[a, "b", ...]`, `x "y z" [w]`},
	} {
		f.Add(seed.pattern, seed.message)
	}
	f.Fuzz(func(t *testing.T, pattern, message string) {
		p, err := parseFilterPattern(pattern)
		if err != nil {
			if !errors.Is(err, errBadPattern) {
				t.Fatalf("parseFilterPattern(%q) = %v, not an invalid-pattern error", pattern, err)
			}
			return
		}
		got := p.Match(message)
		again, err := parseFilterPattern(pattern)
		if err != nil {
			t.Fatalf("second parse of %q failed: %v", pattern, err)
		}
		if again.Match(message) != got {
			t.Fatalf("pattern %q matches %q inconsistently", pattern, message)
		}
	})
}
