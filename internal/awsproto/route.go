package awsproto

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// route matches a REST operation's method and path template
// ("/2015-03-31/functions/{FunctionName}/invocations", "/{Bucket}/{Key+}",
// "/{Bucket}?acl").
type route struct {
	op       *Operation
	method   string
	segments []segment
	query    []queryLiteral // query parameters the template requires
	literals int
}

// queryLiteral is a "?key" or "?key=value" of a path template.
type queryLiteral struct {
	key, value string
	hasValue   bool
}

type segment struct {
	literal string
	label   string
	greedy  bool
}

func newRoute(op *Operation) route {
	path, query, _ := strings.Cut(op.Path, "?")
	r := route{op: op, method: op.Method}
	for _, q := range strings.Split(query, "&") {
		if q != "" {
			k, v, hasValue := strings.Cut(q, "=")
			r.query = append(r.query, queryLiteral{key: k, value: v, hasValue: hasValue})
		}
	}
	for _, s := range splitPath(path) {
		if s == "" {
			continue // "/2015-03-31/functions/" matches with or without the slash
		}
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			name := s[1 : len(s)-1]
			greedy := strings.HasSuffix(name, "+")
			r.segments = append(r.segments, segment{label: strings.TrimSuffix(name, "+"), greedy: greedy})
		} else {
			r.segments = append(r.segments, segment{literal: s})
			r.literals++
		}
	}
	return r
}

// sortRoutes puts more specific routes first: more literal segments, more
// required query keys.
func sortRoutes(rs []route) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].literals != rs[j].literals {
			return rs[i].literals > rs[j].literals
		}
		return len(rs[i].query) > len(rs[j].query)
	})
}

func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match reports whether the request matches, and its path labels.
func (r *route) match(method string, segs []string, query url.Values) (map[string]string, bool) {
	if method != r.method {
		return nil, false
	}
	for _, q := range r.query {
		vals, ok := query[q.key]
		if !ok || (q.hasValue && (len(vals) == 0 || vals[0] != q.value)) {
			return nil, false
		}
	}
	var labels map[string]string
	i := 0
	for si, s := range r.segments {
		if s.greedy {
			if i >= len(segs) {
				return nil, false
			}
			rest := make([]string, 0, len(segs)-i)
			for _, raw := range segs[i:] {
				rest = append(rest, unescape(raw))
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[s.label] = strings.Join(rest, "/")
			i = len(segs)
			if si != len(r.segments)-1 {
				return nil, false
			}
			break
		}
		if i >= len(segs) {
			return nil, false
		}
		if s.literal != "" {
			if segs[i] != s.literal {
				return nil, false
			}
		} else {
			v := unescape(segs[i])
			if v == "" {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[s.label] = v
		}
		i++
	}
	if i != len(segs) {
		return nil, false
	}
	return labels, true
}

func unescape(s string) string {
	if v, err := url.PathUnescape(s); err == nil {
		return v
	}
	return s
}

// Route finds the REST operation a request is for. It returns nil when no
// operation of s matches.
func (s *Spec) Route(r *http.Request) (*Operation, map[string]string) {
	s.init()
	segs := splitPath(r.URL.EscapedPath())
	// A trailing slash is not a segment ("/2015-03-31/functions/").
	if n := len(segs); n > 0 && segs[n-1] == "" {
		segs = segs[:n-1]
	}
	query := r.URL.Query()
	for i := range s.routes {
		if labels, ok := s.routes[i].match(r.Method, segs, query); ok {
			return s.routes[i].op, labels
		}
	}
	return nil, nil
}

// PathMatches reports whether any operation's path template matches the
// request's path, whatever its method; the edge uses it to pick a service.
func (s *Spec) PathMatches(r *http.Request) bool {
	s.init()
	segs := splitPath(r.URL.EscapedPath())
	if n := len(segs); n > 0 && segs[n-1] == "" {
		segs = segs[:n-1]
	}
	query := r.URL.Query()
	for i := range s.routes {
		rt := s.routes[i]
		if _, ok := rt.match(rt.method, segs, query); ok {
			return true
		}
	}
	return false
}
