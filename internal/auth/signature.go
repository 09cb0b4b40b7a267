package auth

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The signing algorithms Nimbus reads.
const (
	// AlgorithmV4 is Signature Version 4, HMAC-SHA256.
	AlgorithmV4 = "AWS4-HMAC-SHA256"
	// AlgorithmV4A is Signature Version 4a, ECDSA P-256 over a region set;
	// parsed but not verified.
	AlgorithmV4A = "AWS4-ECDSA-P256-SHA256"
)

// Limits AWS applies to signatures.
const (
	// MaxSkew is how far a header signature's time may be from the server's
	// clock, either way.
	MaxSkew = 15 * time.Minute
	// MaxPresignExpires is the longest X-Amz-Expires a presigned URL may ask
	// for: seven days.
	MaxPresignExpires = 7 * 24 * time.Hour
)

// amzDateFormat is the ISO 8601 basic format of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// Signature is a request's SigV4 (or SigV4a) signature, as read by
// ParseRequest. It holds what the client claims; nothing in it is checked
// against credentials until Verifier.Verify.
type Signature struct {
	// Algorithm is AlgorithmV4 or AlgorithmV4A.
	Algorithm string
	// Credential is the Credential (header) or X-Amz-Credential (query)
	// value as sent: AKID/DATE/REGION/SERVICE/TERMINATOR, or without REGION
	// for SigV4a.
	Credential string
	// AccessKeyID is the first element of the credential.
	AccessKeyID string
	// Date is the credential scope's date, YYYYMMDD as sent.
	Date string
	// Region is the credential scope's region; for SigV4a, the first region
	// of X-Amz-Region-Set, empty when that is "*" or absent.
	Region string
	// RegionSet is SigV4a's X-Amz-Region-Set, split on commas; nil for SigV4.
	RegionSet []string
	// Service is the credential scope's service (the signing name).
	Service string
	// SignedHeaders are the names of the signed headers, as sent.
	SignedHeaders []string
	// Signature is the hex signature as sent.
	Signature string
	// Presigned says the signature came in the query string.
	Presigned bool
	// Time is when the request was signed: X-Amz-Date, or the Date header
	// when a header signature has no X-Amz-Date.
	Time time.Time
	// Expires is a presigned URL's X-Amz-Expires; zero for header signatures
	// and for presigned URLs without one.
	Expires time.Duration
	// SecurityToken is X-Amz-Security-Token (header or query), the session
	// token of temporary credentials.
	SecurityToken string
}

// ParseRequest reads the signature of r from its Authorization header or,
// for presigned URLs, its X-Amz-* query parameters. It returns (nil, nil)
// when r carries no signature at all. A signature that cannot be read is an
// *awserr.Error: 400 IncompleteSignatureException with AWS's message (or,
// when the credential scope names s3, S3's AuthorizationHeaderMalformed or
// AuthorizationQueryParametersError); Signature Version 2 is refused the
// same way. ParseRequest never panics, whatever r holds, and does not read
// the body.
func ParseRequest(r *http.Request) (*Signature, error) {
	if r == nil {
		return nil, nil
	}
	d := dialectOf(r)
	var params []param
	if r.URL != nil && mayBePresigned(r.URL.RawQuery) {
		params = parseQuery(r.URL.RawQuery)
	}
	header := r.Header.Get("Authorization")
	presigned := has(params, "X-Amz-Algorithm") || has(params, "X-Amz-Credential") || has(params, "X-Amz-Signature")
	switch {
	case header != "" && presigned:
		return nil, d.render(failure{kind: kindBoth})
	case header != "":
		sig, f := parseHeader(r.Header, header)
		if f != nil {
			return nil, d.render(*f)
		}
		return sig, nil
	case presigned:
		sig, f := parsePresigned(r.Header, params, d)
		if f != nil {
			f.presigned = true
			return nil, d.render(*f)
		}
		return sig, nil
	case has(params, "AWSAccessKeyId") && has(params, "Signature"):
		return nil, d.render(failure{kind: kindSigV2, presigned: true})
	}
	return nil, nil
}

