package frontend

import (
	"strconv"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/llb"
	"github.com/kilnbuild/kiln/spec"
)

// targetHelp describes each stage for `--call=targets`.
var targetHelp = map[string]string{
	llb.StageToolchain: "builder image with build.packages installed",
	llb.StageDeps:      "toolchain plus downloaded dependencies (network on)",
	llb.StageBuild:     "offline build of the application; for debugging",
	llb.StageRuntime:   "hardened runtime image (default)",
}

// describe answers `--call=outline`: the build args the spec declares with
// their values, and the secrets the build mounts.
func describe(s *spec.Spec, sm *bkllb.SourceMap, userArgs map[string]string,
	plat ocispecs.Platform, ns string) *outline.Outline {
	o := &outline.Outline{Name: s.Name, Description: "kiln " + string(s.Language) + " app"}
	for _, kv := range s.Args.Sorted() {
		v := kv.Value
		if u, ok := userArgs[kv.Key]; ok {
			v = u
		}
		o.Args = append(o.Args, outline.Arg{Name: kv.Key, Value: v,
			Location: location(s, "args."+kv.Key)})
	}
	for i, sec := range s.Build.Secrets {
		o.Secrets = append(o.Secrets, outline.Secret{Name: sec.ID, Required: sec.Required,
			Location: location(s, "build.secrets["+strconv.Itoa(i)+"]")})
	}
	for _, m := range llb.CacheMounts(s, plat, ns) {
		o.Cache = append(o.Cache, outline.CacheMount{ID: m.ID})
	}
	if sm != nil {
		o.Sources = [][]byte{sm.Data}
	}
	return o
}

// listTargets answers `--call=targets` with the stages of the spec.
func listTargets(s *spec.Spec, sm *bkllb.SourceMap) *targets.List {
	l := &targets.List{}
	for _, name := range llb.Targets(s) {
		l.Targets = append(l.Targets, targets.Target{Name: name,
			Default: name == llb.StageRuntime, Description: targetHelp[name]})
	}
	if sm != nil {
		l.Sources = [][]byte{sm.Data}
	}
	return l
}
