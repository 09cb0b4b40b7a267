package server

import (
	"encoding/json"

	"github.com/nimbus-dev/nimbus/internal/arn"
	"github.com/nimbus-dev/nimbus/internal/services/dynamodb"
	"github.com/nimbus-dev/nimbus/internal/services/lambda"
)

// streamSource lets Lambda's event source mappings read DynamoDB's streams.
type streamSource struct{ ddb *dynamodb.Service }

var _ lambda.StreamSource = streamSource{}

// maxStreamRead bounds one read of a shard, as Lambda's 6 MB payload.
const maxStreamRead = 6 << 20

func scope(streamARN string) (account, region string) {
	a, err := arn.Parse(streamARN)
	if err != nil {
		return "", ""
	}
	return a.Account, a.Region
}

func (s streamSource) StreamShards(streamARN string) ([]lambda.StreamShard, string, bool) {
	account, region := scope(streamARN)
	info, err := s.ddb.Stream(account, region, streamARN)
	if err != nil {
		return nil, "", false
	}
	partitionKey := ""
	for _, k := range info.KeySchema {
		if aws := k.KeyType; aws != nil && *aws == "HASH" {
			partitionKey = *k.AttributeName
		}
	}
	out := make([]lambda.StreamShard, 0, len(info.Shards))
	for _, sh := range info.Shards {
		start, _ := dynamodb.ParseSequenceNumber(sh.Start)
		out = append(out, lambda.StreamShard{ID: sh.ID, Parent: sh.Parent, Start: start, Closed: sh.End != ""})
	}
	return out, partitionKey, true
}

func (s streamSource) ShardLatest(streamARN, shardID string) (uint64, error) {
	account, region := scope(streamARN)
	return s.ddb.ShardLatest(account, region, streamARN, shardID)
}

func (s streamSource) Changed(streamARN string) <-chan struct{} {
	account, region := scope(streamARN)
	ch, err := s.ddb.StreamChanged(account, region, streamARN)
	if err != nil {
		return nil
	}
	return ch
}

func (s streamSource) ReadShard(streamARN, shardID string, from uint64, limit int) ([]json.RawMessage, uint64, bool, error) {
	account, region := scope(streamARN)
	read, err := s.ddb.ReadShard(account, region, streamARN, shardID, from, limit, maxStreamRead)
	if err != nil {
		return nil, from, false, err
	}
	return read.Records, read.Next, read.Ended, nil
}
