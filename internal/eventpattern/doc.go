// Package eventpattern compiles and matches Amazon EventBridge event patterns.
//
// The same pattern language filters events in three places, and this package
// serves all of them:
//
//   - Lambda event source mappings: each FilterCriteria.Filters[].Pattern for
//     SQS, DynamoDB Streams and Kinesis records;
//   - SNS subscription filter policies (FilterPolicy, both scopes);
//   - EventBridge rules (PutRule, TestEventPattern).
//
// A pattern is a JSON object shaped like the events it selects. Every leaf is
// a list of alternatives: exact strings, numbers (compared as numbers, so 5
// matches 5.0 and 5e0), true, false and null, or one-key operator objects
// (prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric,
// exists, cidr). Keys are ANDed, list entries are ORed, and "$or" ORs whole
// sub-patterns. An event array matches when any element matches; the keys of
// a sub-pattern must all match within the same array element.
//
// The behaviour follows AWS's documentation and, where the documentation is
// silent, Event Ruler (github.com/aws/event-ruler), the library behind these
// services. Compile reports problems as an *Error whose Message carries
// AWS's wording, for example `"slug" must be an object or an array`; callers
// wrap it in their service's error:
//
//	EventBridge: InvalidEventPatternException, "Event pattern is not valid. Reason: " + Message
//	SNS:         InvalidParameterException, "Invalid parameter: FilterPolicy: " + Message
//	             (via attributes: "Invalid parameter: Attributes Reason: FilterPolicy: " + Message)
//	Lambda:      InvalidParameterValueException, "Invalid filter pattern definition."
//
// Numbers are compared as decimals with six fractional digits between -5e9
// and 5e9 inclusive; numbers outside that range only match the same text.
//
// What it does not do (yet), and what callers own:
//
//   - Length limits: EventBridge and Lambda patterns are at most 4,096
//     characters (EventBridge's default quota is 2,048), SNS policies 256 KB.
//     The API layers check these.
//   - SNS-only rules: at most 5 keys and 150 value combinations, no nesting in
//     the MessageAttributes scope, the operators SNS rejects (anything-but
//     with suffix or wildcard), its ±1e9 numeric range, and "exists": false
//     needing at least one attribute. The SNS service checks these.
//   - Lambda's SQS body rule (a JSON pattern for "body" never matches a
//     non-JSON body) lives with the event source mapping.
//   - AWS's Jackson parser appends a source location to its messages
//     ("at [Source: …; line: 1, column: 10]"); Message does not.
//   - Keys containing dots are not equated with nested keys, and the
//     undocumented Event Ruler operator "exactly" is not recognised.
//   - The wildcard complexity evaluation Event Ruler offers is not applied.
package eventpattern
