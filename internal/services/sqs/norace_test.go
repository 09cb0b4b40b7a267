//go:build !race

package sqs

// raceEnabled is set when the race detector runs.
const raceEnabled = false
