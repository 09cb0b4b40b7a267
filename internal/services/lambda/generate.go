package lambda

//go:generate go run ../../awsgen -model ../../../../shared/aws-models/lambda -package lambda -no-validate Runtime
