package llb

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// stageExecs returns the exec ops of the marshalled graph of st by the
// stage named in their vertex name, with the graph to follow inputs in.
func stageExecs(t *testing.T, st bkllb.State) (map[string][]*pb.Op,
	map[digest.Digest]vertex) {
	t.Helper()
	g := graph(t, st)
	out := map[string][]*pb.Op{}
	for _, v := range g {
		if v.op.GetExec() != nil {
			out[stageOf(v.name)] = append(out[stageOf(v.name)], v.op)
		}
	}
	return out, g
}

// cacheSeed renders the owner and mode of the folder a cache mount starts
// as: the single mkdir, at the mount's source path, of the op the mount
// reads. BuildKit's cache mount carries no owner itself.
func cacheSeed(g map[digest.Digest]vertex, op *pb.Op, m *pb.Mount) string {
	in := g[digest.Digest(op.Inputs[m.Input].Digest)].op.GetFile()
	if in == nil || len(in.Actions) != 1 || in.Actions[0].GetMkdir() == nil {
		return "seed is not one mkdir"
	}
	mk := in.Actions[0].GetMkdir()
	if mk.Path != m.Selector {
		return fmt.Sprintf("seed mkdir %s, mount source %s", mk.Path, m.Selector)
	}
	return fmt.Sprintf("owner=%s mode=%04o", owner(mk.Owner), mk.Mode)
}

