package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	ruledocs "github.com/kilnbuild/kiln/docs/rules"
	"github.com/kilnbuild/kiln/policy"
)

// newRulesCmd returns "kiln rules", which lists the hardening rules.
func newRulesCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "List the hardening rules",
		Long: "List every hardening rule with its severity, scope (spec: checked before\n" +
			"the build and by kiln lint; rootfs and artifact: checked on the built image)\n" +
			"and title. 'kiln explain RULE' prints a rule's page.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RULE\tSEVERITY\tSCOPE\tTITLE")
			for _, r := range policy.Rules() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Scope, r.Title)
			}
			return tw.Flush()
		},
	}
}

// newExplainCmd returns "kiln explain", which prints a rule's page.
func newExplainCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "explain [RULE]",
		Short: "Print the page of a hardening rule",
		Long: "Print the page of RULE from docs/rules: why it matters, how to fix a\n" +
			"violation, what kiln checks exactly, and how to allow it. Without RULE,\n" +
			"print the index of the rules.",
		Example: "  kiln explain runtime-user-root",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("kiln explain takes one rule, got %q", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				_, err := io.WriteString(stdout, ruledocs.Index())
				return err
			}
			page, ok := ruledocs.Page(args[0])
			if !ok {
				fix := "run 'kiln rules' for the list"
				if s := policy.Suggest(args[0]); s != "" {
					fix = fmt.Sprintf("did you mean %q?", s)
				}
				return usageErrorf("unknown rule %q; %s", args[0], fix)
			}
			_, err := io.WriteString(stdout, page)
			return err
		},
	}
}
