package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nimbus-dev/nimbus/internal/runtime"
)

func newRuntimesCommand() *cobra.Command {
	var interpreterFlags []string
	cmd := &cobra.Command{
		Use:   "runtimes",
		Short: "Show which interpreter runs each Lambda runtime on this machine",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			overrides, err := parseInterpreters(interpreterFlags)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "RUNTIME\tINTERPRETER\tNOTE")
			for _, info := range runtime.DescribeRuntimes(overrides) {
				interp := info.Interpreter
				if interp == "" {
					interp = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", info.Runtime, interp, info.Note)
			}
			return w.Flush()
		},
	}
	addInterpreterFlag(cmd, &interpreterFlags)
	return cmd
}

func addInterpreterFlag(cmd *cobra.Command, flags *[]string) {
	cmd.Flags().StringArrayVar(flags, "interpreter", nil, "run a runtime on this interpreter, RUNTIME=PATH (repeatable), e.g. python3.12=/usr/bin/python3.12")
}

// parseInterpreters reads RUNTIME=PATH flags.
func parseInterpreters(flags []string) (map[string]string, error) {
	overrides := map[string]string{}
	for _, f := range flags {
		rt, path, ok := strings.Cut(f, "=")
		if !ok || rt == "" || path == "" {
			return nil, fmt.Errorf("--interpreter wants RUNTIME=PATH, not %q", f)
		}
		overrides[rt] = path
	}
	return overrides, nil
}
