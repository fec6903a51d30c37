package llb

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/spec"
)

const goSpec = `name: hello
language: go
build:
  packages: [libsqlite3-dev]
  env: {B: "2", A: "1"}
  secrets: [{id: netrc, target: /home/kiln/.netrc}]
runtime:
  env: {Z: "z", A: "a"}
  ports: [8080]
  labels: {team: core, app: hello}
  writable: [/app/data, /tmp]
  healthcheck: {exec: [/app/hello, -healthcheck], interval: 30s}
`

var (
	amd64 = ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = ocispecs.Platform{OS: "linux", Architecture: "arm64"}
)

func input(t *testing.T, yaml string, target ocispecs.Platform) Input {
	t.Helper()
	s, err := spec.Parse("kiln.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	s = ApplyPreset(s.WithDefaults())
	runtimeCfg := dockerspec.DockerOCIImage{}
	runtimeCfg.Config.Env = []string{"PATH=/usr/bin:/bin", "A=base"}
	runtimeCfg.Config.User = "0"
	runtimeCfg.History = []ocispecs.History{{CreatedBy: "base"}}
	toolCfg := dockerspec.DockerOCIImage{}
	toolCfg.Config.Env = []string{"PATH=/go/bin:/usr/local/go/bin:/usr/bin:/bin", "GOPATH=/go"}
	toolCfg.Config.WorkingDir = "/go"
	return Input{
		Spec:    s,
		Context: bkllb.Local("context", bkllb.LocalUniqueID("kilntest")),
		Toolchain: Image{Ref: "docker.io/library/golang:1.26-trixie",
			Digest: digest.FromString("golang"), Config: toolCfg},
		Runtime: Image{Ref: "gcr.io/distroless/static-debian13:nonroot",
			Digest: digest.FromString("static"), Config: runtimeCfg},
		BuildPlatform:  amd64,
		TargetPlatform: target,
	}
}

func marshal(t *testing.T, st bkllb.State) []byte {
	t.Helper()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var b bytes.Buffer
	for _, d := range def.Def {
		b.Write(d)
	}
	for _, k := range sortedDigests(def.Metadata) {
		m := def.Metadata[k]
		b.WriteString(k.String())
		for _, name := range []string{"llb.customname"} {
			b.WriteString(m.Description[name])
		}
	}
	return b.Bytes()
}

// TestDeterministic marshals the same spec 25 times; every run must give
// the same bytes, or cache keys would change from build to build.
func TestDeterministic(t *testing.T) {
	var first []byte
	for i := range 25 {
		res, err := Convert(input(t, goSpec, arm64))
		if err != nil {
			t.Fatal(err)
		}
		got := marshal(t, res.Stages[len(res.Stages)-1].State)
		if i == 0 {
			first = got
			continue
		}
		if !bytes.Equal(first, got) {
			t.Fatalf("run %d marshalled differently from run 0", i)
		}
	}
}

// ops decodes the marshalled graph of st.
func ops(t *testing.T, st bkllb.State) ([]*pb.Op, map[digest.Digest]bkllb.OpMetadata) {
	t.Helper()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*pb.Op
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		out = append(out, &op)
	}
	return out, def.Metadata
}

// execs returns the exec ops of the graph, keyed by their first argument
// after "-c" (or their args joined).
func execs(t *testing.T, st bkllb.State) map[string]*pb.ExecOp {
	t.Helper()
	all, _ := ops(t, st)
	out := map[string]*pb.ExecOp{}
	for _, op := range all {
		if e := op.GetExec(); e != nil {
			args := e.Meta.Args
			key := strings.Join(args, " ")
			if len(args) == 3 && args[1] == "-c" {
				key = args[2]
			}
			out[key] = e
		}
	}
	return out
}

