package runtime

import (
	"bytes"
	"sync"

	"github.com/nimbus-dev/nimbus/internal/clock"
	"github.com/nimbus-dev/nimbus/internal/logevent"
)

// LogSink receives function log events. Implementations must be safe for
// concurrent use and create the group and stream if they do not exist.
// Events of one stream arrive in order, in calls that do not overlap; the
// sink owns the events slice. AppendFunctionLogs must not call back into
// the Manager. The Logs service's sink is the real one.
type LogSink interface {
	AppendFunctionLogs(account, region, group, stream string, events []LogEvent)
}

// LogEvent is one log event. Message keeps the line's trailing newline, as the
// events Lambda writes do ("END RequestId: …\n").
type LogEvent = logevent.Event

const (
	// maxLogLine is the longest event; longer lines are split.
	maxLogLine = 256 * 1024
	// tailSize is the size of Response.LogTail.
	tailSize = 4096
	// flushEvents and flushBytes bound the events a stream buffers.
	flushEvents = 1000
	flushBytes  = 512 * 1024
)

// streamLog is one instance's log stream. Lines are buffered and sent to the
// sink at the end of each invocation, and right away outside invocations.
type streamLog struct {
	sink                           LogSink
	clock                          clock.Clock
	account, region, group, stream string

	mu      sync.Mutex
	pending []LogEvent
	size    int
	capture *tailBuffer // the current invocation's log, while framed
}

// emit logs one message.
func (l *streamLog) emit(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.emitLocked(msg)
	if l.capture == nil {
		l.flushLocked()
	}
}

func (l *streamLog) emitLocked(msg string) {
	l.pending = append(l.pending, LogEvent{Time: l.clock.Now(), Message: msg})
	l.size += len(msg)
	if l.capture != nil {
		l.capture.write(msg)
	}
	if len(l.pending) >= flushEvents || l.size >= flushBytes {
		l.flushLocked()
	}
}

// flush sends the buffered events to the sink.
func (l *streamLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

func (l *streamLog) flushLocked() {
	if len(l.pending) == 0 {
		return
	}
	events := l.pending
	l.pending, l.size = nil, 0
	l.sink.AppendFunctionLogs(l.account, l.region, l.group, l.stream, events)
}

// beginCapture starts collecting the log tail of an invocation.
func (l *streamLog) beginCapture() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.capture = &tailBuffer{}
}

// endCapture stops collecting, flushes, and returns the tail.
func (l *streamLog) endCapture() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var tail []byte
	if l.capture != nil {
		tail = l.capture.bytes()
	}
	l.capture = nil
	l.flushLocked()
	return tail
}

// tailBuffer keeps the last tailSize bytes written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) write(s string) {
	t.b = append(t.b, s...)
	if len(t.b) > 4*tailSize {
		t.b = append(t.b[:0], t.b[len(t.b)-tailSize:]...)
	}
}

func (t *tailBuffer) bytes() []byte {
	b := t.b
	if len(b) > tailSize {
		b = b[len(b)-tailSize:]
	}
	return bytes.Clone(b)
}

// lineSplitter turns one pipe's bytes into log events: one per line, lines
// longer than maxLogLine split. It is guarded by its streamLog's mutex.
type lineSplitter struct {
	log     *streamLog
	partial []byte
}

// write logs the complete lines in p and keeps the rest.
func (s *lineSplitter) write(p []byte) {
	l := s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		complete := i >= 0
		if complete {
			s.partial = append(s.partial, p[:i+1]...)
			p = p[i+1:]
		} else {
			s.partial = append(s.partial, p...)
			p = nil
		}
		content := len(s.partial)
		if complete {
			content-- // the newline does not count
		}
		for content > maxLogLine {
			l.emitLocked(string(s.partial[:maxLogLine]))
			s.partial = append(s.partial[:0], s.partial[maxLogLine:]...)
			content -= maxLogLine
		}
		if complete {
			l.emitLocked(string(s.partial))
			s.partial = s.partial[:0]
		}
	}
	if l.capture == nil {
		l.flushLocked()
	}
}

// flushPartial logs a pending unterminated line, ending it with a newline.
func (s *lineSplitter) flushPartial() {
	l := s.log
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(s.partial) > 0 {
		l.emitLocked(string(s.partial) + "\n")
		s.partial = s.partial[:0]
	}
}
