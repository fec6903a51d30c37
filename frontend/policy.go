package frontend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/distribution/reference"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"

	"golang.org/x/sync/errgroup"

	"github.com/kilnbuild/kiln/llb"
	"github.com/kilnbuild/kiln/lock"
	"github.com/kilnbuild/kiln/policy"
	"github.com/kilnbuild/kiln/spec"
)

// specViolations applies the spec rules to the spec with its defaults,
// and base-unpinned to every image the build pulls: an image is pinned by
// an inline digest, by kiln.lock, or by a --build-context that replaces it.
// The build step always runs offline (llb sets network none), whatever
// --network says, so build-network is checked against that.
func specViolations(s *spec.Spec, lk *lock.File, opts map[string]string) []policy.Violation {
	vs := policy.CheckSpec(s)
	if refs, err := llb.PreparedImages(s); err == nil {
		var images []policy.Image
		for _, r := range refs {
			images = append(images, policy.Image{Key: r.Key, Ref: r.Ref})
		}
		pinned := func(ref string) bool { return lk.Has(ref) || replaced(ref, opts) }
		vs = append(vs, policy.CheckPinned(s, images, pinned)...)
	}
	return append(vs, policy.CheckBuildNetwork(s, policy.NetworkNone, "")...)
}

// replaced reports whether a --build-context replaces the image ref.
func replaced(ref string, opts map[string]string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	for _, name := range []string{reference.FamiliarString(named),
		reference.TagNameOnly(named).String()} {
		if _, ok := opts["context:"+name]; ok {
			return true
		}
	}
	return false
}

// lintResults answers `--check` (the lint subrequest) with the spec rules,
// in the shape BuildKit's Dockerfile checks use, so buildx prints them
// with the offending YAML lines and fails when there are any.
func lintResults(s *spec.Spec, sm *bkllb.SourceMap, vs []policy.Violation) (
	*lint.LintResults, error) {
	counted, _, errs := policy.Apply(s, vs)
	if len(errs) > 0 {
		return nil, withSource(errs, sm)
	}
	res := &lint.LintResults{}
	idx := res.AddSource(sm)
	for _, v := range counted {
		w := lint.Warning{RuleName: v.Rule.ID, Description: v.Rule.Title,
			URL: v.Rule.HelpURI(), Detail: v.Message}
		if r := pbRange(v.Range); r != nil {
			w.Location = &pb.Location{SourceIndex: int32(idx), Ranges: []*pb.Range{r}}
		}
		res.Warnings = append(res.Warnings, w)
	}
	return res, nil
}

// VerifyRootfs applies the rootfs and artifact rules to the solved runtime
// image, read through the gateway's file API: nothing runs in the image.
// s is the spec with its defaults, user the numbers of its runtime user
// (as the conversion owned files by), arch the image's CPU architecture.
func VerifyRootfs(ctx context.Context, ref client.Reference, s *spec.Spec, user llb.UserIDs,
	arch string) ([]policy.Violation, error) {
	fsys, err := prefetch(ctx, refFS{ref: ref})
	if err != nil {
		return nil, fmt.Errorf("listing the runtime root file system: %w", err)
	}
	if err := checkWritable(ctx, fsys, s, user); err != nil {
		return nil, err
	}
	vs, err := policy.CheckRootfs(ctx, fsys, s)
	if err != nil {
		return nil, fmt.Errorf("checking the runtime root file system: %w", err)
	}
	base, err := policy.BaseFromRootfs(ctx, fsys)
	if err != nil {
		return nil, fmt.Errorf("reading the runtime base's C library: %w", err)
	}
	var paths []string
	for _, cp := range s.Runtime.Copy {
		paths = append(paths, cp.To)
	}
	avs, err := policy.CheckArtifacts(ctx, fsys, paths, arch, base)
	if err != nil {
		return nil, fmt.Errorf("checking the built executables: %w", err)
	}
	return append(vs, avs...), nil
}

