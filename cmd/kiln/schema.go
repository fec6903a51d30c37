package main

import (
	"bytes"
	"io"

	"github.com/spf13/cobra"

	"github.com/kilnbuild/kiln/spec"
)

// newSchemaCmd returns "kiln schema", which prints the JSON schema of
// kiln.yaml for editors and CI checks.
func newSchemaCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON schema of kiln.yaml",
		Long: "Print the JSON schema (draft 2020-12) of kiln.yaml. Editors that read a\n" +
			"'# yaml-language-server: $schema=...' comment use it to check and complete specs.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := spec.Schema()
			if !bytes.HasSuffix(out, []byte("\n")) {
				out = append(out, '\n')
			}
			_, err := stdout.Write(out)
			return err
		},
	}
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
