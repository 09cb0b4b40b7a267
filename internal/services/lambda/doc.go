// Package lambda serves the AWS Lambda API (restJson, /2015-03-31/…): the
// function lifecycle, synchronous, asynchronous and dry-run invokes,
// concurrency and tags. Functions run as local processes through
// internal/runtime; asynchronous invokes travel through internal/outbox.
//
// Not done yet:
//   - versions and aliases (PublishVersion, CreateAlias…) answer
//     NotImplemented; Publish=true is refused by name; only $LATEST exists;
//   - layers are refused by name; function URLs, event source mappings,
//     code signing, provisioned concurrency, event invoke configs and
//     destinations answer NotImplemented (the SQS issue brings the async
//     ones); a failed Event invoke is logged, not retried;
//   - code from S3 (Code.S3Bucket) and container images are refused by name;
//   - LoggingConfig other than Text to /aws/lambda/NAME is refused by name;
//   - VpcConfig, TracingConfig and KMSKeyArn are stored and reported, not
//     acted on; FileSystemConfigs, SnapStart, ImageConfig and
//     EphemeralStorage beyond its size are accepted and ignored;
//   - InvokeWithResponseStream and the legacy InvokeAsync answer
//     NotImplemented.
package lambda
