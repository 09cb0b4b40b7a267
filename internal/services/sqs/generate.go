package sqs

//go:generate go run ../../awsgen -model ../../../../shared/aws-models/sqs -package sqs -validation-code InvalidParameterValue -no-validate QueueAttributeName
