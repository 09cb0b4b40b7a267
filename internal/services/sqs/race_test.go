//go:build race

package sqs

// raceEnabled is set when the race detector runs, which slows the
// backlog test down: it then uses fewer messages.
const raceEnabled = true