// TestGoCacheMountsLiteral reads every cache mount of the Go preset out of
// the marshalled LLB, by the stage of the step that mounts it, and checks
// target, id, sharing mode and the uid, gid and mode of the folder it
// starts as against a literal copy of the table in docs/caches.md; apt
// ids follow the platform the steps run on, and a namespace prefixes
// every id.
func TestGoCacheMountsLiteral(t *testing.T) {
	const (
		aptCache = "/var/cache/apt id=kiln-apt-cache-trixie-"
		aptLists = "/var/lib/apt/lists id=kiln-apt-lists-trixie-"
		root     = " LOCKED owner=0:0 mode=0755"
		goMod    = "/var/cache/kiln/go-mod id=kiln-go-mod SHARED owner=65532:65532 mode=0755"
		goBuild  = "/home/kiln/.cache/go-build id=kiln-go-build SHARED " +
			"owner=65532:65532 mode=0755"
	)
	armv7 := ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	for _, tc := range []struct {
		name, yaml string
		target     ocispecs.Platform
		ns         string
		// want lists, by stage, one rendered mount per cache mount of
		// every exec of that stage, sorted.
		want map[string][]string
	}{{
		name:   "packages, cross-compiled to arm64",
		yaml:   "name: hello\nlanguage: go\nbuild:\n  packages: [libsqlite3-dev]\n",
		target: arm64,
		want: map[string][]string{
			StageToolchain: {aptCache + "linux-amd64" + root, aptLists + "linux-amd64" + root},
			StageDeps:      {goMod},
			StageBuild:     {goBuild},
		},
	}, {
		name: "no packages, two build commands",
		yaml: `name: hello
language: go
build:
  run: [go vet ./..., go build -o /out/hello .]
`,
		target: amd64,
		want: map[string][]string{
			StageDeps:  {goMod},
			StageBuild: {goBuild, goBuild},
		},
	}, {
		name: "cgo runs on the target platform",
		yaml: `name: hello
language: go
build:
  packages: [libsqlite3-dev]
  env: {CGO_ENABLED: "1"}
`,
		target: armv7,
		want: map[string][]string{
			StageToolchain: {aptCache + "linux-arm-v7" + root,
				aptLists + "linux-arm-v7" + root},
			StageDeps:  {goMod},
			StageBuild: {goBuild},
		},
	}, {
		name:   "namespace",
		yaml:   "name: hello\nlanguage: go\nbuild:\n  packages: [libsqlite3-dev]\n",
		target: amd64,
		ns:     "team-a",
		want: map[string][]string{
			StageToolchain: {
				"/var/cache/apt id=team-a/kiln-apt-cache-trixie-linux-amd64" + root,
				"/var/lib/apt/lists id=team-a/kiln-apt-lists-trixie-linux-amd64" + root,
			},
			StageDeps: {"/var/cache/kiln/go-mod id=team-a/kiln-go-mod SHARED " +
				"owner=65532:65532 mode=0755"},
			StageBuild: {"/home/kiln/.cache/go-build id=team-a/kiln-go-build SHARED " +
				"owner=65532:65532 mode=0755"},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			in := input(t, tc.yaml, tc.target)
			in.CacheNamespace = tc.ns
			res, err := Convert(in)
			if err != nil {
				t.Fatal(err)
			}
			byStage, g := stageExecs(t, res.Stages[len(res.Stages)-1].State)
			got := map[string][]string{}
			for stage, execs := range byStage {
				for _, op := range execs {
					for _, m := range op.GetExec().Mounts {
						if m.MountType != pb.MountType_CACHE {
							continue
						}
						got[stage] = append(got[stage], fmt.Sprintf("%s id=%s %s %s",
							m.Dest, m.CacheOpt.GetID(), m.CacheOpt.GetSharing(),
							cacheSeed(g, op, m)))
					}
				}
				slices.Sort(got[stage])
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cache mounts by stage\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestGoTrimpath checks that every Go step (the dependency step and each
// build command, the preset's default go build included) runs with one
// GOFLAGS whose flags include -trimpath, so binaries carry no build paths.
func TestGoTrimpath(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		// builds lists the shell command of every build step.
		builds []string
		// flags are more flags GOFLAGS must hold besides -trimpath.
		flags []string
	}{{
		name:   "default build",
		yaml:   "name: hello\nlanguage: go\n",
		builds: []string{"go build -o /out/hello ."},
	}, {
		name: "build commands, cgo and other env",
		yaml: `name: hello
language: go
build:
  env: {CGO_ENABLED: "1", GOEXPERIMENT: "jsonv2"}
  run: [go generate ./..., go build -o /out/hello ./cmd/hello]
`,
		builds: []string{"go generate ./...", "go build -o /out/hello ./cmd/hello"},
	}, {
		name:   "a GOFLAGS of the spec adds to kiln's",
		yaml:   "name: hello\nlanguage: go\nbuild:\n  env: {GOFLAGS: -mod=vendor}\n",
		builds: []string{"go build -o /out/hello ."},
		flags:  []string{"-mod=vendor"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Convert(input(t, tc.yaml, arm64))
			if err != nil {
				t.Fatal(err)
			}
			byStage, _ := stageExecs(t, res.Stages[len(res.Stages)-1].State)
			if n := len(byStage[StageDeps]); n != 1 {
				t.Fatalf("want one deps step, got %d", n)
			}
			var builds []string
			for _, op := range byStage[StageBuild] {
				args := op.GetExec().Meta.Args
				builds = append(builds, args[len(args)-1])
			}
			slices.Sort(builds)
			want := slices.Sorted(slices.Values(tc.builds))
			if !slices.Equal(builds, want) {
				t.Fatalf("build steps = %q, want %q", builds, want)
			}
			for _, op := range append(byStage[StageDeps], byStage[StageBuild]...) {
				meta := op.GetExec().Meta
				var flags []string
				for _, kv := range meta.Env {
					if v, ok := strings.CutPrefix(kv, "GOFLAGS="); ok {
						flags = append(flags, v)
					}
				}
				if len(flags) != 1 {
					t.Errorf("step %q: GOFLAGS set %d times: %q",
						meta.Args[len(meta.Args)-1], len(flags), flags)
					continue
				}
				want := strings.Join(append([]string{"-trimpath", "-buildvcs=false"},
					tc.flags...), " ")
				if flags[0] != want {
					t.Errorf("step %q: GOFLAGS %q, want %q",
						meta.Args[len(meta.Args)-1], flags[0], want)
				}
			}
		})
	}
}
