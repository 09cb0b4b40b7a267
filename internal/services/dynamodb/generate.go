package dynamodb

//go:generate go run ../../awsgen -model ../../../../shared/aws-models/dynamodb -package dynamodb -external AttributeValue=github.com/nimbus-dev/nimbus/internal/dynamodb/attr.Value
