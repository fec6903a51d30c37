package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/llb"
	"github.com/kilnbuild/kiln/lock"
	"github.com/kilnbuild/kiln/policy"
	"github.com/kilnbuild/kiln/spec"
)

// builder converts and solves the spec for one target platform.
type builder struct {
	c       client.Client
	bc      *dockerui.Client
	src     *dockerui.Source
	build   ocispecs.Platform
	target  ocispecs.Platform
	epoch   *time.Time
	lock    *lock.File
	cacheNS string
	// specViolations are the spec rule violations; every platform's image
	// records the allowed ones, and the platform with reportSpec set
	// reports the others with its rootfs violations.
	specViolations []policy.Violation
	reportSpec     bool
	// label prefixes this platform's messages in a multi-platform build.
	label string
	// scans collects the runtime images to scan for an SBOM, if asked.
	scans *sbomScans
	// annotate records the manifest annotations of this platform's image.
	annotate func(p ocispecs.Platform, kv map[string]string)
}

// run expands the spec for the platform, resolves its base images, converts
// it and solves the requested stage.
func (b *builder) run(ctx context.Context, parsed *spec.Spec, userArgs map[string]string,
	mainContext bkllb.State) (*dockerui.BuildResult, error) {
	// Expand ${VAR} with the user's args and the platform's standard args.
	args := llb.StandardArgs(b.build, b.target)
	maps.Copy(args, userArgs)
	expanded, err := parsed.Expand(args)
	if err != nil {
		return nil, withSource(err, b.src.SourceMap)
	}
	s := llb.ApplyPreset(expanded.WithDefaults())
	preset, err := llb.PresetFor(s.Language)
	if err != nil {
		return nil, withSource(s.ErrorAt("language", err.Error(), ""), b.src.SourceMap)
	}
	// The build steps get the platform args and the declared args as
	// environment variables, for the shell to expand in build.run.
	effective := spec.Vars(llb.StandardArgs(b.build, b.target))
	for k, v := range s.Args {
		effective[k] = v
		if u, ok := userArgs[k]; ok {
			effective[k] = u
		}
	}

	// Resolve every base image to a digest, once per build.
	in := llb.Input{
		Spec:           s,
		Args:           effective,
		Context:        mainContext,
		BuildPlatform:  b.build,
		TargetPlatform: b.target,
		SourceMap:      b.src.SourceMap,
		Epoch:          b.epoch,
		CacheNamespace: b.cacheNS,
		// buildx sends the git remote and commit of a local context.
		Source:   b.bc.BuildOpts().Opts["vcs:source"],
		Revision: b.bc.BuildOpts().Opts["vcs:revision"],
	}
	if b.epoch != nil {
		effective["SOURCE_DATE_EPOCH"] = strconv.FormatInt(b.epoch.Unix(), 10)
	}
	if ref := llb.ToolchainRef(s, preset); ref != "" {
		p := b.build
		if s.Build.Env["CGO_ENABLED"] == "1" {
			p = b.target
		}
		if in.Toolchain, err = b.resolve(ctx, ref, p); err != nil {
			return nil, withSource(s.ErrorAt("toolchain", err.Error(),
				fixFor(err, "check the toolchain version and the registry")), b.src.SourceMap)
		}
	}
	if in.Runtime, err = b.resolve(ctx, llb.RuntimeBase(s, preset), b.target); err != nil {
		return nil, withSource(s.ErrorAt("runtime.base", err.Error(),
			fixFor(err, "check runtime.base and the registry")), b.src.SourceMap)
	}

	// Convert and solve the target stage.
	conv, err := llb.Convert(in)
	if err != nil {
		return nil, withSource(s.ErrorAt("", err.Error(), ""), b.src.SourceMap)
	}
	st, err := conv.Target(b.bc.Target)
	if err != nil {
		return nil, err
	}
	def, err := st.Marshal(ctx, bkllb.Platform(b.target))
	if err != nil {
		return nil, fmt.Errorf("marshalling the build graph: %w", err)
	}
	res, err := b.c.Solve(ctx, client.SolveRequest{
		Definition:   def.ToPB(),
		CacheImports: b.bc.CacheImports,
	})
	if err != nil {
		return nil, err
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	img := conv.Image
	if t := b.bc.Target; t != "" && t != llb.StageRuntime {
		img = in.Toolchain.Config
	} else {
		// Verify the runtime image before it is returned.
		vs, err := VerifyRootfs(ctx, ref, s, b.target.Architecture)
		if err != nil {
			return nil, withSource(err, b.src.SourceMap)
		}
		report := vs
		if b.reportSpec {
			report = append(slices.Clone(b.specViolations), vs...)
		}
		allowed, err := enforce(ctx, b.src, s, b.label, report)
		if err != nil {
			return nil, err
		}
		if !b.reportSpec {
			_, specAllowed, _ := policy.Apply(s, b.specViolations)
			allowed = append(specAllowed, allowed...)
		}
		withAllowed(img.Config.Labels, allowed)
		b.scans.add(b.target, st)
	}
	if b.bc.Target == "" || b.bc.Target == llb.StageRuntime {
		b.annotate(b.target, map[string]string{
			llb.LabelBaseName:   img.Config.Labels[llb.LabelBaseName],
			llb.LabelBaseDigest: img.Config.Labels[llb.LabelBaseDigest],
		})
	}
	base := in.Runtime.Config
	// The exporter gets an epoch in every build: SOURCE_DATE_EPOCH, or else
	// the time kiln stamped (the runtime base's), never the clock.
	epoch := b.epoch
	if epoch == nil {
		epoch = conv.Image.Created
	}
	return &dockerui.BuildResult{Reference: ref, Image: &img, BaseImage: &base,
		Epoch: epoch}, nil
}

// fixFor says how to fix an image resolution error.
func fixFor(err error, otherwise string) string {
	if errors.Is(err, lock.ErrMissing) {
		return "then commit kiln.lock"
	}
	return otherwise
}

// resolve pins ref to a digest for platform p. A --build-context named
// after the reference (as written by kiln or in its short form) replaces
// the registry image.
func (b *builder) resolve(ctx context.Context, ref string,
	p ocispecs.Platform) (llb.Image, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return llb.Image{}, fmt.Errorf("image reference %q is not valid: %w", ref, err)
	}
	ref = reference.TagNameOnly(named).String()

	for _, name := range []string{reference.FamiliarString(named), ref} {
		var dgst digest.Digest
		nc, err := b.bc.NamedContext(name, dockerui.ContextOpt{Platform: &p,
			CaptureDigest: &dgst})
		if err != nil {
			return llb.Image{}, err
		}
		if nc == nil {
			continue
		}
		st, cfg, err := nc.Load(ctx)
		if err != nil {
			return llb.Image{}, err
		}
		img := llb.Image{Ref: ref, State: st, Digest: dgst}
		if cfg != nil {
			img.Config = *cfg
		}
		return img, nil
	}

	// Pin by kiln.lock when there is one and the reference has no digest.
	resolveRef := ref
	if _, canonical := named.(reference.Canonical); !canonical && b.lock != nil {
		d, err := b.lock.Lookup(ref, p)
		if err != nil {
			return llb.Image{}, err
		}
		resolveRef = ref + "@" + d.String()
	}
	_, dgst, dt, err := b.c.ResolveImageConfig(ctx, resolveRef, sourceresolver.Opt{
		LogName: "[kiln] resolve " + ref + " for " + platforms.Format(p),
		ImageOpt: &sourceresolver.ResolveImageOpt{
			Platform:    &p,
			ResolveMode: b.bc.ImageResolveMode.String(),
		},
	})
	if err != nil {
		return llb.Image{}, fmt.Errorf("resolving %s for %s: %w", ref, platforms.Format(p), err)
	}
	img := llb.Image{Ref: ref, Digest: dgst}
	if err := json.Unmarshal(dt, &img.Config); err != nil {
		return llb.Image{}, fmt.Errorf("reading the config of %s: %w", ref, err)
	}
	return img, nil
}
