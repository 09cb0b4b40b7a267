// Command nimbus is a serverless cloud in one binary: `nimbus up` serves
// the AWS APIs of Lambda and CloudWatch Logs on one port and runs functions
// as local processes; the other subcommands are clients of a running Nimbus.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "nimbus:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "nimbus",
		Short:         "A serverless cloud in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newUpCommand(), newInvokeCommand(), newLogsCommand(), newRuntimesCommand(), newSetupCommand(), newVersionCommand())
	return root
}
