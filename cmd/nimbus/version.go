package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nimbus-dev/nimbus/internal/server"
)

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Nimbus's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "nimbus %s\n", server.Version)
		},
	}
}