// checkWritable makes sure the runtime user owns every runtime.writable
// folder. kiln creates the ones the base lacks, but a folder that the base
// already has keeps the base's owner, which no file operation can change.
// A sticky folder that every user may write, such as /tmp, passes.
func checkWritable(ctx context.Context, fsys policy.FS, s *spec.Spec, user llb.UserIDs) error {
	uid, gid := user.UID, user.GID
	var errs spec.Errors
	for i, w := range s.Runtime.Writable {
		entries, err := fsys.ReadDir(ctx, path.Dir(w))
		if err != nil {
			return fmt.Errorf("listing %s in the runtime image: %w", path.Dir(w), err)
		}
		at := slices.IndexFunc(entries, func(f policy.File) bool { return f.Path == w })
		if at < 0 { // kiln creates every writable folder but /tmp
			errs = append(errs, s.ErrorAt(fmt.Sprintf("runtime.writable[%d]", i),
				fmt.Sprintf("%s is not in the runtime image: kiln leaves /tmp to the base, "+
					"and this base has none", w),
				"use a base with a /tmp, such as distroless, or name a folder kiln creates, "+
					"such as /var/lib/"+s.Name+"/tmp"))
			continue
		}
		f := entries[at]
		sticky := f.Mode&fs.ModeSticky != 0 && f.Mode.Perm()&0o002 != 0
		if f.Mode.IsDir() && (int(f.UID) == uid && int(f.GID) == gid || sticky) {
			continue
		}
		what := "a folder owned by " + strconv.Itoa(int(f.UID)) + ":" + strconv.Itoa(int(f.GID))
		if !f.Mode.IsDir() {
			what = "not a folder"
		}
		errs = append(errs, s.ErrorAt(fmt.Sprintf("runtime.writable[%d]", i), fmt.Sprintf(
			"%s is already in the runtime base, %s, so the runtime user %d:%d cannot "+
				"write to it", w, what, uid, gid),
			"name a folder the base does not have, such as /var/lib/"+s.Name))
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// enforce reports violations by policy.mode: in enforce mode counted
// violations fail the build, listing each; in warn mode each becomes a
// BuildKit warning with its YAML range. It returns the allowed
// violations, which the image records in a label.
func enforce(ctx context.Context, src *dockerui.Source, s *spec.Spec, platform string,
	vs []policy.Violation) ([]policy.Violation, error) {
	counted, allowed, errs := policy.Apply(s, vs)
	if len(errs) > 0 {
		return nil, withSource(errs, src.SourceMap)
	}
	if len(counted) == 0 {
		return allowed, nil
	}
	if s.Policy.Mode == spec.Warn {
		for _, v := range policy.InMode(counted, spec.Warn) {
			opts := client.WarnOpts{URL: v.Rule.HelpURI(),
				Detail: [][]byte{[]byte(v.Rule.Why)}}
			if r := pbRange(v.Range); r != nil {
				opts.Range = []*pb.Range{r}
			}
			src.Warn(ctx, fmt.Sprintf("%s%s (policy.mode: warn)", platform, v.String()), opts)
		}
		return allowed, nil
	}
	return nil, policyError(src.SourceMap, platform, policy.InMode(counted, spec.Enforce))
}

// enforceSpec fails a build of the runtime image in enforce mode when the
// spec breaks a rule that policy.allow does not exempt, before anything is
// solved. Other targets are debugging aids and are not held to the policy.
func enforceSpec(ctx context.Context, s *spec.Spec, src *dockerui.Source, target string,
	vs []policy.Violation) error {
	if s.Policy.Mode == spec.Warn || (target != "" && target != llb.StageRuntime) {
		return nil
	}
	_, err := enforce(ctx, src, s, "", vs)
	return err
}

// policyError lists every counted violation, with the YAML ranges of the
// spec rules attached so buildx shows those lines.
func policyError(sm *bkllb.SourceMap, platform string, counted []policy.Violation) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%sthe hardening policy failed with %d violation(s) "+
		"(policy.mode: enforce):", platform, len(counted))
	var ranges []*pb.Range
	for _, v := range counted {
		b.WriteString("\n  " + v.String())
		if r := pbRange(v.Range); r != nil {
			ranges = append(ranges, r)
		}
	}
	b.WriteString("\nfix each one, or allow a rule with a written reason: " +
		"policy: {allow: [{rule: RULE-ID, reason: \"...\"}]}; 'kiln explain RULE-ID' " +
		"tells more")
	err := errors.New(b.String())
	if len(ranges) == 0 || sm == nil {
		return err
	}
	src := &errdefs.Source{Info: &pb.SourceInfo{Data: sm.Data, Filename: sm.Filename,
		Language: sm.Language}, Ranges: ranges}
	if sm.Definition != nil {
		src.Info.Definition = sm.Definition.ToPB()
	}
	return errdefs.WithSource(err, src)
}

