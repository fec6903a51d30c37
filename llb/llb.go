// Package llb converts a kiln spec into BuildKit LLB: one named state per
// stage (toolchain, deps, build, runtime) and the OCI image config of the
// runtime image.
//
// The conversion is a pure function of the spec, the resolved base images
// and the platforms: it reads no clock, no environment and no network, and
// iterates maps in sorted order, so the same input marshals to the same
// bytes and BuildKit's cache keys stay stable.
package llb

import (
	"fmt"
	"strings"
	"time"

	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/spec"
)

// Stage names, in build order. They are also the valid --target values.
const (
	StageToolchain = "toolchain"
	StageDeps      = "deps"
	StageBuild     = "build"
	StageRuntime   = "runtime"
)

// Image is a base image resolved to a digest.
type Image struct {
	// Ref is the reference as kiln asked for it, normalized, such as
	// docker.io/library/golang:1.26-trixie.
	Ref string
	// Digest is the digest Ref resolved to (an index or manifest digest).
	Digest digest.Digest
	// Config is the image config for the platform the stage runs on.
	Config dockerspec.DockerOCIImage
	// State, when set, replaces the registry image: a --build-context
	// named after the reference supplies it.
	State *bkllb.State
}

// Pinned returns the reference that names the image by digest, keeping the
// tag for readers: name:tag@sha256:....
func (i Image) Pinned() string {
	if i.Digest == "" {
		return i.Ref
	}
	named, err := reference.ParseNormalizedNamed(i.Ref)
	if err != nil {
		return i.Ref + "@" + i.Digest.String()
	}
	if c, ok := named.(reference.Canonical); ok {
		return c.String()
	}
	if d, err := reference.WithDigest(named, i.Digest); err == nil {
		return d.String()
	}
	return i.Ref + "@" + i.Digest.String()
}

// Input is everything the conversion reads.
type Input struct {
	// Spec is the parsed spec, expanded and with defaults applied.
	Spec *spec.Spec
	// Args holds the value of every declared build arg, after --build-arg;
	// the build steps get them as environment variables. Nil means the
	// defaults declared in the spec.
	Args spec.Vars
	// Context is the build context (already filtered by .dockerignore).
	Context bkllb.State
	// Toolchain is the resolved builder image; unused for language static.
	Toolchain Image
	// Runtime is the resolved runtime base image.
	Runtime Image
	// BuildPlatform is the platform of the worker that runs the build step.
	BuildPlatform ocispecs.Platform
	// TargetPlatform is the platform of the runtime image.
	TargetPlatform ocispecs.Platform
	// SourceMap, when set, ties each vertex to its place in kiln.yaml so
	// build errors show the offending line.
	SourceMap *bkllb.SourceMap
	// Source and Revision fill the org.opencontainers.image.source and
	// .revision labels when known (from a git context).
	Source, Revision string
	// Epoch, when set, is written as the image's created time.
	Epoch *time.Time
	// CacheNamespace, when set, prefixes every cache id, so that tenants
	// of a shared builder do not share caches.
	CacheNamespace string
	// UserIDs are the numbers of runtime.user when it names a user of the
	// runtime base rather than numbers, read from the base's /etc/passwd
	// and /etc/group by the caller; kiln owns files by number.
	UserIDs *UserIDs
}

// UserIDs are a user's uid and gid.
type UserIDs struct {
	// UID is the user id.
	UID int
	// GID is the primary group id.
	GID int
}

// Stage is one named stage of the build.
type Stage struct {
	// Name is the stage name, one of the Stage* constants.
	Name string
	// State is the stage's root filesystem.
	State bkllb.State
}

// Result is the converted build.
type Result struct {
	// Stages lists the stages in build order; the last is the runtime image.
	Stages []Stage
	// Image is the runtime image config.
	Image dockerspec.DockerOCIImage
}

// Target returns the state of the named stage, or the runtime image for "".
func (r *Result) Target(name string) (bkllb.State, error) {
	if name == "" {
		return r.Stages[len(r.Stages)-1].State, nil
	}
	names := make([]string, 0, len(r.Stages))
	for _, s := range r.Stages {
		if s.Name == name {
			return s.State, nil
		}
		names = append(names, s.Name)
	}
	return bkllb.State{}, fmt.Errorf("target %q does not exist; this spec has the targets %s",
		name, strings.Join(names, ", "))
}

// Targets lists the stage names a spec converts to, in build order.
func Targets(s *spec.Spec) []string {
	if s.Language == spec.Static {
		return []string{StageRuntime}
	}
	return []string{StageToolchain, StageDeps, StageBuild, StageRuntime}
}

// Convert turns in into LLB states and the runtime image config.
func Convert(in Input) (*Result, error) {
	p, err := PresetFor(in.Spec.Language)
	if err != nil {
		return nil, err
	}
	c := &converter{in: in, preset: p}
	switch in.Spec.Language {
	case spec.Go:
		return c.goStages()
	case spec.Static:
		return c.staticStages()
	}
	return nil, fmt.Errorf("language %q is not supported", in.Spec.Language)
}

// converter carries the input through the per-language conversions.
type converter struct {
	in     Input
	preset *Preset
}

// step names the vertices of one stage "[kiln STAGE n/m] TEXT".
type step struct {
	stage    string
	n, total int
}

func (s *step) next(text string) bkllb.ConstraintsOpt {
	s.n++
	return bkllb.WithCustomNamef("[kiln %s %d/%d] %s", s.stage, s.n, s.total, text)
}

// at ties a vertex to the range of the spec value at path, when known.
func (c *converter) at(path string) bkllb.ConstraintsOpt {
	r := c.in.Spec.Pos(path)
	if c.in.SourceMap == nil || r.IsZero() {
		return bkllb.WithDescription(nil) // no position: adds nothing
	}
	return c.in.SourceMap.Location([]*pb.Range{{
		Start: &pb.Position{Line: int32(r.Line), Character: int32(r.Column - 1)},
		End:   &pb.Position{Line: int32(r.EndLine), Character: int32(r.EndColumn - 1)},
	}})
}

// platformOpt pins a source or exec to a platform.
func platformOpt(p ocispecs.Platform) bkllb.ConstraintsOpt {
	return bkllb.Platform(p)
}

// image returns the state of a resolved base image with its config's
// environment and working directory applied.
// RuntimeState returns the state of img as the runtime stage starts from
// it on platform p, for a frontend that reads files of the runtime base.
func RuntimeState(img Image, p ocispecs.Platform) bkllb.State {
	return image(img, p, "[kiln runtime] "+img.Ref)
}

func image(img Image, p ocispecs.Platform, name string) bkllb.State {
	var st bkllb.State
	if img.State != nil {
		st = *img.State
	} else {
		st = bkllb.Image(img.Pinned(), platformOpt(p), bkllb.WithCustomName(name))
	}
	for _, kv := range img.Config.Config.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			st = st.AddEnv(k, v)
		}
	}
	if wd := img.Config.Config.WorkingDir; wd != "" {
		st = st.Dir(wd)
	}
	return st.Platform(p)
}
