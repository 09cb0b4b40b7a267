package auth

import (
	"crypto/hmac"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/nimbus-dev/nimbus/internal/clock"
)

// Credentials are an access key pair Nimbus knows, and the account it
// belongs to.
type Credentials struct {
	// AccessKeyID names the key pair (AKIA… for long-term keys, ASIA… for
	// temporary ones, but any string is accepted).
	AccessKeyID string
	// SecretAccessKey signs requests.
	SecretAccessKey string
	// SessionToken, when set, must come with every request signed by this
	// key, as X-Amz-Security-Token.
	SessionToken string
	// Account is the 12-digit account the key belongs to; empty means the
	// default account.
	Account string
}

// CredentialStore finds the credentials of an access key. Implementations
// must be safe for concurrent use; *Accounts is one.
type CredentialStore interface {
	// Lookup returns the credentials of accessKeyID, and whether it is known.
	Lookup(accessKeyID string) (Credentials, bool)
}

// Verifier checks SigV4 signatures against a CredentialStore. It is safe for
// concurrent use.
type Verifier struct {
	creds CredentialStore
	clock clock.Clock
}

// NewVerifier returns a Verifier that looks keys up in creds and reads the
// time from clk (clock.Real{} when nil).
func NewVerifier(creds CredentialStore, clk clock.Clock) *Verifier {
	if clk == nil {
		clk = clock.Real{}
	}
	return &Verifier{creds: creds, clock: clk}
}

// Verify checks that sig, as read from r by ParseRequest, is a valid
// signature of r by a known key, and returns nil if so. Errors are worded in
// the dialect of the signature's service, DialectFor(sig.Service): a caller
// that knows better (a query-protocol request to a JSON service, say) calls
// VerifyDialect instead.
//
// payloadHash is the hex SHA-256 of the body the caller read. The body hash
// signed is the x-amz-content-sha256 header when present (UNSIGNED-PAYLOAD
// and STREAMING-* values are taken as they are), else a presigned URL's
// X-Amz-Content-Sha256 parameter, else UNSIGNED-PAYLOAD for a presigned S3
// URL, else payloadHash; an empty payloadHash stands for an empty body. When
// x-amz-content-sha256 is a hex hash that differs from a non-empty
// payloadHash, the body was changed after signing.
//
// A nil sig is a request without a signature: Verify answers it as AWS
// answers one where a signature is required (403
// MissingAuthenticationTokenException "Missing Authentication Token").
// Verify does not read r.Body.
func (v *Verifier) Verify(r *http.Request, sig *Signature, payloadHash string) error {
	d := DialectJSON
	if sig != nil {
		d = DialectFor(sig.Service)
	}
	return v.VerifyDialect(r, sig, payloadHash, d)
}

// VerifyDialect is Verify with the errors worded in dialect d. Every error it
// returns is an *awserr.Error.
func (v *Verifier) VerifyDialect(r *http.Request, sig *Signature, payloadHash string, d Dialect) error {
	if sig == nil {
		return d.render(failure{kind: kindMissing})
	}
	if f := v.check(r, sig, payloadHash); f != nil {
		f.presigned = sig.Presigned
		f.accessKeyID = sig.AccessKeyID
		f.signature = sig.Signature
		return d.render(*f)
	}
	return nil
}

// check runs the checks in the order AWS's front ends do: algorithm, host
// signed, time, credential scope, key, body hash, signature, session token.
func (v *Verifier) check(r *http.Request, sig *Signature, payloadHash string) *failure {
	if sig.Algorithm == AlgorithmV4A {
		return malformed("Unsupported AWS 'algorithm': '" + AlgorithmV4A + "' (only AWS4-HMAC-SHA256 for now). ")
	}
	if !hostSigned(sig.SignedHeaders) {
		return &failure{kind: kindHostNotSigned}
	}
	if f := v.checkTime(sig); f != nil {
		return f
	}
	if f := checkScope(sig); f != nil {
		return f
	}
	creds, ok := v.creds.Lookup(sig.AccessKeyID)
	if !ok {
		return &failure{kind: kindUnknownKey}
	}
	hashes, f := payloadHashes(r, sig, payloadHash)
	if f != nil {
		return f
	}
	if f := checkSignature(r, sig, creds.SecretAccessKey, hashes); f != nil {
		return f
	}
	if creds.SessionToken != "" {
		switch {
		case sig.SecurityToken == "":
			return &failure{kind: kindMissingToken}
		case !hmac.Equal([]byte(sig.SecurityToken), []byte(creds.SessionToken)):
			return &failure{kind: kindBadToken, token: sig.SecurityToken}
		}
	}
	return nil
}

