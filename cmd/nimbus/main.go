// Command nimbus is a serverless cloud in one binary: `nimbus up` serves
// the AWS APIs of Lambda, SQS, DynamoDB (with Streams) and CloudWatch Logs on
// one port and runs functions as local processes; the other subcommands are clients of a running Nimbus.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/nimbus-dev/nimbus/internal/version"
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
		// --version prints what `nimbus version` prints.
		Version: version.Get().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newUpCommand(), newInvokeCommand(), newLogsCommand(), newRuntimesCommand(), newSetupCommand(), newVersionCommand())
	return root
}
