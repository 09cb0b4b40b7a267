package dynamodbstreams

//go:generate go run ../../awsgen -model ../../../../shared/aws-models/dynamodbstreams -package dynamodbstreams -external AttributeValue=github.com/nimbus-dev/nimbus/internal/dynamodb/attr.Value,Record=github.com/nimbus-dev/nimbus/internal/dynamodb/streamrecord.Record
