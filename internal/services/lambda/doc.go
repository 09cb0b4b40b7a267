// Package lambda serves the AWS Lambda API (restJson, /2015-03-31/…): the
// function lifecycle, synchronous, asynchronous and dry-run invokes,
// concurrency and tags, event invoke configurations (retries, maximum
// event age, destinations) and dead-letter queues, and SQS event source
// mappings. Functions run as local processes through internal/runtime;
// asynchronous invokes travel through internal/outbox; event source
// mappings poll the SQS service inside Nimbus (QueueSource).
//
// Not done yet:
//   - versions and aliases (PublishVersion, CreateAlias…) answer
//     NotImplemented; Publish=true is refused by name; only $LATEST exists;
//   - layers are refused by name; function URLs, code signing and
//     provisioned concurrency answer NotImplemented;
//   - destinations and dead-letter targets: SQS queues and functions only
//     (SNS, EventBridge and S3 are refused by name until those services
//     exist);
//   - event source mappings: SQS only; five pollers (MaximumConcurrency
//     when set) that do not scale with the queue's depth; no
//     LastProcessingResult;
//   - code from S3 (Code.S3Bucket) and container images are refused by name;
//   - LoggingConfig other than Text to /aws/lambda/NAME is refused by name;
//   - VpcConfig, TracingConfig and KMSKeyArn are stored and reported, not
//     acted on; FileSystemConfigs, SnapStart, ImageConfig and
//     EphemeralStorage beyond its size are accepted and ignored;
//   - InvokeWithResponseStream and the legacy InvokeAsync answer
//     NotImplemented.
package lambda
