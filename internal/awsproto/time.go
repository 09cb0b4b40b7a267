package awsproto

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Time is a timestamp member. In JSON bodies it is epoch seconds (with a
// fraction); as text (headers, query strings, XML) it is ISO 8601.
type Time struct{ time.Time }

// NewTime returns t as a Time pointer, for building outputs.
func NewTime(t time.Time) *Time { return &Time{t} }

// MarshalJSON writes epoch seconds, with milliseconds when there are any.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(nil, ms/1000, 10), nil
	}
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', 3, 64), nil
}

// UnmarshalJSON reads epoch seconds (number) or an ISO 8601 string.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return err
		}
		return t.UnmarshalText([]byte(s))
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("invalid timestamp %s", b)
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

// MarshalText writes ISO 8601 with milliseconds.
func (t Time) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

// UnmarshalText reads ISO 8601 (RFC 3339), an HTTP date or epoch seconds.
func (t *Time) UnmarshalText(b []byte) error {
	s := string(b)
	for _, layout := range []string{time.RFC3339Nano, time.RFC1123, "2006-01-02T15:04:05Z0700"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		sec, frac := math.Modf(f)
		t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		return nil
	}
	return fmt.Errorf("invalid timestamp %q", s)
}

// ISOTime is a timestamp whose model format is iso8601: a string in JSON
// bodies too ("2024-01-01T00:00:00.000Z").
type ISOTime struct{ Time }

// MarshalJSON writes an ISO 8601 string.
func (t ISOTime) MarshalJSON() ([]byte, error) {
	b, _ := t.MarshalText()
	return strconv.AppendQuote(nil, string(b)), nil
}

// HTTPTime is a timestamp whose model format is rfc822: an HTTP date
// ("Mon, 02 Jan 2006 15:04:05 GMT") in bodies and headers.
type HTTPTime struct{ Time }

// MarshalJSON writes an HTTP date string.
func (t HTTPTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, t.UTC().Format(http.TimeFormat)), nil
}

// MarshalText writes an HTTP date.
func (t HTTPTime) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format(http.TimeFormat)), nil
}
