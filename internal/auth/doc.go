// Package auth reads and checks AWS Signature Version 4 on incoming requests,
// and keeps the access keys Nimbus knows and the accounts they belong to.
//
// The edge calls ScopeOf on every request to route it by its credential
// scope, ParseRequest to learn the caller's key and region, and, when
// verification is on, Verifier.Verify. Every error answered to a client is an
// *awserr.Error worded as AWS words it (see Dialect).
//
// Not done yet:
//   - SigV4a (AWS4-ECDSA-P256-SHA256) signatures are parsed, so requests route
//     and get a region from X-Amz-Region-Set, but Verify refuses them.
//   - The per-chunk signatures of aws-chunked bodies
//     (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) and trailer signatures are not
//     checked; Verify checks the seed signature of the headers only.
//   - Signature Version 2 is refused, as AWS does in every region opened
//     after 2014.
//   - Presigned POST policies (S3 browser uploads) are not read.
package auth
