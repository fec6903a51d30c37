package llb

import (
	"fmt"
	"path"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/spec"
)

// Facts kiln relies on for every preset. The runtime user of the build step
// and the owner of every cache mount is the distroless nonroot user, so that
// no step after the system packages runs as root.
const (
	// BuildUID is the uid (and gid) the dependency and build steps run as.
	BuildUID = 65532
	// BuildHome is the writable home folder of the build user.
	BuildHome = "/home/kiln"
	// SourceDir is where the application folder is mounted in the build.
	SourceDir = "/src"
	// DistrolessRepo is the registry path of the distroless images.
	DistrolessRepo = "gcr.io/distroless/"
	// DebianSuffix names the Debian release every base image follows, so
	// the C library of builder and runtime match.
	DebianSuffix = "debian13"
)

// Preset holds what kiln knows about one language.
type Preset struct {
	// Language is the spec language this preset serves.
	Language spec.Language
	// DefaultToolchain is the toolchain version used when the spec names none.
	DefaultToolchain string
	// ToolchainImage returns the builder image reference for a version.
	ToolchainImage func(version string) string
	// DefaultBase is the distroless flavour of the runtime image.
	DefaultBase string
}

var goPreset = Preset{
	Language:         spec.Go,
	DefaultToolchain: "1.26",
	ToolchainImage: func(v string) string {
		return "docker.io/library/golang:" + v + "-trixie"
	},
	DefaultBase: "static",
}

var staticPreset = Preset{Language: spec.Static, DefaultBase: "static"}

// PresetFor returns the preset of a language, or an error naming the
// languages this version of kiln can build.
func PresetFor(l spec.Language) (*Preset, error) {
	switch l {
	case spec.Go:
		return &goPreset, nil
	case spec.Static:
		return &staticPreset, nil
	}
	return nil, fmt.Errorf("language %q has no preset in this version of kiln yet; "+
		"use go or static", l)
}

// RuntimeBase returns the full reference of the runtime base image the spec
// asks for: a distroless short name (static, base, cc) becomes
// gcr.io/distroless/<name>-debian13:nonroot; anything else is a reference.
func RuntimeBase(s *spec.Spec, p *Preset) string {
	base := s.Runtime.Base
	if base == "" {
		base = p.DefaultBase
		if s.Language == spec.Go && cgoEnabled(s) {
			base = "base"
		}
	}
	switch base {
	case "static", "base", "cc":
		return DistrolessRepo + base + "-" + DebianSuffix + ":nonroot"
	}
	return base
}

// ToolchainRef returns the builder image reference, or "" for a language
// that builds nothing.
func ToolchainRef(s *spec.Spec, p *Preset) string {
	if p.ToolchainImage == nil {
		return ""
	}
	v := s.Toolchain
	if v == "" {
		v = p.DefaultToolchain
	}
	return p.ToolchainImage(v)
}

// cgoEnabled reports whether the spec turns cgo on through build.env.
func cgoEnabled(s *spec.Spec) bool {
	return strings.TrimSpace(s.Build.Env["CGO_ENABLED"]) == "1"
}

// ApplyPreset returns a copy of s with the language's defaults filled in:
// for Go, the artifact /out/NAME is copied to /app/NAME and is the
// entrypoint. s itself is not changed; preset-independent defaults come
// from spec.WithDefaults.
func ApplyPreset(s *spec.Spec) *spec.Spec {
	out := *s
	if out.Build.Output == "" {
		out.Build.Output = "/out"
	}
	if out.Runtime.Workdir == "" {
		out.Runtime.Workdir = "/app"
	}
	if out.Runtime.User == "" {
		out.Runtime.User = spec.DefaultUser
	}
	if s.Language == spec.Go && len(s.Runtime.Copy) == 0 {
		bin := path.Join("/app", s.Name)
		out.Runtime.Copy = []spec.Copy{{From: path.Join(out.Build.Output, s.Name), To: bin}}
		if len(s.Runtime.Entrypoint) == 0 {
			out.Runtime.Entrypoint = []string{bin}
		}
	}
	return &out
}

// StandardArgs returns the platform build args (BUILDPLATFORM, TARGETOS,
// ...) for a build on build for target.
func StandardArgs(build, target ocispecs.Platform) map[string]string {
	return map[string]string{
		"BUILDPLATFORM":  platforms.Format(build),
		"BUILDOS":        build.OS,
		"BUILDARCH":      build.Architecture,
		"BUILDVARIANT":   build.Variant,
		"TARGETPLATFORM": platforms.Format(target),
		"TARGETOS":       target.OS,
		"TARGETARCH":     target.Architecture,
		"TARGETVARIANT":  target.Variant,
	}
}

// ImageRef is a base image a build pulls, with the spec key that chose it.
type ImageRef struct {
	// Key is the spec key path that chose the image: "toolchain" or
	// "runtime.base", or "language" when the preset picked it.
	Key string
	// Ref is the image reference, such as docker.io/library/golang:1.26-trixie.
	Ref string
}

// Images lists the images a build of s pulls on platform p (building for
// p on p), with the declared args at their defaults.
func Images(s *spec.Spec, p ocispecs.Platform) ([]ImageRef, error) {
	expanded, err := s.Expand(StandardArgs(p, p))
	if err != nil {
		return nil, err
	}
	return PreparedImages(ApplyPreset(expanded.WithDefaults()))
}

// PreparedImages lists the images of a spec that already has its defaults
// and preset applied.
func PreparedImages(s *spec.Spec) ([]ImageRef, error) {
	preset, err := PresetFor(s.Language)
	if err != nil {
		return nil, err
	}
	var refs []ImageRef
	if ref := ToolchainRef(s, preset); ref != "" {
		refs = append(refs, ImageRef{Key: ImageKey("toolchain", s.Toolchain), Ref: ref})
	}
	return append(refs, ImageRef{Key: ImageKey("runtime.base", s.Runtime.Base),
		Ref: RuntimeBase(s, preset)}), nil
}

// ImageKey is the spec key that chose an image: key when the spec sets it
// (value), and else language, whose preset picked the image.
func ImageKey(key, value string) string {
	if value == "" {
		return "language"
	}
	return key
}
