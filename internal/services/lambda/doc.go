// Package lambda serves the AWS Lambda API (restJson, /2015-03-31/…): the
// function lifecycle, synchronous, asynchronous and dry-run invokes,
// concurrency and tags. Functions run as local processes through
// internal/runtime; asynchronous invokes travel through internal/outbox.
//
// Not done yet (each answers NotImplemented or is ignored as noted):
//   - versions and aliases (PublishVersion, CreateAlias…): only $LATEST exists;
//   - layers, function URLs, event source mappings, code signing, provisioned
//     concurrency, event invoke configs and destinations (the SQS issue);
//   - code from S3 (Code.S3Bucket) until S3 exists; container images;
//   - VpcConfig, FileSystemConfigs, TracingConfig, KMSKeyArn, SnapStart,
//     LoggingConfig are stored where the model has them, not acted on;
//   - InvokeWithResponseStream and the legacy InvokeAsync.
package lambda
