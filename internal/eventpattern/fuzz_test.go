package eventpattern

import (
	"errors"
	"testing"
)

// FuzzCompileMatch compiles arbitrary patterns and matches arbitrary events
// against those that compile. Nothing may panic, refusals must be *Error,
// and Match must agree with MatchValue on the same decoded event.
func FuzzCompileMatch(f *testing.F) {
	for _, tc := range matchCases {
		for _, event := range append(tc.match, tc.noMatch...) {
			f.Add([]byte(tc.pattern), []byte(event))
		}
	}
	for _, tc := range compileErrorCases {
		f.Add([]byte(tc.pattern), []byte(ec2Event))
	}
	f.Fuzz(func(t *testing.T, pattern, event []byte) {
		p, err := Compile(pattern)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Message == "" {
				t.Fatalf("Compile(%q) error %v is not a *Error with a message", pattern, err)
			}
			return
		}
		got, err := p.Match(event)
		if err != nil {
			return
		}
		dec := newDecoder(event)
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("Match(%q) accepted an event that does not decode: %v", event, err)
		}
		if again := p.MatchValue(v); again != got {
			t.Fatalf("Match(%q) = %v but MatchValue = %v for pattern %q", event, got, again, pattern)
		}
	})
}