func hostSigned(names []string) bool {
	for _, n := range names {
		if strings.EqualFold(n, "host") || n == ":authority" {
			return true
		}
	}
	return false
}

// checkTime refuses a header signature more than MaxSkew from now, and a
// presigned URL signed more than MaxSkew ahead or past its X-Amz-Expires
// (MaxSkew when it has none).
func (v *Verifier) checkTime(sig *Signature) *failure {
	now := v.clock.Now()
	if sig.Time.After(now.Add(MaxSkew)) {
		return &failure{kind: kindTooEarly, msg: skewText(kindTooEarly, sig.Time, now, MaxSkew),
			requestTime: sig.Time, serverTime: now}
	}
	if !sig.Presigned {
		if sig.Time.Before(now.Add(-MaxSkew)) {
			return &failure{kind: kindTooLate, msg: skewText(kindTooLate, sig.Time, now, MaxSkew),
				requestTime: sig.Time, serverTime: now}
		}
		return nil
	}
	window := sig.Expires
	if window == 0 {
		window = MaxSkew
	}
	if now.After(sig.Time.Add(window)) {
		return &failure{kind: kindExpired, msg: skewText(kindTooLate, sig.Time, now, window),
			requestTime: sig.Time, serverTime: now, expires: sig.Expires}
	}
	return nil
}

// checkScope refuses a credential scope with another terminator than
// aws4_request, or another date than the signature's.
func checkScope(sig *Signature) *failure {
	s3prefix := "The authorization header is malformed; "
	s3cred := msgS3HeaderCred
	if sig.Presigned {
		s3prefix = "Error parsing the X-Amz-Credential parameter; "
		s3cred = msgS3QueryCred
	}
	if t := sig.terminator(); t != "aws4_request" {
		return &failure{kind: kindScope, s3msg: s3cred,
			msg: "Credential should be scoped with a valid terminator: 'aws4_request', not '" + t + "'. "}
	}
	if day := sig.Time.UTC().Format("20060102"); sig.Date != day {
		return &failure{kind: kindScope, s3msg: s3prefix + msgS3CredDate,
			msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
				sig.Date + "' != '" + day + "', from '" + amzDate(sig.Time) + "'."}
	}
	return nil
}

// payloadHashes returns the body hashes the client may have signed, most
// likely first.
func payloadHashes(r *http.Request, sig *Signature, payloadHash string) ([]string, *failure) {
	if payloadHash == "" {
		payloadHash = emptySHA256
	}
	declared := r.Header.Get("X-Amz-Content-Sha256")
	if declared != "" {
		if isHexSHA256(declared) && !strings.EqualFold(declared, payloadHash) {
			return nil, &failure{kind: kindContentSHA, clientSHA: declared, computedSHA256: payloadHash}
		}
		return []string{declared}, nil
	}
	if sig.Presigned {
		if r.URL != nil {
			if v, ok := queryValue(r.URL.RawQuery, "X-Amz-Content-Sha256"); ok {
				return []string{v}, nil
			}
		}
		if sig.Service == "s3" {
			return []string{UnsignedPayload, payloadHash}, nil
		}
		return []string{payloadHash, UnsignedPayload}, nil
	}
	return []string{payloadHash}, nil
}

// checkSignature recomputes the signature over each reading of the request
// and accepts the first that matches.
func checkSignature(r *http.Request, sig *Signature, secret string, hashes []string) *failure {
	rawQuery := ""
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	parts := canonicalParts{
		method:        method,
		query:         canonicalQuery(rawQuery, sig.Presigned),
		headers:       canonicalHeaders(r, sig.SignedHeaders),
		signedHeaders: strings.Join(sig.SignedHeaders, ";"),
	}
	key := signingKey(secret, sig.Date, sig.Region, sig.Service)
	provided, err := hex.DecodeString(sig.Signature)
	if err != nil {
		provided = nil
	}
	var first failure
	for i, uri := range canonicalURIs(requestPath(r), sig.Service == "s3") {
		for j, hash := range hashes {
			canonical := parts.request(uri, hash)
			sts := stringToSign(sig, canonical)
			if provided != nil && hmac.Equal(hmacSHA256(key, sts), provided) {
				return nil
			}
			if i == 0 && j == 0 {
				first = failure{kind: kindMismatch, canonical: canonical, stringToSign: sts}
			}
		}
	}
	return &first
}
