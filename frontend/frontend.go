// Package frontend is kiln's BuildKit gateway frontend: it reads kiln.yaml
// through dockerui (so -f, --build-arg, --platform, --build-context,
// .dockerignore and --target behave as for a Dockerfile), resolves the base
// images to digests, converts the spec with package llb, solves it, and
// returns the image with its config. It also answers the outline and
// targets subrequests (docker buildx build --call).
package frontend

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/llb"
	"github.com/kilnbuild/kiln/spec"
)

// Language is the source language BuildKit shows next to kiln.yaml lines.
const Language = "YAML"

// Build is the frontend's entry point, a gateway BuildFunc.
func Build(ctx context.Context, c client.Client) (*client.Result, error) {
	bc, err := dockerui.NewClient(c)
	if err != nil {
		return nil, err
	}
	src, err := bc.ReadEntrypoint(ctx, Language, specFiles(bc))
	if err != nil {
		return nil, err
	}

	// Parse and validate; every spec error points at its YAML range.
	parsed, err := spec.Parse(src.Filename, src.Data)
	if err != nil {
		return nil, withSource(err, src.SourceMap)
	}
	userArgs := filterArgs(bc.BuildArgs)
	buildPlatform := platforms.DefaultSpec()
	if len(bc.BuildPlatforms) > 0 {
		buildPlatform = bc.BuildPlatforms[0]
	}
	ns := cacheNamespace(bc)

	lockFile, err := readLock(ctx, c, src)
	if err != nil {
		return nil, err
	}
	// The spec rules run before anything is built; --check stops there.
	prepared := llb.ApplyPreset(parsed.WithDefaults())
	specVs := specViolations(prepared, lockFile, bc.BuildOpts().Opts)

	if res, ok, err := bc.HandleSubrequest(ctx, dockerui.RequestHandler{
		Outline: func(ctx context.Context) (*outline.Outline, error) {
			return describe(parsed, src.SourceMap, userArgs, buildPlatform, ns), nil
		},
		ListTargets: func(ctx context.Context) (*targets.List, error) {
			return listTargets(parsed, src.SourceMap), nil
		},
		Lint: func(ctx context.Context) (*lint.LintResults, error) {
			return lintResults(prepared, src.SourceMap, specVs)
		},
	}); err != nil || ok {
		return res, err
	}
	if bc.Target != "" && !containsTarget(parsed, bc.Target) {
		return nil, fmt.Errorf("target %q does not exist; this spec has the targets %s",
			bc.Target, strings.Join(llb.Targets(parsed), ", "))
	}

	// In enforce mode a spec that breaks a rule fails here, before anything
	// is built; in warn mode its violations are reported with the rootfs's.
	if err := enforceSpec(ctx, prepared, src, bc.Target, specVs); err != nil {
		return nil, err
	}

	mainContext, err := bc.MainContext(ctx)
	if err != nil {
		return nil, err
	}
	scans, err := newSBOMScans(ctx, c, bc, buildPlatform)
	if err != nil {
		return nil, err
	}
	epoch, err := sourceDateEpoch(ctx, bc)
	if err != nil {
		return nil, err
	}

	// Convert and solve once per target platform.
	var mu sync.Mutex
	annotations := map[string]string{}
	annotate := func(p ocispecs.Platform, kv map[string]string) {
		mu.Lock()
		defer mu.Unlock()
		var pp *ocispecs.Platform
		if bc.MultiPlatformRequested {
			pp = &p
		}
		for k, v := range kv {
			if v != "" {
				annotations[exptypes.AnnotationManifestKey(pp, k)] = v
			}
		}
	}
	rb, err := bc.Build(ctx, func(ctx context.Context, tp *ocispecs.Platform,
		idx int) (*dockerui.BuildResult, error) {
		target := buildPlatform
		if tp != nil {
			target = *tp
		}
		b := &builder{c: c, bc: bc, src: src, build: buildPlatform, target: target,
			epoch: epoch, lock: lockFile, annotate: annotate, cacheNS: ns, scans: scans,
			specViolations: specVs, reportSpec: idx == 0} // warned once, not per platform
		if bc.MultiPlatformRequested {
			b.label = "[" + platforms.Format(target) + "] "
		}
		return b.run(ctx, parsed, userArgs, *mainContext)
	})
	if err != nil {
		return nil, err
	}
	for k, v := range annotations {
		rb.AddMeta(k, []byte(v))
	}
	if err := scans.attach(ctx, c, rb); err != nil {
		return nil, err
	}
	return rb.Finalize()
}

// filterArgs drops the build args that BuildKit and buildx set for
// themselves, so that only the user's --build-arg values reach the spec.
func filterArgs(in map[string]string) map[string]string {
	out := maps.Clone(in)
	for k := range out {
		if strings.HasPrefix(k, "BUILDKIT_") || k == "SOURCE_DATE_EPOCH" || k == argCacheNS ||
			proxyArgs[strings.ToUpper(k)] {
			delete(out, k)
		}
	}
	return out
}

// argCacheNS is the build arg that names a cache namespace.
const argCacheNS = "KILN_CACHE_NS"

// cacheNamespace is the prefix of every cache id: the KILN_CACHE_NS build
// arg, or else BuildKit's BUILDKIT_CACHE_MOUNT_NS.
func cacheNamespace(bc *dockerui.Client) string {
	if ns := bc.BuildArgs[argCacheNS]; ns != "" {
		return ns
	}
	return bc.CacheIDNamespace
}

// proxyArgs are the predefined proxy build args, passed through to steps
// without being declared, as for Dockerfiles.
var proxyArgs = map[string]bool{"HTTP_PROXY": true, "HTTPS_PROXY": true, "FTP_PROXY": true,
	"NO_PROXY": true, "ALL_PROXY": true}

func containsTarget(s *spec.Spec, name string) bool {
	for _, t := range llb.Targets(s) {
		if t == name {
			return true
		}
	}
	return false
}

// sourceDateEpoch is the time to stamp into the image: the
// SOURCE_DATE_EPOCH build arg, or else the commit time of a git context.
func sourceDateEpoch(ctx context.Context, bc *dockerui.Client) (*time.Time, error) {
	if v := bc.BuildArgs["SOURCE_DATE_EPOCH"]; v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("build arg SOURCE_DATE_EPOCH=%q is not a number of "+
				"seconds since 1970; pass it as --build-arg SOURCE_DATE_EPOCH=$(date +%%s)", v)
		}
		t := time.Unix(n, 0).UTC()
		return &t, nil
	}
	return bc.ResolveMainContextSourceDateEpoch(ctx)
}
