// Package lambda serves the AWS Lambda API (restJson, /2015-03-31/…): the
// function lifecycle, synchronous, asynchronous and dry-run invokes,
// concurrency and tags, event invoke configurations (retries, maximum
// event age, destinations) and dead-letter queues, and event source
// mappings of SQS queues and DynamoDB streams. Functions run as local
// processes through internal/runtime (the Runner); asynchronous invokes
// travel through internal/outbox; event source mappings read the SQS and
// DynamoDB services inside Nimbus (QueueSource, StreamSource).
//
// Function code is unpacked once per content hash under Config.CodeDir and
// removed once no function record and no running invocation uses it
// (codeuse.go). Event source mappings report AWS's states: a stream
// mapping is Creating until its shards have their starting positions, a
// disabled mapping Disabling until its pollers have stopped. Close stops
// every poller and waits for it.
//
// Not done yet:
//   - versions and aliases (PublishVersion, CreateAlias…) answer
//     NotImplemented; only $LATEST exists, so Publish, PublishTo and
//     SnapStart ApplyOn PublishedVersions are refused by name;
//   - layers, FileSystemConfigs (EFS), ImageConfig, CodeSigningConfigArn,
//     CapacityProviderConfig, DurableConfig, TenancyConfig and
//     SourceKMSKeyArn are refused by name; function URLs, code signing
//     configurations and provisioned concurrency answer NotImplemented;
//   - code from S3 (Code.S3Bucket) and container images are refused by name;
//   - LoggingConfig other than Text to /aws/lambda/NAME is refused by name;
//   - VpcConfig, TracingConfig and KMSKeyArn are stored and reported, not
//     acted on;
//   - destinations and dead-letter targets: SQS queues and functions only
//     (SNS, EventBridge and S3 are refused by name until those services
//     exist); a stream mapping's OnFailure destination: SQS queues only;
//   - event source mappings: SQS queues and DynamoDB streams only (Kinesis,
//     Kafka, MQ and DocumentDB are refused by name, as are
//     StartingPositionTimestamp and ProvisionedPollerConfig); SQS pollers
//     scale with the queue's depth up to MaximumConcurrency, the function's
//     reserved concurrency or 100; SQS mappings report no
//     LastProcessingResult (nor do AWS's);
//   - InvokeWithResponseStream and the legacy InvokeAsync answer
//     NotImplemented.
package lambda
