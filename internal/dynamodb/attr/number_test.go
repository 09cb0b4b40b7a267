package attr

import (
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/apd/v3"
)

// mustNumber returns the N value of s or fails the test.
func mustNumber(t testing.TB, s string) Value {
	t.Helper()
	v, err := Number(s)
	if err != nil {
		t.Fatalf("Number(%q): %v", s, err)
	}
	return v
}

// wantMessage fails the test unless err is an *Error with message msg.
func wantMessage(t testing.TB, err error, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error %q", err, err, msg)
	}
	if e.Message != msg {
		t.Fatalf("message = %q, want %q", e.Message, msg)
	}
}

func TestNumberNormalizes(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"0", "0"},
		{"-0", "0"},
		{"-0.000e5", "0"},
		{"0e1000", "0"},
		{"1.50", "1.5"},
		{"0100", "100"},
		{"1000.000", "1000"},
		{"0.00100", "0.001"},
		{"+3", "3"},
		{"5.", "5"},
		{".123", "0.123"},
		{"0001.23", "1.23"},
		{"1e2", "100"},
		{"1E-2", "0.01"},
		{"1e+5", "100000"},
		{"12.5e1", "125"},
		{"12.5e-1", "1.25"},
		{"-1.2e-3", "-0.0012"},
		{"-7.1234", "-7.1234"},
		{"-17e5", "-1700000"},
		{"123.4560", "123.456"},
		{"1.00000000000000007629769841092E+50", "100000000000000007629769841092000000000000000000000"},
		{"1e125", "1" + strings.Repeat("0", 125)},
		{"-1e125", "-1" + strings.Repeat("0", 125)},
		{"1e-130", "0." + strings.Repeat("0", 129) + "1"},
		{"9.9999999999999999999999999999999999999E+125", strings.Repeat("9", 38) + strings.Repeat("0", 88)},
		{"3.1415926535897932384626433832795028841", "3.1415926535897932384626433832795028841"},
		{"31415926535897932384626433832795028841e30", "31415926535897932384626433832795028841" + strings.Repeat("0", 30)},
		{"12345678901234567890123456789012345678000", "12345678901234567890123456789012345678000"},
		{"0.000000000000000000000000000000000000000000012345678901234567890123456789012345678", "0.000000000000000000000000000000000000000000012345678901234567890123456789012345678"},
		{"10000000000000000000000000000000000001e-10", "1000000000000000000000000000.0000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			v, err := Number(tt.in)
			if err != nil && tt.want != "" {
				t.Fatalf("Number(%q): %v", tt.in, err)
			}
			if got := v.N(); got != tt.want {
				t.Errorf("Number(%q) = %q, want %q", tt.in, got, tt.want)
			}
			// The normal form is a fixed point and has the same value.
			if again := mustNumber(t, v.N()); again.N() != v.N() {
				t.Errorf("Number(%q) = %q, not a fixed point", v.N(), again.N())
			}
			a, _, _ := apd.NewFromString(tt.in)
			if a.Cmp(v.Decimal()) != 0 {
				t.Errorf("value of %q changed to %s", tt.in, v.N())
			}
		})
	}
}

func TestNumberErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", msgNotNumeric},
		{"b", msgNotNumeric + ": b"},
		{"NaN", msgNotNumeric + ": NaN"},
		{"-NaN", msgNotNumeric + ": -NaN"},
		{"Infinity", msgNotNumeric + ": Infinity"},
		{"-Infinity", msgNotNumeric + ": -Infinity"},
		{"dog", msgNotNumeric + ": dog"},
		{" 1", msgNotNumeric + ":  1"},
		{"1 ", msgNotNumeric + ": 1 "},
		{"1e", msgNotNumeric + ": 1e"},
		{"1e+", msgNotNumeric + ": 1e+"},
		{"e1", msgNotNumeric + ": e1"},
		{".", msgNotNumeric + ": ."},
		{"-", msgNotNumeric + ": -"},
		{"+-1", msgNotNumeric + ": +-1"},
		{"1.2.3", msgNotNumeric + ": 1.2.3"},
		{"0x10", msgNotNumeric + ": 0x10"},
		{"1,000", msgNotNumeric + ": 1,000"},
		{"1e99999999999", msgNotNumeric + ": 1e99999999999"},
		{"1e126", msgOverflow},
		{"-1e126", msgOverflow},
		{"11e125", msgOverflow},
		{"1e-131", msgUnderflow},
		{"-1e-131", msgUnderflow},
		{"0.9e-130", msgUnderflow},
		{"123456789012345678901234567890123456789", msgPrecision},
		{"-1.23456789012345678901234567890123456789", msgPrecision},
		{"3.14159265358979323846264338327950288419", msgPrecision},
		{"314159265358979323846264338327950288419e30", msgPrecision},
		{"1234567890123456789012345678901234567890", msgPrecision},
		// Two limits broken: overflow wins over precision.
		{"123456789012345678901234567890123456789e200", msgOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			_, err := Number(tt.in)
			wantMessage(t, err, tt.want)
		})
	}
}

