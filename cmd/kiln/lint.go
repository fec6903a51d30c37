package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/kilnbuild/kiln/llb"
	"github.com/kilnbuild/kiln/policy"
	"github.com/kilnbuild/kiln/policy/report"
	"github.com/kilnbuild/kiln/spec"
)

// exitError ends kiln with a given exit status; msg, when not empty, is
// printed as kiln's last message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// newLintCmd returns "kiln lint", which checks a spec against the
// hardening rules without a BuildKit daemon.
func newLintCmd(stdout, stderr io.Writer) *cobra.Command {
	var file, format string
	cmd := &cobra.Command{
		Use:   "lint [-f kiln.yaml] [--format text|json|sarif] [DIR]",
		Short: "Check kiln.yaml against the hardening rules, without a daemon",
		Long: "Check DIR/kiln.yaml (or the file -f names) against kiln's spec rules and\n" +
			"apply its policy.allow exceptions. A base image counts as pinned when it has\n" +
			"a digest or kiln.lock beside the spec has it. Violations go to stdout as text,\n" +
			"JSON or SARIF 2.1.0; exit status 1 when one counts, 2 when the spec is\n" +
			"invalid. Rules on the built image run during builds. See docs/rules.",
		Example: "  kiln lint\n" +
			"  kiln lint -f examples/go-hello/kiln.yaml\n" +
			"  kiln lint --format sarif > kiln.sarif",
		Args: maxOneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := report.ParseFormat(format)
			if err != nil {
				return &usageError{err: err}
			}
			specPath, lockPath := lockPaths(args, file)
			return runLint(specPath, lockPath, f, stdout, stderr)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "path of the spec (default DIR/kiln.yaml)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or sarif")
	return cmd
}

// runLint checks the spec at specPath and writes the report.
func runLint(specPath, lockPath string, f report.Format, stdout, stderr io.Writer) error {
	// An invalid spec or lock file is reported like a compiler would.
	s, err := readSpec(specPath)
	if err != nil {
		return invalid(stderr, specPath, err)
	}
	pinned, err := lockedRefs(lockPath)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}

	// Check, then sort out the written exceptions.
	vs := policy.CheckSpec(s)
	refs, err := llb.PreparedImages(llb.ApplyPreset(s.WithDefaults()))
	if err != nil {
		return invalid(stderr, specPath, s.ErrorAt("language", err.Error(), ""))
	}
	var images []policy.Image
	for _, r := range refs {
		images = append(images, policy.Image{Key: r.Key, Ref: r.Ref})
	}
	vs = append(vs, policy.CheckPinned(s, images, pinned)...)
	counted, allowed, errs := policy.Apply(s, vs)
	if len(errs) > 0 {
		return invalid(stderr, specPath, errs)
	}
	// policy.mode warn: reported as warnings, and kiln lint passes, as the
	// build would.
	warn := s.Policy.Mode == spec.Warn
	counted = policy.InMode(counted, s.Policy.Mode)
	r := report.Report{File: filepath.ToSlash(filepath.Clean(specPath)), Counted: counted,
		Allowed: allowed, Version: kilnVersionString()}
	if err := report.Write(stdout, f, r); err != nil {
		return err
	}
	if len(counted) > 0 && warn {
		fmt.Fprintf(stderr, "kiln: %s: %s, reported as warnings (policy.mode: warn)\n",
			specPath, plural(len(counted), "violation"))
		return nil
	}
	if len(counted) > 0 {
		return fmt.Errorf("%s: %s of the hardening policy; 'kiln explain RULE' says "+
			"why a rule matters and how to fix it", specPath, plural(len(counted), "violation"))
	}
	return nil
}

// readSpec reads and parses the spec.
func readSpec(path string) (*spec.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return spec.Parse(filepath.ToSlash(filepath.Clean(path)), data)
}

// invalid prints the problems of an invalid spec, one per line, and
// returns the error that ends kiln with status 2.
func invalid(stderr io.Writer, path string, err error) error {
	es := spec.AsErrors(err)
	if es == nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	for _, e := range es {
		fmt.Fprintln(stderr, e.Error())
	}
	return &exitError{code: 2, msg: fmt.Sprintf("%s is not a valid spec (%s)", path,
		plural(len(es), "error"))}
}

// lockedRefs returns whether kiln.lock at path pins a reference; without
// a lock file only digests in the reference count.
func lockedRefs(path string) (func(string) bool, error) {
	lf, err := readLockFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return lf.Has, nil
}

// kilnVersionString returns kiln's version for reports.
func kilnVersionString() string {
	info, _ := debug.ReadBuildInfo()
	return kilnVersion(info)
}

// plural returns "1 rule" or "3 rules".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