// mayBePresigned is a cheap test that a raw query could hold a signature.
func mayBePresigned(raw string) bool {
	return strings.Contains(raw, "X-Amz-") || strings.Contains(raw, "AWSAccessKeyId")
}

// parseHeader reads an Authorization header, in the order AWS checks it:
// algorithm, key=value syntax, required parameters and date, date format,
// credential shape.
func parseHeader(h http.Header, value string) (*Signature, *failure) {
	value = strings.TrimSpace(value)
	scheme, rest, _ := strings.Cut(value, " ")
	switch scheme {
	case AlgorithmV4, AlgorithmV4A:
	case "AWS":
		return nil, &failure{kind: kindSigV2}
	default:
		return nil, malformed("Unsupported AWS 'algorithm': '" + scheme + "' (only AWS4-HMAC-SHA256 for now). ")
	}
	var credential, signedHeaders, signature string
	var haveCredential, haveSignedHeaders, haveSignature bool
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, malformed("'" + part + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + value + "'.")
		}
		switch k {
		case "Credential":
			credential, haveCredential = v, true
		case "SignedHeaders":
			signedHeaders, haveSignedHeaders = v, true
		case "Signature":
			signature, haveSignature = v, true
		}
	}
	date := h.Get("X-Amz-Date")
	useDateHeader := date == ""
	if useDateHeader {
		date = h.Get("Date")
	}
	var missing []string
	if !haveCredential {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSignature {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSignedHeaders {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if date == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return nil, malformed(strings.Join(missing, " ") + " Authorization=" + scheme)
	}
	t, ok := parseTime(date, useDateHeader)
	if !ok {
		return nil, badDate(date)
	}
	sig := &Signature{
		Algorithm:     scheme,
		Credential:    credential,
		SignedHeaders: strings.Split(signedHeaders, ";"),
		Signature:     signature,
		Time:          t,
		SecurityToken: h.Get("X-Amz-Security-Token"),
	}
	if f := sig.readCredential(h.Get("X-Amz-Region-Set")); f != nil {
		f.s3msg = msgS3HeaderCred
		return nil, f
	}
	return sig, nil
}

// parsePresigned reads the X-Amz-* query parameters of a presigned URL.
func parsePresigned(h http.Header, params []param, d Dialect) (*Signature, *failure) {
	algorithm := first(params, "X-Amz-Algorithm")
	switch algorithm {
	case AlgorithmV4, AlgorithmV4A, "":
	default:
		return nil, malformed("Unsupported AWS 'algorithm': '" + algorithm + "' (only AWS4-HMAC-SHA256 for now). ")
	}
	var missing []string
	for _, name := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if first(params, name) == "" {
			missing = append(missing, "AWS query-string parameters must include '"+name+"'.")
		}
	}
	if d == DialectS3 && first(params, "X-Amz-Expires") == "" {
		missing = append(missing, "AWS query-string parameters must include 'X-Amz-Expires'.")
	}
	if len(missing) > 0 {
		f := malformed(strings.Join(missing, " ") + " Re-examine the query-string parameters.")
		f.s3msg = msgS3QueryParams
		return nil, f
	}
	date := first(params, "X-Amz-Date")
	t, ok := parseTime(date, false)
	if !ok {
		return nil, badDate(date)
	}
	sig := &Signature{
		Algorithm:     algorithm,
		Credential:    first(params, "X-Amz-Credential"),
		SignedHeaders: strings.Split(first(params, "X-Amz-SignedHeaders"), ";"),
		Signature:     first(params, "X-Amz-Signature"),
		Presigned:     true,
		Time:          t,
		SecurityToken: first(params, "X-Amz-Security-Token"),
	}
	if v, ok := firstOK(params, "X-Amz-Expires"); ok {
		expires, f := parseExpires(v)
		if f != nil {
			return nil, f
		}
		sig.Expires = expires
	}
	regionSet := first(params, "X-Amz-Region-Set")
	if regionSet == "" {
		regionSet = h.Get("X-Amz-Region-Set")
	}
	if f := sig.readCredential(regionSet); f != nil {
		f.s3msg = msgS3QueryCred
		return nil, f
	}
	return sig, nil
}

