package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/spf13/cobra"
)

func newLogsCommand() *cobra.Command {
	var (
		client clientFlags
		follow bool
		since  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "logs FUNCTION",
		Short: "Print a function's log events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := client.awsConfig(cmd.Context())
			if err != nil {
				return err
			}
			cw := cloudwatchlogs.NewFromConfig(cfg)
			group := "/aws/lambda/" + args[0]
			if strings.HasPrefix(args[0], "/") {
				group = args[0]
			}
			start := time.Now().Add(-since).UnixMilli()
			seen := map[string]bool{}
			for {
				var token *string
				for {
					out, err := cw.FilterLogEvents(cmd.Context(), &cloudwatchlogs.FilterLogEventsInput{
						LogGroupName: aws.String(group), StartTime: aws.Int64(start), NextToken: token,
					})
					if err != nil {
						if follow && cmd.Context().Err() != nil {
							return nil // interrupted while following
						}
						return err
					}
					for _, e := range out.Events {
						id := aws.ToString(e.EventId)
						if seen[id] {
							continue
						}
						seen[id] = true
						ts := time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC().Format(time.RFC3339Nano)
						fmt.Fprintf(cmd.OutOrStdout(), "%s %s %s\n", ts, aws.ToString(e.LogStreamName), strings.TrimRight(aws.ToString(e.Message), "\n"))
						start = max(start, aws.ToInt64(e.Timestamp))
					}
					if out.NextToken == nil {
						break
					}
					token = out.NextToken
				}
				if !follow {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(time.Second):
				}
			}
		},
	}
	client.register(cmd)
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new events")
	cmd.Flags().DurationVar(&since, "since", 10*time.Minute, "print events from this long ago")
	return cmd
}
