//go:build !cgo

package sqs

// cgoEnabled is set when Pebble can keep its caches and memtables out of
// the Go heap.
const cgoEnabled = false