// parseExpires reads X-Amz-Expires, in seconds, 0 to MaxPresignExpires.
func parseExpires(v string) (time.Duration, *failure) {
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case err != nil && strings.HasPrefix(v, "-") && isDigits(v[1:]):
		return 0, malformed("X-Amz-Expires must be non-negative")
	case err != nil && isDigits(v):
		// Too many digits for an int64: far more than a week.
		return 0, malformed("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	case err != nil:
		return 0, malformed("X-Amz-Expires should be a number")
	case n < 0:
		return 0, malformed("X-Amz-Expires must be non-negative")
	case n > int64(MaxPresignExpires/time.Second):
		return 0, malformed("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	return time.Duration(n) * time.Second, nil
}

// readCredential splits sig.Credential into its elements: five for SigV4,
// four (no region) for SigV4a, whose region comes from regionSet. A
// trailing slash is ignored, as AWS does.
func (sig *Signature) readCredential(regionSet string) *failure {
	cred := strings.TrimSuffix(sig.Credential, "/")
	parts := strings.Split(cred, "/")
	if sig.Algorithm == AlgorithmV4A {
		if len(parts) != 4 {
			return malformed("Credential must have exactly 4 slash-delimited elements, e.g. keyid/date/service/term, got '" + cred + "'")
		}
		sig.AccessKeyID, sig.Date, sig.Service = parts[0], parts[1], parts[2]
		if regionSet != "" {
			sig.RegionSet = strings.Split(regionSet, ",")
			for i := range sig.RegionSet {
				sig.RegionSet[i] = strings.TrimSpace(sig.RegionSet[i])
			}
			if r := sig.RegionSet[0]; r != "*" {
				sig.Region = r
			}
		}
		return nil
	}
	if len(parts) != 5 {
		return malformed("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + cred + "'")
	}
	sig.AccessKeyID, sig.Date, sig.Region, sig.Service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

// terminator is the credential scope's last element.
func (sig *Signature) terminator() string {
	cred := strings.TrimSuffix(sig.Credential, "/")
	return cred[strings.LastIndexByte(cred, '/')+1:]
}

// scope is the credential scope the signature covers.
func (sig *Signature) scope() string {
	if sig.Algorithm == AlgorithmV4A {
		return sig.Date + "/" + sig.Service + "/" + sig.terminator()
	}
	return sig.Date + "/" + sig.Region + "/" + sig.Service + "/" + sig.terminator()
}

func malformed(msg string) *failure { return &failure{kind: kindMalformed, msg: msg} }

func badDate(date string) *failure {
	return malformed("Date must be in ISO-8601 'basic format'. Got '" + date + "'. See http://en.wikipedia.org/wiki/ISO_8601")
}

// parseTime reads an X-Amz-Date (ISO 8601 basic format) or, when httpDate
// is set, a Date header (any HTTP date format, or the basic format).
func parseTime(s string, httpDate bool) (time.Time, bool) {
	if len(s) == len(amzDateFormat) {
		if t, err := time.Parse(amzDateFormat, s); err == nil {
			return t, true
		}
	}
	if httpDate {
		if t, err := http.ParseTime(s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// amzDate formats t as X-Amz-Date does.
func amzDate(t time.Time) string { return t.UTC().Format(amzDateFormat) }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// param is one decoded query parameter, in the order sent.
type param struct{ key, value string }

// parseQuery splits a raw query string into decoded parameters. Unlike
// url.ParseQuery it keeps every parameter: a name or value that does not
// decode is kept as sent (its signature will simply not match), and
// semicolons are ordinary characters.
func parseQuery(raw string) []param {
	var params []param
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		params = append(params, param{key: unescapeQuery(k), value: unescapeQuery(v)})
	}
	return params
}

func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// firstOK returns the first value of the parameter named key.
func firstOK(params []param, key string) (string, bool) {
	for _, p := range params {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

func first(params []param, key string) string {
	v, _ := firstOK(params, key)
	return v
}

func has(params []param, key string) bool {
	_, ok := firstOK(params, key)
	return ok
}

// ScopeOf returns the region, service (signing name) and access key of r's
// credential scope, from the Authorization header or else the
// X-Amz-Credential query parameter, without checking anything else. ok is
// false when r has no readable scope. For SigV4a the region is the first of
// X-Amz-Region-Set ("" for "*"). It is meant for routing every request: it
// allocates nothing for header signatures and one string for presigned URLs
// whose credential is percent-encoded.
func ScopeOf(r *http.Request) (region, service, accessKeyID string, ok bool) {
	cred, v4a, ok := rawCredential(r)
	if !ok {
		return "", "", "", false
	}
	var parts [5]string
	n := splitCredential(cred, &parts)
	switch {
	case !v4a && n == 5:
		region, service, accessKeyID = parts[2], parts[3], parts[0]
	case v4a && n == 4:
		service, accessKeyID = parts[2], parts[0]
		region = firstRegion(r)
	}
	if service == "" {
		return "", "", "", false
	}
	return region, service, accessKeyID, true
}

// rawCredential finds the credential of r's signature, and whether it is a
// SigV4a one, without allocating for header signatures.
func rawCredential(r *http.Request) (cred string, v4a, ok bool) {
	if r == nil {
		return "", false, false
	}
	if h := r.Header.Get("Authorization"); h != "" {
		cred, ok = headerCredential(h)
		return cred, strings.HasPrefix(h, AlgorithmV4A), ok
	}
	if r.URL == nil || !strings.Contains(r.URL.RawQuery, "X-Amz-Credential=") {
		return "", false, false
	}
	cred, ok = queryValue(r.URL.RawQuery, "X-Amz-Credential")
	alg, _ := queryValue(r.URL.RawQuery, "X-Amz-Algorithm")
	return cred, alg == AlgorithmV4A, ok
}

// splitCredential splits cred on slashes into parts, ignoring one trailing
// slash, and returns the number of elements, len(parts)+1 when there are
// more than fit.
func splitCredential(cred string, parts *[5]string) int {
	cred = strings.TrimSuffix(cred, "/")
	for n := 0; n < len(parts); n++ {
		i := strings.IndexByte(cred, '/')
		if i < 0 {
			parts[n] = cred
			return n + 1
		}
		parts[n], cred = cred[:i], cred[i+1:]
	}
	return len(parts) + 1
}

// dialectOf guesses the dialect of r's service for errors found while
// reading its signature: by the credential scope when it is readable, else
// DialectS3 when an element of the credential is "s3".
func dialectOf(r *http.Request) Dialect {
	if _, service, _, ok := ScopeOf(r); ok {
		return DialectFor(service)
	}
	cred, _, _ := rawCredential(r)
	for _, el := range strings.Split(cred, "/") {
		if el == "s3" {
			return DialectS3
		}
	}
	return DialectJSON
}

// headerCredential finds the Credential= parameter of an Authorization
// header value.
func headerCredential(h string) (string, bool) {
	const key = "Credential="
	for off := 0; ; {
		i := strings.Index(h[off:], key)
		if i < 0 {
			return "", false
		}
		i += off
		if i == 0 || h[i-1] == ' ' || h[i-1] == ',' || h[i-1] == '\t' {
			v := h[i+len(key):]
			if j := strings.IndexByte(v, ','); j >= 0 {
				v = v[:j]
			}
			return strings.TrimSpace(v), true
		}
		off = i + len(key)
	}
}

// queryValue finds the first value of key in a raw query string, decoding it
// only when it is encoded.
func queryValue(raw, key string) (string, bool) {
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		if len(piece) > len(key) && piece[len(key)] == '=' && piece[:len(key)] == key {
			return unescapeQuery(piece[len(key)+1:]), true
		}
	}
	return "", false
}

// firstRegion is the first region of a SigV4a region set, "" for "*".
func firstRegion(r *http.Request) string {
	set := r.Header.Get("X-Amz-Region-Set")
	if set == "" && r.URL != nil {
		set, _ = queryValue(r.URL.RawQuery, "X-Amz-Region-Set")
	}
	if i := strings.IndexByte(set, ','); i >= 0 {
		set = set[:i]
	}
	set = strings.TrimSpace(set)
	if set == "*" {
		return ""
	}
	return set
}
