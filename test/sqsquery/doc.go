// Package sqsquery tests Nimbus's SQS over the query protocol with the
// query-era Go client (aws-sdk-go-v2/service/sqs v1.24.5) and, where it is
// installed, Debian's AWS CLI 2.9. It is a module of its own so that the
// old client and the main module's current one never meet in one build;
// it runs the working tree's Nimbus as a subprocess (see TestMain).
package sqsquery
