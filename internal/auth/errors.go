package auth

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nimbus-dev/nimbus/internal/awserr"
)

// Dialect is the vocabulary a service uses for authentication errors. AWS's
// front ends agree on what fails but not on the words: JSON services answer
// InvalidSignatureException, query services SignatureDoesNotMatch, and S3
// has codes, messages and extra members of its own.
type Dialect int

const (
	// DialectJSON is the awsJson/restJson vocabulary
	// (IncompleteSignatureException, UnrecognizedClientException,
	// InvalidSignatureException, MissingAuthenticationTokenException). Its
	// errors also carry the query vocabulary in awserr.Error.QueryCode, so a
	// query-compatible JSON service (SQS) or a query renderer that honours
	// QueryCode needs nothing else.
	DialectJSON Dialect = iota
	// DialectQuery is the query-protocol vocabulary (IncompleteSignature,
	// InvalidClientTokenId, SignatureDoesNotMatch, MissingAuthenticationToken)
	// in awserr.Error.Code.
	DialectQuery
	// DialectS3 is S3's REST-XML vocabulary (SignatureDoesNotMatch with the
	// StringToSign and CanonicalRequest echoed back, InvalidAccessKeyId,
	// RequestTimeTooSkewed, AccessDenied "Request has expired",
	// AuthorizationHeaderMalformed, AuthorizationQueryParametersError).
	DialectS3
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case DialectJSON:
		return "json"
	case DialectQuery:
		return "query"
	case DialectS3:
		return "s3"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// DialectFor returns the dialect of the service with the given signing name:
// DialectS3 for "s3", DialectQuery for services that only speak the query
// protocol (sts, iam, sns, cloudformation and the other classic query APIs),
// DialectJSON for everything else, including an empty name.
func DialectFor(service string) Dialect {
	switch service {
	case "s3":
		return DialectS3
	case "sts", "iam", "sns", "cloudformation", "ec2", "autoscaling",
		"elasticloadbalancing", "elasticache", "rds", "redshift", "ses",
		"sdb", "elasticbeanstalk", "importexport":
		return DialectQuery
	}
	return DialectJSON
}

// The exact texts AWS answers. Sources: the messages of real responses
// (DynamoDB, Lambda, STS, SNS, API Gateway) quoted in SDK issue threads, the
// AWS "Common Errors" reference pages for the query codes and statuses, and
// the LocalStack recordings of S3 in shared/aws-recorded/s3.
const (
	msgInvalidToken   = "The security token included in the request is invalid."
	msgMissingToken   = "Missing Authentication Token"
	msgMismatch       = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgS3Mismatch     = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgS3UnknownKey   = "The AWS Access Key Id you provided does not exist in our records."
	msgS3BadToken     = "The provided token is malformed or otherwise invalid."
	msgS3Skewed       = "The difference between the request time and the current time is too large."
	msgS3Expired      = "Request has expired"
	msgS3NotYetValid  = "Request is not valid yet"
	msgS3AccessDenied = "Access Denied"
	msgS3ContentSHA   = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgSigV2          = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
	msgBoth           = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
	msgHostNotSigned  = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgS3HeaderCred   = "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	msgS3QueryCred    = "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	msgS3QueryParams  = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgS3CredDate     = "Invalid credential date. Date is not the same as X-Amz-Date."
	s3MaxSkewMillis   = "900000"
)

// kind is what went wrong, before it is worded in a dialect.
type kind int

const (
	kindMalformed     kind = iota // the signature cannot be read
	kindBoth                      // header and query signature together
	kindSigV2                     // Signature Version 2
	kindMissing                   // no signature where one is required
	kindUnknownKey                // the access key is not known
	kindMissingToken              // a temporary key came without its token
	kindBadToken                  // the token does not belong to the key
	kindScope                     // the credential scope does not fit the request
	kindHostNotSigned             // host is not among the signed headers
	kindMismatch                  // the signature does not match
	kindContentSHA                // x-amz-content-sha256 is not the body's hash
	kindTooEarly                  // signed too far in the future
	kindTooLate                   // signed too long ago (header signature)
	kindExpired                   // presigned URL past its expiry
)

// failure is one authentication failure with what each dialect needs to
// word it.
type failure struct {
	kind kind
	// msg is the JSON and query message.
	msg string
	// s3msg overrides the S3 message for kindMalformed and kindScope.
	s3msg string
	// presigned says the signature came in the query string.
	presigned bool

	accessKeyID    string
	token          string
	signature      string
	stringToSign   string
	canonical      string
	requestTime    time.Time
	serverTime     time.Time
	expires        time.Duration
	clientSHA      string
	computedSHA256 string
}

// render words f in dialect d.
func (d Dialect) render(f failure) *awserr.Error {
	if d == DialectS3 {
		return f.s3()
	}
	code, query, status := "", "", http.StatusForbidden
	msg := f.msg
	switch f.kind {
	case kindMalformed, kindSigV2:
		code, query, status = "IncompleteSignatureException", "IncompleteSignature", http.StatusBadRequest
	case kindBoth:
		code, query, status = "InvalidSignatureException", "SignatureDoesNotMatch", http.StatusBadRequest
	case kindMissing:
		code, query = "MissingAuthenticationTokenException", "MissingAuthenticationToken"
	case kindUnknownKey, kindMissingToken, kindBadToken:
		code, query, msg = "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken
	default: // kindScope, kindHostNotSigned, kindMismatch, kindContentSHA, kindTooEarly, kindTooLate, kindExpired
		code, query = "InvalidSignatureException", "SignatureDoesNotMatch"
	}
	switch f.kind {
	case kindMissing:
		msg = msgMissingToken
	case kindSigV2:
		msg = msgSigV2
	case kindBoth:
		msg = msgBoth
	case kindHostNotSigned:
		msg = msgHostNotSigned
	case kindMismatch, kindContentSHA:
		msg = msgMismatch
	}
	e := awserr.New(status, code, "%s", msg)
	if d == DialectQuery {
		e.Code = query
	} else {
		e.QueryCode = query
	}
	return e
}

// s3 words f as S3 does.
func (f failure) s3() *awserr.Error {
	var e *awserr.Error
	switch f.kind {
	case kindMalformed, kindScope:
		code := "AuthorizationHeaderMalformed"
		if f.presigned {
			code = "AuthorizationQueryParametersError"
		}
		msg := f.s3msg
		if msg == "" {
			msg = f.msg
		}
		e = awserr.New(http.StatusBadRequest, code, "%s", msg)
	case kindBoth:
		e = awserr.New(http.StatusBadRequest, "InvalidArgument", "%s",
			"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case kindSigV2:
		e = awserr.New(http.StatusBadRequest, "InvalidRequest", "%s", msgSigV2)
	case kindMissing:
		e = awserr.New(http.StatusForbidden, "AccessDenied", "%s", msgS3AccessDenied)
	case kindUnknownKey, kindMissingToken:
		e = awserr.New(http.StatusForbidden, "InvalidAccessKeyId", "%s", msgS3UnknownKey).
			With("AWSAccessKeyId", f.accessKeyID)
	case kindBadToken:
		e = awserr.New(http.StatusBadRequest, "InvalidToken", "%s", msgS3BadToken).
			With("Token-0", f.token)
	case kindContentSHA:
		e = awserr.New(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "%s", msgS3ContentSHA).
			With("ClientComputedContentSHA256", f.clientSHA).
			With("S3ComputedContentSHA256", f.computedSHA256)
	case kindTooEarly:
		if f.presigned {
			e = awserr.New(http.StatusForbidden, "AccessDenied", "%s", msgS3NotYetValid).
				With("X-Amz-Date", amzDate(f.requestTime)).
				With("ServerTime", f.serverTime.UTC().Format(time.RFC3339))
			break
		}
		e = f.s3Skewed()
	case kindTooLate:
		e = f.s3Skewed()
	case kindExpired:
		e = awserr.New(http.StatusForbidden, "AccessDenied", "%s", msgS3Expired).
			With("X-Amz-Expires", strconv.FormatInt(int64(f.expires/time.Second), 10)).
			With("Expires", f.requestTime.Add(f.expires).UTC().Format(time.RFC3339)).
			With("ServerTime", f.serverTime.UTC().Format(time.RFC3339))
	default: // kindHostNotSigned, kindMismatch
		e = awserr.New(http.StatusForbidden, "SignatureDoesNotMatch", "%s", msgS3Mismatch)
		if f.kind == kindHostNotSigned {
			e.Message = msgHostNotSigned
		}
		e.With("AWSAccessKeyId", f.accessKeyID).
			With("SignatureProvided", f.signature)
		if f.stringToSign != "" {
			e.With("StringToSign", f.stringToSign).
				With("StringToSignBytes", hexBytes(f.stringToSign)).
				With("CanonicalRequest", f.canonical).
				With("CanonicalRequestBytes", hexBytes(f.canonical))
		}
	}
	return e
}

func (f failure) s3Skewed() *awserr.Error {
	return awserr.New(http.StatusForbidden, "RequestTimeTooSkewed", "%s", msgS3Skewed).
		With("RequestTime", amzDate(f.requestTime)).
		With("ServerTime", f.serverTime.UTC().Format(time.RFC3339)).
		With("MaxAllowedSkewMilliseconds", s3MaxSkewMillis)
}

// hexBytes renders s as S3 does in StringToSignBytes: two hex digits per
// byte, separated by spaces.
func hexBytes(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(3 * len(s))
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&0xf])
	}
	return b.String()
}

// skewText words a skew failure as AWS's front ends do, for example
// "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z
// (20240101T002000Z - 15 min.)".
func skewText(k kind, signed, now time.Time, window time.Duration) string {
	if k == kindTooEarly {
		return fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
			amzDate(signed), amzDate(now.Add(window)), amzDate(now), windowText(window))
	}
	return fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
		amzDate(signed), amzDate(now.Add(-window)), amzDate(now), windowText(window))
}

// windowText says "15 min" for whole minutes and "90 sec" otherwise.
func windowText(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec"
}
