package storage

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScan(t *testing.T) {
	t.Parallel()
	data := []string{
		"a", "a/1", "a/2", "a/3", "a0", "b",
		"\xff", "\xff\xff",
		string(Key("q", "a")), string(Key("q", "a", "x")), string(Key("q", "a2")), string(Key("q", "a\x00")),
	}
	tuple := func(parts ...string) string { return string(Key(parts...)) }
	tests := []struct {
		name   string
		method string // scan, from, reverse, reverseFrom
		prefix string
		bound  string // start for from, before for reverseFrom
		stop   int    // return ErrStop after this many keys; 0 = never
		want   []string
	}{
		{name: "prefix", method: "scan", prefix: "a/", want: []string{"a/1", "a/2", "a/3"}},
		{name: "prefix includes itself", method: "scan", prefix: "a", want: []string{"a", "a/1", "a/2", "a/3", "a0"}},
		{name: "no match", method: "scan", prefix: "c", want: nil},
		{name: "all 0xff prefix", method: "scan", prefix: "\xff", want: []string{"\xff", "\xff\xff"}},
		{name: "stop early", method: "scan", prefix: "a/", stop: 2, want: []string{"a/1", "a/2"}},
		{name: "tuple prefix is whole parts", method: "scan", prefix: tuple("q", "a"),
			want: []string{tuple("q", "a"), tuple("q", "a", "x")}},
		{name: "from inclusive", method: "from", prefix: "a/", bound: "a/2", want: []string{"a/2", "a/3"}},
		{name: "from between keys", method: "from", prefix: "a/", bound: "a/15", want: []string{"a/2", "a/3"}},
		{name: "from before prefix", method: "from", prefix: "a/", bound: "0", want: []string{"a/1", "a/2", "a/3"}},
		{name: "from after prefix", method: "from", prefix: "a/", bound: "b", want: nil},
		{name: "from stop", method: "from", prefix: "a/", bound: "a/1", stop: 1, want: []string{"a/1"}},
		{name: "reverse", method: "reverse", prefix: "a/", want: []string{"a/3", "a/2", "a/1"}},
		{name: "reverse all 0xff prefix", method: "reverse", prefix: "\xff", want: []string{"\xff\xff", "\xff"}},
		{name: "reverse stop", method: "reverse", prefix: "a", stop: 2, want: []string{"a0", "a/3"}},
		{name: "reverse tuple", method: "reverse", prefix: tuple("q"),
			want: []string{tuple("q", "a2"), tuple("q", "a\x00"), tuple("q", "a", "x"), tuple("q", "a")}},
		{name: "reverse from exclusive", method: "reverseFrom", prefix: "a/", bound: "a/3", want: []string{"a/2", "a/1"}},
		{name: "reverse from between keys", method: "reverseFrom", prefix: "a/", bound: "a/25", want: []string{"a/2", "a/1"}},
		{name: "reverse from after prefix", method: "reverseFrom", prefix: "a/", bound: "z", want: []string{"a/3", "a/2", "a/1"}},
		{name: "reverse from before prefix", method: "reverseFrom", prefix: "a/", bound: "a", want: nil},
		{name: "reverse from 0xff prefix", method: "reverseFrom", prefix: "\xff", bound: "\xff\xff", want: []string{"\xff"}},
		{name: "whole store", method: "reverseFrom", prefix: "", bound: "a/1", want: []string{"a"}},
	}
	forEachBackend(t, func(t *testing.T, db *DB) {
		for _, k := range data {
			mustSet(t, db, k, "v:"+k)
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				fn := func(k, v []byte) error {
					if string(v) != "v:"+string(k) {
						t.Errorf("value of %q = %q", k, v)
					}
					got = append(got, string(k))
					if len(got) == tt.stop {
						return ErrStop
					}
					return nil
				}
				var err error
				prefix, bound := []byte(tt.prefix), []byte(tt.bound)
				switch tt.method {
				case "scan":
					err = db.Scan(prefix, fn)
				case "from":
					err = db.ScanFrom(prefix, bound, fn)
				case "reverse":
					err = db.ScanReverse(prefix, fn)
				case "reverseFrom":
					err = db.ScanReverseFrom(prefix, bound, fn)
				}
				if err != nil {
					t.Fatalf("%s: %v", tt.method, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("keys (-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestScanCallbackError(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *DB) {
		mustSet(t, db, "a", "1")
		mustSet(t, db, "b", "2")
		boom := errors.New("boom")
		calls := 0
		err := db.Scan(nil, func(_, _ []byte) error {
			calls++
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("Scan error = %v, want the callback's", err)
		}
		if calls != 1 {
			t.Errorf("callback ran %d times after failing, want 1", calls)
		}
	})
}

func TestPrefixEnd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prefix string
		want         []byte
	}{
		{"empty", "", nil},
		{"simple", "ab", []byte("ac")},
		{"trailing 0xff", "a\xff\xff", []byte("b")},
		{"all 0xff", "\xff\xff", nil},
		{"zero byte", "a\x00", []byte("a\x01")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, PrefixEnd([]byte(tt.prefix))); diff != "" {
				t.Errorf("PrefixEnd(%q) (-want +got):\n%s", tt.prefix, diff)
			}
		})
	}
}
