package main

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/spf13/cobra"
)

// clientFlags are the flags of subcommands that talk to a running Nimbus.
type clientFlags struct {
	endpoint string
	region   string
}

func (c *clientFlags) register(cmd *cobra.Command) {
	def := os.Getenv("AWS_ENDPOINT_URL")
	if def == "" {
		def = "http://127.0.0.1:4566"
	}
	cmd.Flags().StringVar(&c.endpoint, "endpoint", def, "Nimbus endpoint (default: $AWS_ENDPOINT_URL or http://127.0.0.1:4566)")
	cmd.Flags().StringVar(&c.region, "region", "", "region (default: $AWS_REGION or us-east-1)")
}

// awsConfig loads the SDK configuration the usual way, defaulting the
// region and credentials so that a bare machine can talk to Nimbus.
func (c *clientFlags) awsConfig(ctx context.Context) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{}
	if c.region != "" {
		opts = append(opts, config.WithRegion(c.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		cfg.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
	}
	cfg.BaseEndpoint = aws.String(c.endpoint)
	return cfg, nil
}