// RefFS is a read-only policy.FS over a solved result, read through the
// gateway's file API.
func RefFS(ref client.Reference) policy.RangeFS { return refFS{ref: ref} }

// refFS is a read-only policy.FS over a solved result.
type refFS struct{ ref client.Reference }

// readChunk stays well under the gateway's message size limit.
const readChunk = 1 << 20

func (f refFS) ReadDir(ctx context.Context, dir string) ([]policy.File, error) {
	stats, err := f.ref.ReadDir(ctx, client.ReadDirRequest{Path: dir})
	if err != nil {
		return nil, err
	}
	out := make([]policy.File, 0, len(stats))
	for _, st := range stats {
		out = append(out, policy.File{
			Path: path.Join(dir, st.Path), Mode: fs.FileMode(st.Mode),
			UID: st.Uid, GID: st.Gid, Size: st.Size, Linkname: st.Linkname,
		})
	}
	return out, nil
}

func (f refFS) ReadFile(ctx context.Context, p string, limit int) ([]byte, error) {
	var out []byte
	for len(out) < limit {
		n := min(readChunk, limit-len(out))
		b, err := f.ReadFileRange(ctx, p, int64(len(out)), n)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
		if len(b) < n {
			break
		}
	}
	return out, nil
}

func (f refFS) ReadFileRange(ctx context.Context, p string, offset int64,
	length int) ([]byte, error) {
	return f.ref.ReadFile(ctx, client.ReadRequest{Filename: p,
		Range: &client.FileRange{Offset: int(offset), Length: length}})
}

var _ policy.RangeFS = refFS{}

// listing is a policy.RangeFS whose folder listings were all read up front,
// several at a time: the gateway answers each ReadDir in a round trip, and
// the three checks of VerifyRootfs would otherwise list folders one by one,
// each on its own.
type listing struct {
	refFS
	mu   sync.Mutex
	dirs map[string][]policy.File
}

// prefetchWorkers bounds the ReadDir calls in flight.
const prefetchWorkers = 8

// prefetch lists every folder of the result, without following links.
func prefetch(ctx context.Context, f refFS) (*listing, error) {
	l := &listing{refFS: f, dirs: map[string][]policy.File{}}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(prefetchWorkers)
	var list func(dir string) error
	list = func(dir string) error {
		entries, err := f.ReadDir(ctx, dir)
		if err != nil {
			return err
		}
		l.mu.Lock()
		l.dirs[dir] = entries
		l.mu.Unlock()
		for _, e := range entries {
			if !e.Mode.IsDir() {
				continue
			}
			sub := e.Path
			if !g.TryGo(func() error { return list(sub) }) {
				if err := list(sub); err != nil { // all workers busy: list it here
					return err
				}
			}
		}
		return nil
	}
	g.Go(func() error { return list("/") })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return l, nil
}

// ReadDir answers from the listings read up front.
func (l *listing) ReadDir(ctx context.Context, dir string) ([]policy.File, error) {
	l.mu.Lock()
	entries, ok := l.dirs[dir]
	l.mu.Unlock()
	if ok {
		return slices.Clone(entries), nil
	}
	return l.refFS.ReadDir(ctx, dir)
}

// withAllowed records the allowed violations in the image config.
func withAllowed(labels map[string]string, allowed []policy.Violation) {
	if len(allowed) > 0 {
		labels[policy.LabelAllowed] = policy.AllowedLabel(allowed)
	}
}