func TestGoStages(t *testing.T) {
	res, err := Convert(input(t, goSpec, arm64))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range res.Stages {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "toolchain,deps,build,runtime" {
		t.Fatalf("stages = %s", got)
	}
	ex := execs(t, res.Stages[3].State)

	dl := ex[goModDownload]
	if dl == nil {
		t.Fatalf("no go mod download step; have %v", keys(ex))
	}
	if dl.Meta.User != "65532:65532" {
		t.Errorf("deps user = %q, want 65532:65532", dl.Meta.User)
	}
	if dl.Network == pb.NetMode_NONE {
		t.Errorf("deps step must have network")
	}
	assertCache(t, dl, goSharedCache, CacheGoModules, pb.CacheSharingOpt_SHARED)

	build := ex["go build -o /out/hello ."]
	if build == nil {
		t.Fatalf("no default go build step; have %v", keys(ex))
	}
	if build.Network != pb.NetMode_NONE {
		t.Errorf("build network = %v, want none", build.Network)
	}
	if build.Meta.User != "65532:65532" {
		t.Errorf("build user = %q", build.Meta.User)
	}
	env := strings.Join(build.Meta.Env, " ")
	for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0",
		"HOME=/home/kiln", "GOPROXY=off", "A=1", "B=2"} {
		if !strings.Contains(env, want) {
			t.Errorf("build env lacks %s: %s", want, env)
		}
	}
	assertCache(t, build, "/home/kiln/.cache/go-build", CacheGoBuild,
		pb.CacheSharingOpt_SHARED)
	var src *pb.Mount
	for _, m := range build.Mounts {
		switch {
		case m.Dest == "/src":
			src = m
		case m.MountType == pb.MountType_SECRET:
			if m.Dest != "/home/kiln/.netrc" || m.SecretOpt.ID != "netrc" ||
				m.SecretOpt.Uid != 65532 || !m.SecretOpt.Optional {
				t.Errorf("secret mount = %+v", m)
			}
		}
	}
	if src == nil || !src.Readonly {
		t.Errorf("source must be mounted read-only at /src: %+v", src)
	}

	var apt *pb.ExecOp
	for k, e := range ex {
		if strings.Contains(k, "apt-get install") {
			apt = e
		}
	}
	if apt == nil || apt.Meta.User != "0:0" {
		t.Fatalf("packages must be installed as root: %+v", apt)
	}
	assertCache(t, apt, "/var/cache/apt", "kiln-apt-cache-trixie-linux-amd64",
		pb.CacheSharingOpt_LOCKED)
}

func assertCache(t *testing.T, e *pb.ExecOp, dest, id string, sharing pb.CacheSharingOpt) {
	t.Helper()
	for _, m := range e.Mounts {
		if m.Dest != dest {
			continue
		}
		if m.MountType != pb.MountType_CACHE || m.CacheOpt.ID != id ||
			m.CacheOpt.Sharing != sharing {
			t.Errorf("mount %s = %+v, want cache %s %v", dest, m, id, sharing)
		}
		return
	}
	t.Errorf("no mount at %s", dest)
}

func keys(m map[string]*pb.ExecOp) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestImageConfig(t *testing.T) {
	res, err := Convert(input(t, goSpec, arm64))
	if err != nil {
		t.Fatal(err)
	}
	cfg := res.Image.Config
	if cfg.User != "65532:65532" {
		t.Errorf("user = %q", cfg.User)
	}
	if got := strings.Join(cfg.Entrypoint, " "); got != "/app/hello" {
		t.Errorf("entrypoint = %q", got)
	}
	if got := strings.Join(cfg.Env, " "); got != "PATH=/usr/bin:/bin A=a Z=z" {
		t.Errorf("env = %q, want the base PATH kept and A overridden", got)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ports = %v", cfg.ExposedPorts)
	}
	if hc := cfg.Healthcheck; hc == nil || strings.Join(hc.Test, " ") !=
		"CMD /app/hello -healthcheck" {
		t.Errorf("healthcheck = %+v", hc)
	}
	if c := res.Image.Created; c == nil || !c.Equal(time.Unix(0, 0)) {
		t.Errorf("created = %v; without an epoch or a base time it must be the Unix epoch", c)
	}
	for k, want := range map[string]string{
		LabelTitle: "hello", LabelBaseName: "gcr.io/distroless/static-debian13:nonroot",
		LabelBaseDigest: digest.FromString("static").String(), "team": "core"} {
		if cfg.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, cfg.Labels[k], want)
		}
	}
	if res.Image.Architecture != "arm64" || len(res.Image.History) != 2 {
		t.Errorf("platform %s, history %d", res.Image.Architecture, len(res.Image.History))
	}
}

