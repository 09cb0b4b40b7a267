// Package logevent holds the log line that function runtimes hand to a log
// sink (CloudWatch Logs in Nimbus). It is its own package so that the
// producer (internal/runtime) and the consumer (internal/services/logs)
// share the type without importing each other.
package logevent

import "time"

// Event is one log line of a function, as the runtime captured it.
type Event struct {
	// Time is when the line was written. The zero Time means "when the sink
	// receives it".
	Time time.Time
	// Message is the line, without its trailing newline.
	Message string
}
