// Command kiln runs kiln's BuildKit frontend in-process against a BuildKit
// daemon and prints the JSON schema of kiln.yaml.
//
//	kiln build [flags] [DIR]   build DIR/kiln.yaml into an image
//	kiln schema                print the JSON schema of kiln.yaml
//	kiln version               print the kiln and BuildKit versions
//
// Exit codes: 0 on success, 1 when the build or a command fails, 2 when the
// command line is wrong. See docs/cli.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/moby/buildkit/solver/errdefs"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
)

func main() {
	// The BuildKit and containerd client libraries log through logrus; their
	// warnings (such as a file system without fs-verity under an OCI
	// export) are noise next to the progress display.
	logrus.SetLevel(logrus.ErrorLevel)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(stderr, "kiln: %s\n", ee.msg)
		}
		return ee.code
	}
	printError(stderr, err)
	var ue *usageError
	if errors.As(err, &ue) {
		path := "kiln"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", path)
		return 2
	}
	return 1
}

// newRootCmd returns the kiln command with its subcommands, writing normal
// output to stdout and progress and messages to stderr.
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "kiln",
		Short: "Build hardened container images from kiln.yaml with BuildKit",
		Long: "kiln builds a hardened application image from a short kiln.yaml spec.\n" +
			"It runs kiln's BuildKit frontend in-process against the daemon that\n" +
			"BUILDKIT_HOST names. See docs/cli.md.",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				cmd.SuggestionsMinimumDistance = 2
				if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
					return usageErrorf("unknown command %q for kiln; did you mean %q?",
						args[0], sug[0])
				}
				return usageErrorf("unknown command %q for kiln", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{err: err}
	})
	root.AddCommand(newBuildCmd(stdout, stderr), newSchemaCmd(stdout),
		newVersionCmd(stdout), newLockCmd(stdout, stderr))
	root.AddCommand(newLintCmd(stdout, stderr), newRulesCmd(stdout), newExplainCmd(stdout))
	return root
}

// usageError is a mistake on the command line; kiln exits with status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// printError writes err to w. When the error points into kiln.yaml,
// BuildKit's source excerpt (the offending lines) comes first.
func printError(w io.Writer, err error) {
	for _, src := range errdefs.Sources(err) {
		_ = src.Print(w)
	}
	fmt.Fprintf(w, "kiln: %s\n", cleanMessage(err))
}

// cleanMessage drops the plumbing prefixes that the BuildKit client adds
// in front of the frontend's own message.
func cleanMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{"failed to run Build function: ", "failed to solve: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}
