// Package trace reads and writes the X-Amzn-Trace-Id header
// ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
// and carries Nimbus's hop count in its Lineage field, so that a chain of
// events (function → queue → function …) can be counted and stopped when it
// loops.
package trace

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header is a parsed X-Amzn-Trace-Id.
type Header struct {
	Root    string
	Parent  string
	Sampled string
	// Hops counts how many invocations the originating event has caused.
	Hops int
	// Other keeps fields Nimbus does not interpret, in order.
	Other []string
}

// lineageTag identifies Nimbus's counter inside the Lineage field, which
// AWS writes as "<hash>:<count>".
const lineageTag = "6e696d62"

// Parse reads a header value. Malformed fields are kept in Other; Parse
// never fails, as AWS passes unknown trace headers through.
func Parse(s string) Header {
	var h Header
	for _, field := range strings.Split(s, ";") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		k, v, _ := strings.Cut(field, "=")
		switch k {
		case "Root":
			h.Root = v
		case "Parent":
			h.Parent = v
		case "Sampled":
			h.Sampled = v
		case "Lineage":
			tag, count, ok := strings.Cut(v, ":")
			if n, err := strconv.Atoi(count); ok && tag == lineageTag && err == nil && n >= 0 {
				h.Hops = n
			} else {
				h.Other = append(h.Other, field)
			}
		default:
			h.Other = append(h.Other, field)
		}
	}
	return h
}

// String renders the header.
func (h Header) String() string {
	var b strings.Builder
	b.WriteString("Root=" + h.Root)
	if h.Parent != "" {
		b.WriteString(";Parent=" + h.Parent)
	}
	if h.Sampled != "" {
		b.WriteString(";Sampled=" + h.Sampled)
	}
	if h.Hops > 0 {
		fmt.Fprintf(&b, ";Lineage=%s:%d", lineageTag, h.Hops)
	}
	for _, o := range h.Other {
		b.WriteString(";" + o)
	}
	return b.String()
}

// New starts a trace at time now.
func New(now time.Time) Header {
	return Header{Root: fmt.Sprintf("1-%08x-%s", now.Unix(), randomHex(12)), Parent: randomHex(8), Sampled: "0"}
}

// Continue returns the header an invocation caused by h carries: the same
// root, a new parent segment, one more hop. An empty h starts a new trace.
func Continue(h Header, now time.Time) Header {
	if h.Root == "" {
		h = New(now)
	}
	h.Parent = randomHex(8)
	if h.Sampled == "" {
		h.Sampled = "0"
	}
	h.Hops++
	return h
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
