package logs

//go:generate go run ../../awsgen -model ../../../../shared/aws-models/logs -package logs -validation-code InvalidParameterException
