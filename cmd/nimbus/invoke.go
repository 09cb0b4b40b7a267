package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/spf13/cobra"
)

func newInvokeCommand() *cobra.Command {
	var (
		client  clientFlags
		payload string
		async   bool
		tail    bool
	)
	cmd := &cobra.Command{
		Use:   "invoke FUNCTION",
		Short: "Invoke a function and print its result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := readPayload(payload)
			if err != nil {
				return err
			}
			cfg, err := client.awsConfig(cmd.Context())
			if err != nil {
				return err
			}
			in := &lambda.InvokeInput{FunctionName: aws.String(args[0]), Payload: body}
			if async {
				in.InvocationType = types.InvocationTypeEvent
			}
			if tail {
				in.LogType = types.LogTypeTail
			}
			out, err := lambda.NewFromConfig(cfg).Invoke(cmd.Context(), in)
			if err != nil {
				return err
			}
			if async {
				fmt.Fprintf(cmd.OutOrStdout(), "queued (HTTP %d)\n", out.StatusCode)
				return nil
			}
			if tail && out.LogResult != nil {
				if log, err := base64.StdEncoding.DecodeString(*out.LogResult); err == nil {
					fmt.Fprint(cmd.ErrOrStderr(), string(log))
				}
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(out.Payload))
			if out.FunctionError != nil {
				var e struct{ ErrorType string }
				json.Unmarshal(out.Payload, &e)
				return fmt.Errorf("function error (%s): %s", aws.ToString(out.FunctionError), e.ErrorType)
			}
			return nil
		},
	}
	client.register(cmd)
	cmd.Flags().StringVar(&payload, "payload", "", "event JSON, or @FILE to read it from a file")
	cmd.Flags().BoolVar(&async, "async", false, "invoke asynchronously (InvocationType Event)")
	cmd.Flags().BoolVar(&tail, "tail", false, "print the invocation's log (LogType Tail) to stderr")
	return cmd
}

func readPayload(p string) ([]byte, error) {
	if file, ok := strings.CutPrefix(p, "@"); ok {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading the payload: %w", err)
		}
		return b, nil
	}
	if p == "" {
		return nil, nil
	}
	return []byte(p), nil
}
