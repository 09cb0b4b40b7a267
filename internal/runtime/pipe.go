package runtime

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// drainTimeout bounds a drain, for a process that writes without pause.
const drainTimeout = 250 * time.Millisecond

// pipeReader reads one of an instance's output pipes into its log.
//
// drain lets the instance wait until everything written to the pipe before
// the call has been logged: the reader reads the pipe non-blocking, and a
// drain is acknowledged by a read that finds the pipe empty and that started
// after the drain was requested. A drain kicks a reader waiting for data by
// setting a past read deadline.
type pipeReader struct {
	f     *os.File
	lines *lineSplitter
	done  chan struct{} // closed when the reader has stopped

	requested atomic.Uint64 // drain requests so far
	reading   atomic.Bool   // between a read that returned data and its logging
	mu        sync.Mutex
	waiters   []drainWaiter
}

type drainWaiter struct {
	seq uint64
	ch  chan struct{}
}

func newPipeReader(f *os.File, lines *lineSplitter) *pipeReader {
	return &pipeReader{f: f, lines: lines, done: make(chan struct{})}
}

// run reads until EOF or until the file is closed.
func (p *pipeReader) run() {
	defer close(p.done)
	defer p.ackAll()
	defer p.lines.flushPartial()
	rc, err := p.f.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 64*1024)
	for {
		eof := false
		err := rc.Read(func(fd uintptr) bool {
			for {
				seq := p.requested.Load()
				p.reading.Store(true)
				n, err := syscall.Read(int(fd), buf)
				if n > 0 {
					p.lines.write(buf[:n])
				}
				p.reading.Store(false)
				switch {
				case n > 0:
				case errors.Is(err, syscall.EINTR):
				case errors.Is(err, syscall.EAGAIN):
					p.ack(seq)
					return false // wait for data
				default: // EOF or a read error
					eof = true
					return true
				}
			}
		})
		switch {
		case eof:
			return
		case errors.Is(err, os.ErrDeadlineExceeded):
			// Kicked by drain: read again with the deadline cleared.
			if p.f.SetReadDeadline(time.Time{}) != nil {
				return
			}
		case err != nil:
			return
		}
	}
}

// drain waits, at most drainTimeout, until what was written to the pipe
// before the call has been logged.
func (p *pipeReader) drain() {
	if p.empty() {
		return
	}
	ch := make(chan struct{})
	p.mu.Lock()
	seq := p.requested.Add(1)
	p.waiters = append(p.waiters, drainWaiter{seq: seq, ch: ch})
	p.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.f.SetReadDeadline(time.Now().Add(-time.Second)) // kick the reader
	t := time.NewTimer(drainTimeout)
	defer t.Stop()
	select {
	case <-ch:
	case <-p.done:
	case <-t.C:
	}
}

// empty reports whether everything written to the pipe so far has been
// logged: nothing is left in the pipe, and the reader is not between taking
// data out of it and logging that data.
func (p *pipeReader) empty() bool {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return false
	}
	pending := -1
	_ = rc.Control(func(fd uintptr) {
		var n int32
		_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
		if errno == 0 {
			pending = int(n)
		}
	})
	return pending == 0 && !p.reading.Load()
}

// ack releases the drains requested up to seq.
func (p *pipeReader) ack(seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if w.seq <= seq {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	p.waiters = kept
}

func (p *pipeReader) ackAll() { p.ack(^uint64(0)) }

// wait waits, at most d, for the reader to stop, then closes the file, which
// stops it if a leftover process still holds the pipe open.
func (p *pipeReader) wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	}
	_ = p.f.Close()
	<-p.done
}
