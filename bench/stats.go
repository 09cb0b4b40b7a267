package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile (0 ≤ p ≤ 100) of samples by linear
// interpolation between the two closest ranks (R-7, numpy's default): the
// median of an even count is the mean of the middle two, the 0th and 100th
// percentiles are the minimum and maximum. samples need not be sorted and
// are not modified. It returns 0 for no samples.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	p = math.Max(0, math.Min(100, p))
	h := float64(len(s)-1) * p / 100
	lo := int(math.Floor(h))
	hi := int(math.Ceil(h))
	frac := h - float64(lo)
	return s[lo] + time.Duration(math.Round(frac*float64(s[hi]-s[lo])))
}

// median is the 50th percentile of samples.
func median(samples []time.Duration) time.Duration { return percentile(samples, 50) }

// medianInt is the median of integer samples (byte counts), interpolated
// like percentile; 0 for no samples.
func medianInt(samples []int64) int64 {
	d := make([]time.Duration, len(samples))
	for i, v := range samples {
		d[i] = time.Duration(v)
	}
	return int64(median(d))
}
