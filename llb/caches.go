package llb

import (
	"fmt"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/spec"
)

// CacheMount is one persistent cache a build step mounts. docs/caches.md
// documents the scheme: content-addressed stores shared by every app under
// fixed ids, per-platform system package caches, and (for languages whose
// build output is not content-addressed) per-app caches keyed by app name
// and platform.
type CacheMount struct {
	// ID is the BuildKit cache id, with the namespace prefix when one is set.
	ID string
	// Target is where the step sees the cache.
	Target string
	// Sharing is how concurrent builds share it: shared where the tool
	// locks its own files, locked where it does not.
	Sharing bkllb.CacheMountSharingMode
	// UID owns the cache folder: the user that runs the step.
	UID int
	// Step is the stage that mounts it.
	Step string
}

// Targets of the cache mounts kiln uses.
const (
	aptCache = "/var/cache/apt"
	aptLists = "/var/lib/apt/lists"
)

// CacheMounts lists the cache mounts a build of s uses when its steps run
// on platform plat, in step order. ns, when set, prefixes every id
// ("ns/id") so tenants of a shared builder never share a cache.
func CacheMounts(s *spec.Spec, plat ocispecs.Platform, ns string) []CacheMount {
	var out []CacheMount
	if s.Language != spec.Go {
		return out
	}
	if len(s.Build.Packages) > 0 {
		key := "trixie-" + platformKey(plat)
		out = append(out,
			CacheMount{ID: "kiln-apt-cache-" + key, Target: aptCache,
				Sharing: bkllb.CacheMountLocked, UID: 0, Step: StageToolchain},
			CacheMount{ID: "kiln-apt-lists-" + key, Target: aptLists,
				Sharing: bkllb.CacheMountLocked, UID: 0, Step: StageToolchain})
	}
	out = append(out,
		CacheMount{ID: CacheGoModules, Target: goSharedCache,
			Sharing: bkllb.CacheMountShared, UID: BuildUID, Step: StageDeps},
		CacheMount{ID: CacheGoBuild, Target: goBuildCache,
			Sharing: bkllb.CacheMountShared, UID: BuildUID, Step: StageBuild})
	if ns != "" {
		for i := range out {
			out[i].ID = ns + "/" + out[i].ID
		}
	}
	return out
}

// cache returns the run option that mounts the cache kiln keeps at target.
// The cache starts as an empty folder owned by the step's user, so a
// non-root step can write to it.
func (c *converter) cache(target string) bkllb.RunOption {
	for _, m := range CacheMounts(c.in.Spec, c.execPlatform(), c.in.CacheNamespace) {
		if m.Target != target {
			continue
		}
		// Seeds of the same owner are one vertex, so the name tells the
		// owner, not the cache.
		seed := bkllb.Scratch().File(
			bkllb.Mkdir("/cache", 0o755, bkllb.WithUIDGID(m.UID, m.UID)),
			bkllb.WithCustomNamef("[internal] empty cache folder owned by %d:%d", m.UID, m.UID),
		)
		return bkllb.AddMount(m.Target, seed, bkllb.SourcePath("/cache"),
			bkllb.AsPersistentCacheDir(m.ID, m.Sharing))
	}
	panic(fmt.Sprintf("llb: no cache mount for %s", target)) // a bug in this package
}

// execPlatform is where the build steps run: the build platform, or the
// target when cgo needs the target's C toolchain.
func (c *converter) execPlatform() ocispecs.Platform {
	if cgoEnabled(c.in.Spec) {
		return c.in.TargetPlatform
	}
	return c.in.BuildPlatform
}
