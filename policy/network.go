package policy

import (
	"fmt"

	"github.com/kilnbuild/kiln/spec"
)

// Network modes of the build step, as BuildKit names them.
const (
	// NetworkNone is the offline build step kiln always asks for.
	NetworkNone = "none"
	// NetworkSandbox is BuildKit's default: the container has network.
	NetworkSandbox = "sandbox"
	// NetworkHost shares the host's network.
	NetworkHost = "host"
)

// CheckBuildNetwork applies build-network. kiln.yaml has no key that asks
// for network in the build step, so the rule reads what the frontend is
// about to do instead: mode is the network mode the build step will run
// with ("none", "sandbox", "host"), and source names what asked for it,
// such as "--network=host", for the message. An empty mode means the
// frontend does not know, and nothing is reported: the rule never guesses.
//
// The violation points at the build key of s (or the top of the file).
func CheckBuildNetwork(s *spec.Spec, mode, source string) []Violation {
	if mode == "" || mode == NetworkNone {
		return nil
	}
	asked := ""
	if source != "" {
		asked = " (asked for by " + source + ")"
	}
	msg := fmt.Sprintf("the build step would run with network mode %q%s, but it must "+
		"run offline; fetch dependencies in the dependency step from the manifests "+
		"and lock files, and drop the request for network", mode, asked)
	return []Violation{specViolation(s, BuildNetwork, "build", msg)}
}
