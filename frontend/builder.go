package frontend

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
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
	// A git context names its repository itself.
	if src, rev := gitContextSource(b.bc.BuildOpts().Opts["context"]); src != "" {
		in.Source = cmp.Or(in.Source, src)
		in.Revision = cmp.Or(in.Revision, rev)
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
			return nil, withSource(s.ErrorAt(llb.ImageKey("toolchain", s.Toolchain), err.Error(),
				fixFor(err, "check the toolchain version and the registry")), b.src.SourceMap)
		}
	}
	if in.Runtime, err = b.resolve(ctx, llb.RuntimeBase(s, preset), b.target); err != nil {
		return nil, withSource(s.ErrorAt(llb.ImageKey("runtime.base", s.Runtime.Base), err.Error(),
			fixFor(err, "check runtime.base and the registry")), b.src.SourceMap)
	}
	uid, gid, nerr := llb.NumericUser(s.Runtime.User)
	ids := llb.UserIDs{UID: uid, GID: gid}
	if nerr != nil {
		// A user name (which runtime-user-not-numeric reports): kiln owns
		// files by number, so it looks the name up in the base.
		if in.UserIDs, err = b.userIDs(ctx, llb.RuntimeState(in.Runtime, b.target),
			s.Runtime.User); err != nil {
			return nil, withSource(s.ErrorAt("runtime.user", err.Error(),
				"write the user as numbers, such as \"65532:65532\""), b.src.SourceMap)
		}
		ids = *in.UserIDs
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
	// Evaluate now, so that a failure is explained here; the runtime image
	// is read at once anyway, to verify it.
	res, err := b.c.Solve(ctx, client.SolveRequest{
		Definition:   def.ToPB(),
		CacheImports: b.bc.CacheImports,
		Evaluate:     true,
	})
	if err != nil {
		return nil, b.explain(ctx, err, conv, expanded, s)
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
		vs, err := VerifyRootfs(ctx, ref, s, ids, b.target.Architecture)
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

// explain adds what kiln knows to a failed solve of the runtime image or
// the build stage. When kiln's default build command failed, it says which
// command that was and how to replace it; when the build succeeded but did
// not write a file that runtime.copy takes, the error points at the copy.
// written is the spec as written (expanded), s the one with its preset.
func (b *builder) explain(ctx context.Context, err error, conv *llb.Result,
	written, s *spec.Spec) error {
	if t := b.bc.Target; t != "" && t != llb.StageRuntime && t != llb.StageBuild {
		return err
	}
	build, terr := conv.Target(llb.StageBuild)
	if terr != nil {
		return err // a language without a build stage
	}
	// Go is the only preset with a build stage, so the example is Go's.
	example := fmt.Sprintf("[go build -o %s ./cmd/%s]", path.Join(s.Build.Output, s.Name),
		s.Name)
	ref, berr := b.evaluate(ctx, build)
	if berr != nil {
		defaults := llb.DefaultRun(s)
		if len(s.Build.Run) > 0 || len(defaults) == 0 || !b.solves(ctx, conv, llb.StageDeps) {
			return err // the user's command, or a step before the build failed
		}
		// The error keeps BuildKit's own form, which carries the step and
		// its log; the hint goes beside it as a warning at language.
		opts := client.WarnOpts{}
		if r := pbRange(s.ErrorAt("language", "", "").Range()); r != nil {
			opts.Range = []*pb.Range{r}
		}
		b.src.Warn(ctx, fmt.Sprintf("kiln ran its default build command %q in the source "+
			"folder (source: %s); if the main package is elsewhere, set build.run, such as %s",
			defaults[0], s.Source, example), opts)
		return err
	}
	if b.bc.Target == llb.StageBuild || ref == nil {
		return err
	}
	// What the build did write, to show next to what was expected.
	wrote := "nothing"
	entries, derr := ref.ReadDir(ctx, client.ReadDirRequest{Path: s.Build.Output})
	if derr == nil && len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, path.Join(s.Build.Output, e.Path))
		}
		wrote = strings.Join(names, ", ")
	}
	var errs spec.Errors
	for i, cp := range s.Runtime.Copy {
		if _, serr := ref.StatFile(ctx, client.StatRequest{Path: cp.From}); serr == nil {
			continue
		}
		at := fmt.Sprintf("runtime.copy[%d].from", i)
		msg := fmt.Sprintf("the build step did not write %s (it wrote %s under %s)",
			cp.From, wrote, s.Build.Output)
		fix := "have build.run write it there, or copy the file the build writes"
		if len(written.Runtime.Copy) == 0 { // the preset's copy
			at = "language"
			if len(written.Build.Run) > 0 {
				at = "build.run"
			}
			msg = fmt.Sprintf("the %s preset copies %s to %s, but the build step did not "+
				"write it (it wrote %s under %s)", s.Language, cp.From, cp.To, wrote,
				s.Build.Output)
			fix = fmt.Sprintf("build the app into %s, such as build.run: %s, or set "+
				"runtime.copy to the files your build writes", cp.From, example)
		}
		errs = append(errs, s.ErrorAt(at, msg, fix))
	}
	if len(errs) == 0 {
		return err
	}
	return withSource(errs, b.src.SourceMap)
}

// userIDs looks runtime.user up in the /etc/passwd and /etc/group of the
// runtime base image.
func (b *builder) userIDs(ctx context.Context, base bkllb.State,
	u spec.User) (*llb.UserIDs, error) {
	ref, err := b.evaluate(ctx, base)
	if err != nil {
		return nil, err
	}
	read := func(name string) []byte {
		if ref == nil { // scratch
			return nil
		}
		data, _ := ref.ReadFile(ctx, client.ReadRequest{Filename: name})
		return data // a base without the file knows no names
	}
	uid, gid, err := policy.ResolveUser(read("/etc/passwd"), read("/etc/group"), u)
	if err != nil {
		return nil, err
	}
	return &llb.UserIDs{UID: int(uid), GID: int(gid)}, nil
}

// solves reports whether the stage of conv builds (its steps are cached
// by then when they do).
func (b *builder) solves(ctx context.Context, conv *llb.Result, stage string) bool {
	st, err := conv.Target(stage)
	if err != nil {
		return false
	}
	_, err = b.evaluate(ctx, st)
	return err == nil
}

// evaluate solves st for the target platform now and returns its result,
// nil for an empty file system.
func (b *builder) evaluate(ctx context.Context, st bkllb.State) (client.Reference, error) {
	def, err := st.Marshal(ctx, bkllb.Platform(b.target))
	if err != nil {
		return nil, err
	}
	res, err := b.c.Solve(ctx, client.SolveRequest{Definition: def.ToPB(), Evaluate: true})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
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
