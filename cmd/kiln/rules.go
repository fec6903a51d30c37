package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/containerd/platforms"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/spf13/cobra"

	ruledocs "github.com/kilnbuild/kiln/docs/rules"
	"github.com/kilnbuild/kiln/llb"
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

// newExplainCmd returns "kiln explain", which prints a rule's page, or the
// cache mounts of a spec.
func newExplainCmd(stdout io.Writer) *cobra.Command {
	var file, namespace string
	cmd := &cobra.Command{
		Use:   "explain [RULE | caches]",
		Short: "Print the page of a hardening rule, or the caches of a spec",
		Long: "Print the page of RULE from docs/rules: why it matters, how to fix a\n" +
			"violation, what kiln checks exactly, and how to allow it. Without RULE,\n" +
			"print the index of the rules. 'kiln explain caches' lists the cache\n" +
			"mounts a build of the spec uses on this machine's platform, with their\n" +
			"ids (docs/caches.md).",
		Example: "  kiln explain runtime-user-root\n  kiln explain caches -f app/kiln.yaml",
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
			if args[0] == "caches" {
				return explainCaches(stdout, file, namespace)
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
	cmd.Flags().StringVarP(&file, "file", "f", defaultSpecName,
		"with caches: the spec to read")
	cmd.Flags().StringVar(&namespace, "namespace", "",
		"with caches: the cache namespace, as --build-arg KILN_CACHE_NS gives it")
	return cmd
}

// explainCaches prints the cache mounts of the spec at file.
func explainCaches(stdout io.Writer, file, namespace string) error {
	s, err := readSpec(file)
	if err != nil {
		return err
	}
	p := platforms.DefaultSpec()
	expanded, err := s.Expand(llb.StandardArgs(p, p))
	if err != nil {
		return err
	}
	mounts := llb.CacheMounts(llb.ApplyPreset(expanded.WithDefaults()), p, namespace)
	if len(mounts) == 0 {
		_, err := fmt.Fprintf(stdout, "%s mounts no caches\n", file)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTARGET\tID\tSHARING\tOWNER")
	for _, m := range mounts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d:%d\n", m.Step, m.Target, m.ID,
			sharingName(m.Sharing), m.UID, m.UID)
	}
	return tw.Flush()
}

// sharingName names a cache sharing mode as docs/caches.md does.
func sharingName(m bkllb.CacheMountSharingMode) string {
	switch m {
	case bkllb.CacheMountShared:
		return "shared"
	case bkllb.CacheMountPrivate:
		return "private"
	case bkllb.CacheMountLocked:
		return "locked"
	}
	return fmt.Sprint(int(m))
}
