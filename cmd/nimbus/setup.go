package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nimbus-dev/nimbus/internal/nodesdk"
)

func newSetupCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Install what functions use on Lambda without bundling it",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "node-sdk",
		Short: "Install the AWS SDK for JavaScript v3 for Node.js functions (npm, into the cache directory)",
		Long: "Installs the SDK v3 clients of the services Nimbus serves into $NIMBUS_CACHE_DIR/node-sdk\n" +
			"(default ~/.cache/nimbus/node-sdk), where every Nimbus server finds it: Node.js handlers then\n" +
			"import or require @aws-sdk/client-* without bundling it, as on Lambda. A function that bundles\n" +
			"its own SDK keeps using its own.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := nodesdk.Install(cmd.Context(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "AWS SDK for JavaScript v3 installed in %s\n", dir)
			return nil
		},
	})
	return cmd
}
