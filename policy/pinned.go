package policy

import (
	"fmt"
	"strings"

	"github.com/kilnbuild/kiln/spec"
)

// Image is a base image a build pulls, with the spec key that chose it:
// "toolchain" or "runtime.base", even when the preset chose the image.
type Image struct {
	// Key is the spec key path the violation points at.
	Key string
	// Ref is the image reference.
	Ref string
}

// CheckPinned applies base-unpinned to every image a build pulls, the
// preset's defaults included: an image counts as pinned when its reference
// carries a digest or pinned says so (kiln.lock records it, or a build
// context replaces it). kiln resolves every image to a digest for the
// build itself; the rule asks that the digest be written down, so that
// tomorrow's build uses the same one.
func CheckPinned(s *spec.Spec, images []Image, pinned func(ref string) bool) []Violation {
	var vs []Violation
	for _, img := range images {
		if strings.Contains(img.Ref, "@sha256:") || !literal(img.Ref) ||
			(pinned != nil && pinned(img.Ref)) {
			continue
		}
		vs = append(vs, specViolation(s, BaseUnpinned, img.Key, fmt.Sprintf(
			"%s is not pinned by digest and kiln.lock does not record it; run "+
				"'kiln lock' beside kiln.yaml and commit kiln.lock, or append "+
				"@sha256:<digest> to the reference", img.Ref)))
	}
	Sort(vs)
	return vs
}