func TestStaticCopiesFromContext(t *testing.T) {
	in := input(t, `name: tool
language: static
source: dist
runtime:
  copy: [{from: tool, to: /app/tool, mode: "0555"}]
  entrypoint: [/app/tool]
`, amd64)
	res, err := Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Stages) != 1 {
		t.Fatalf("static must have only the runtime stage, got %d", len(res.Stages))
	}
	all, _ := ops(t, res.Stages[0].State)
	var cp *pb.FileActionCopy
	for _, op := range all {
		if f := op.GetFile(); f != nil {
			for _, a := range f.Actions {
				if c := a.GetCopy(); c != nil {
					cp = c
				}
			}
		}
	}
	if cp == nil || cp.Src != "/dist/tool" || cp.Dest != "/app/tool" || cp.Mode != 0o555 {
		t.Fatalf("copy = %+v", cp)
	}
	if cp.Owner.User.GetByID() != 0 || cp.Owner.Group.GetByID() != 0 {
		t.Errorf("copied files must be owned by root: %+v", cp.Owner)
	}
}

func TestUnknownTarget(t *testing.T) {
	res, err := Convert(input(t, goSpec, amd64))
	if err != nil {
		t.Fatal(err)
	}
	_, err = res.Target("tests")
	if err == nil || !strings.Contains(err.Error(), "toolchain, deps, build, runtime") {
		t.Fatalf("err = %v", err)
	}
}

func sortedDigests(m map[digest.Digest]bkllb.OpMetadata) []digest.Digest {
	out := make([]digest.Digest, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestCacheMounts reads every cache mount out of the marshalled graph and
// checks id, sharing, and the owner and mode of the folder it starts as,
// against the documented table; a namespace prefixes every id.
func TestCacheMounts(t *testing.T) {
	in := input(t, goSpec, arm64)
	in.CacheNamespace = "team-a"
	res, err := Convert(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]CacheMount{}
	for _, m := range CacheMounts(in.Spec, amd64, "team-a") {
		want[m.ID] = m
	}
	if len(want) != 4 {
		t.Fatalf("want 4 documented caches for a Go spec with packages, got %v", want)
	}
	all, _ := ops(t, res.Stages[3].State)
	byDigest := map[digest.Digest]*pb.Op{}
	def, err := res.Stages[3].State.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, dt := range def.Def {
		byDigest[digest.FromBytes(dt)] = all[i]
	}
	seen := map[string]bool{}
	for _, op := range all {
		e := op.GetExec()
		if e == nil {
			continue
		}
		for _, m := range e.Mounts {
			if m.MountType != pb.MountType_CACHE {
				continue
			}
			w, ok := want[m.CacheOpt.ID]
			if !ok {
				t.Errorf("undocumented cache id %q at %s", m.CacheOpt.ID, m.Dest)
				continue
			}
			seen[w.ID] = true
			if m.Dest != w.Target || m.CacheOpt.Sharing != pb.CacheSharingOpt(w.Sharing) {
				t.Errorf("cache %s: dest %s sharing %v, want %s %v", w.ID, m.Dest,
					m.CacheOpt.Sharing, w.Target, w.Sharing)
			}
			seed := byDigest[digest.Digest(op.Inputs[m.Input].Digest)].GetFile()
			mk := seed.GetActions()[0].GetMkdir()
			if mk.Owner.User.GetByID() != uint32(w.UID) || mk.Mode != 0o755 {
				t.Errorf("cache %s starts owned by %d mode %o, want %d 0755", w.ID,
					mk.Owner.User.GetByID(), mk.Mode, w.UID)
			}
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("documented cache %s is not mounted", id)
		}
	}
}
