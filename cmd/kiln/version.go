package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is kiln's version. Release builds set it with
// -ldflags "-X main.version=v1.2.3"; when empty, the module version and
// VCS revision recorded in the binary are used.
var version string

// buildkitModule is the module whose version "kiln version" reports.
const buildkitModule = "github.com/moby/buildkit"

// newVersionCmd returns "kiln version".
func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the kiln version and the BuildKit version it was built with",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprintf(stdout, "kiln %s\nbuildkit %s\n%s %s/%s\n",
				kilnVersion(info), moduleVersion(info, buildkitModule),
				runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

// kilnVersion returns the link-time version, else the main module version
// from the build info, with the VCS revision when the go command recorded
// one (builds from a checkout).
func kilnVersion(info *debug.BuildInfo) string {
	if version != "" {
		return version
	}
	if info == nil {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if v == "(devel)" && rev != "" {
		v += " (" + rev[:min(12, len(rev))] + modified + ")"
	}
	return v
}

// moduleVersion returns the version of module path in the build info.
func moduleVersion(info *debug.BuildInfo, path string) string {
	if info == nil {
		return "unknown"
	}
	for _, d := range info.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version + " (replaces " + d.Version + ")"
			}
			return d.Version
		}
	}
	return "unknown"
}
