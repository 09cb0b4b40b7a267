package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Payload hashes that stand for the body rather than hash it.
const (
	// UnsignedPayload is the x-amz-content-sha256 of a body left out of the
	// signature; presigned S3 URLs sign it.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// emptySHA256 is the hex SHA-256 of an empty body.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// canonicalParts are the pieces of a canonical request that do not depend
// on how the path is read.
type canonicalParts struct {
	method, query, headers, signedHeaders string
}

// canonicalURIs returns the canonical URIs a client may have signed for r's
// path, AWS's own reading first. rawPath is the path as sent.
//
// For services other than S3, AWS removes empty, "." and ".." segments and
// encodes the path twice; the Go SDK encodes twice without normalising, so
// its form is accepted too, as is the strict reading of the specification
// (decode, normalise, encode twice) for clients that send a loosely encoded
// path. For S3 the path is encoded once and not normalised: the path as sent,
// or AWS's strict re-encoding of it.
func canonicalURIs(rawPath string, s3 bool) []string {
	decoded, err := url.PathUnescape(rawPath)
	if err != nil {
		decoded = rawPath
	}
	var uris []string
	if s3 {
		uris = append(uris, rawPath, escapePath(decoded))
	} else {
		uris = append(uris,
			escapePath(normalizePath(rawPath)),
			escapePath(rawPath),
			escapePath(escapePath(normalizePath(decoded))))
	}
	return compact(uris)
}

// compact removes repeated values, keeping the first of each.
func compact(vals []string) []string {
	out := vals[:0]
	for _, v := range vals {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// requestPath is r's path as the client sent it, still encoded.
func requestPath(r *http.Request) string {
	p := r.RequestURI
	if p == "" || p == "*" {
		if r.URL == nil {
			return "/"
		}
		if r.URL.Opaque != "" {
			p = r.URL.Opaque
		} else {
			p = r.URL.EscapedPath()
		}
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if !strings.HasPrefix(p, "/") {
		// Absolute form (http://host/path) or an opaque URL: keep the path.
		if i := strings.Index(p, "//"); i >= 0 {
			p = p[i+2:]
		}
		if i := strings.IndexByte(p, '/'); i >= 0 {
			p = p[i:]
		} else {
			p = ""
		}
	}
	if p == "" {
		return "/"
	}
	return p
}

// normalizePath removes empty, "." and ".." segments, keeping a leading and
// a trailing slash, as RFC 3986 and the AWS SDKs (botocore, JavaScript) do.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	segments := strings.Split(p, "/")
	out := make([]string, 0, len(segments))
	for _, s := range segments {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	n := "/" + strings.Join(out, "/")
	if len(out) > 0 && strings.HasSuffix(p, "/") {
		n += "/"
	}
	return n
}

// escapePath percent-encodes every byte of p outside the RFC 3986
// unreserved set, except '/'.
func escapePath(p string) string { return escape(p, true) }

// escape percent-encodes every byte of s outside the RFC 3986 unreserved set
// (A-Z a-z 0-9 - . _ ~), with upper-case hex, keeping '/' when keepSlash.
func escape(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && !(keepSlash && s[i] == '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexDigits = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&0xf])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalQuery encodes every query parameter (but X-Amz-Signature of a
// presigned URL) strictly, sorts by name then value, and joins them.
func canonicalQuery(raw string, presigned bool) string {
	params := parseQuery(raw)
	pairs := make([]param, 0, len(params))
	for _, p := range params {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, param{key: escape(p.key, false), value: escape(p.value, false)})
	}
	slices.SortFunc(pairs, func(a, b param) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalHeaders writes "name:value\n" for each signed header: values
// trimmed, inner runs of spaces collapsed, several values joined by commas.
// Host comes from r.Host, and Content-Length and Transfer-Encoding from the
// fields net/http moves them to.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		lower := strings.ToLower(name)
		b.WriteString(lower)
		b.WriteByte(':')
		values := r.Header.Values(name)
		switch {
		case lower == "host":
			host := r.Host
			if host == "" && r.URL != nil {
				host = r.URL.Host
			}
			values = []string{host}
		case len(values) > 0:
		case lower == "content-length" && r.ContentLength > 0:
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		case lower == "transfer-encoding" && len(r.TransferEncoding) > 0:
			values = []string{strings.Join(r.TransferEncoding, ",")}
		}
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(collapseSpaces(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// collapseSpaces trims spaces and tabs from both ends of v and turns each run
// of inner spaces into one.
func collapseSpaces(v string) string {
	v = strings.Trim(v, " \t")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(v[i])
	}
	return b.String()
}

// request joins the parts of a canonical request around a URI and a body hash.
func (p canonicalParts) request(uri, payloadHash string) string {
	return p.method + "\n" + uri + "\n" + p.query + "\n" + p.headers + "\n" + p.signedHeaders + "\n" + payloadHash
}

// stringToSign is the SigV4 string to sign for a canonical request.
func stringToSign(sig *Signature, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return AlgorithmV4 + "\n" + amzDate(sig.Time) + "\n" + sig.scope() + "\n" + hex.EncodeToString(sum[:])
}

// signingKey derives the SigV4 key of secret for a credential scope.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// isHexSHA256 reports whether s looks like a hex SHA-256 digest.
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
