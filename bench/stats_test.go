package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		d := make([]time.Duration, len(vs))
		for i, v := range vs {
			d[i] = time.Duration(v) * time.Millisecond
		}
		return d
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100 … 1, unsorted on purpose
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample", ms(7), 99, 7 * time.Millisecond},
		{"odd median", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"even median is the mean of the middle two", ms(4, 1, 3, 2), 50, 2500 * time.Microsecond},
		{"p0 is the minimum", ms(4, 1, 3, 2), 0, 1 * time.Millisecond},
		{"p100 is the maximum", ms(4, 1, 3, 2), 100, 4 * time.Millisecond},
		{"p99 of 1..100 interpolates", ms(hundred...), 99, 99010 * time.Microsecond},
		{"p50 of 1..100", ms(hundred...), 50, 50500 * time.Microsecond},
		{"p above 100 clamps", ms(1, 2), 150, 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.samples, tt.p, got, tt.want)
			}
		})
	}
}

func TestPercentileLeavesInputUnsorted(t *testing.T) {
	in := []time.Duration{3, 1, 2}
	percentile(in, 50)
	if in[0] != 3 || in[1] != 1 || in[2] != 2 {
		t.Errorf("percentile sorted its input: %v", in)
	}
}

func TestMedianInt(t *testing.T) {
	if got := medianInt([]int64{10, 40, 20, 30}); got != 25 {
		t.Errorf("medianInt = %d, want 25", got)
	}
}