func TestAddSub(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		a, b   string
		sub    bool
		want   string
		errMsg string
	}{
		{name: "precise sum", a: "1", b: "10000000000000000000000", want: "10000000000000000000001"},
		{name: "precise difference", a: "10000000000000000000000", b: "1", sub: true, want: "9999999999999999999999"},
		{name: "decimal", a: "0.1", b: "0.2", want: "0.3"},
		{name: "to zero", a: "-5", b: "5", want: "0"},
		{name: "trailing zeros dropped", a: "1.25", b: "1.75", want: "3"},
		{name: "38 digits", a: "9999999999999999999999999999999999999", b: "1", want: "10000000000000000000000000000000000000"},
		{name: "at the top", a: "9.9999999999999999999999999999999999998E+125", b: "1E+88", want: strings.Repeat("9", 38) + strings.Repeat("0", 88)},
		{name: "overflow", a: "9e125", b: "9e125", errMsg: msgOverflow},
		{name: "negative overflow", a: "9e125", b: "-9e125", sub: true, errMsg: msgOverflow},
		{name: "too precise sum", a: "1e50", b: "1", errMsg: msgOverflow},
		{name: "too precise difference", a: "1e50", b: "1", sub: true, errMsg: msgOverflow},
		{name: "too small", a: "1.5e-130", b: "1.4e-130", sub: true, errMsg: msgOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := Add
			if tt.sub {
				op = Sub
			}
			got, err := op(mustNumber(t, tt.a), mustNumber(t, tt.b))
			if tt.errMsg != "" {
				wantMessage(t, err, tt.errMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.N() != tt.want {
				t.Errorf("got %s, want %s", got.N(), tt.want)
			}
		})
	}
	_, err := Add(String("1"), Int(1))
	wantMessage(t, err, msgOperandType)
}

func TestNumberFromDecimal(t *testing.T) {
	t.Parallel()
	d, _, _ := apd.NewFromString("-12.500E+2")
	v, err := NumberFromDecimal(d)
	if err != nil || v.N() != "-1250" {
		t.Errorf("NumberFromDecimal(%s) = %s, %v; want -1250", d, v, err)
	}
	nan, _, _ := apd.NewFromString("NaN")
	_, err = NumberFromDecimal(nan)
	wantMessage(t, err, msgNotNumeric+": NaN")
	if got := Int(-42).N(); got != "-42" {
		t.Errorf("Int(-42) = %s", got)
	}
}

// FuzzNumber checks that Number accepts what apd reads as a storable
// number, and that what it keeps has the value it was given, is a fixed
// point, and survives the key encoding.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "1.50", "0100", "1e125", "-1e-130", "9.9999999999999999999999999999999999999E+125",
		".5", "5.", "+1", "1e-131", "12345678901234567890123456789012345678", "0.000123", "NaN", "1e", "00.00e-00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Number(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Number(%q): %v is not an *Error", s, err)
			}
			checkRefusal(t, s, e.Message)
			return
		}
		want, _, err := apd.NewFromString(s)
		if err != nil {
			// apd caps exponents near 100000; zero may have any exponent.
			if v.N() != "0" {
				t.Fatalf("Number accepted %q, apd did not: %v", s, err)
			}
			return
		}
		if want.Cmp(v.Decimal()) != 0 {
			t.Fatalf("Number(%q) = %s, a different value", s, v.N())
		}
		if again := mustNumber(t, v.N()); again.N() != v.N() {
			t.Fatalf("Number(%q) = %s, not a fixed point", v.N(), again.N())
		}
		if n := significantDigits(v.N()); n > MaxDigits {
			t.Fatalf("%s has %d digits", v.N(), n)
		}
		key := AppendKey(nil, v)
		got, rest, err := DecodeKey(key)
		if err != nil || len(rest) != 0 || got.N() != v.N() {
			t.Fatalf("DecodeKey(AppendKey(%s)) = %s, %q, %v", v.N(), got.N(), rest, err)
		}
	})
}

// checkRefusal checks that a refused input is refused for the right reason.
func checkRefusal(t *testing.T, s, msg string) {
	t.Helper()
	d, _, err := apd.NewFromString(s)
	finite := err == nil && d.Form == apd.Finite && !strings.ContainsAny(s, "iInN_")
	if strings.HasPrefix(msg, msgNotNumeric) {
		if finite {
			t.Fatalf("Number(%q) refused as not numeric; apd reads %s", s, d)
		}
		return
	}
	if err != nil && strings.Contains(err.Error(), "exponent out of range") && (msg == msgOverflow || msg == msgUnderflow) {
		return // beyond apd's exponents, so beyond DynamoDB's
	}
	if !finite {
		t.Fatalf("Number(%q) refused with %q, but it is not a finite number", s, msg)
	}
	var red apd.Decimal
	red.Reduce(d)
	digits := len(red.Coeff.String())
	adj := int64(red.Exponent) + int64(digits) - 1
	switch msg {
	case msgOverflow:
		if adj <= MaxExponent {
			t.Fatalf("Number(%q): overflow, but exponent is %d", s, adj)
		}
	case msgUnderflow:
		if adj >= MinExponent || d.IsZero() {
			t.Fatalf("Number(%q): underflow, but exponent is %d", s, adj)
		}
	case msgPrecision:
		if digits <= MaxDigits {
			t.Fatalf("Number(%q): too precise, but has %d digits", s, digits)
		}
	default:
		t.Fatalf("Number(%q): unexpected message %q", s, msg)
	}
}
