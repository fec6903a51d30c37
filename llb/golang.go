package llb

import (
	"path"
	"strconv"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/spec"
)

// Paths and cache ids of the Go preset. The shared module cache and the
// build cache are content-addressed and safe for concurrent use by the go
// command, so one cache of each serves every app and platform.
const (
	goModCache    = "/go/pkg/mod"
	goSharedCache = "/var/cache/kiln/go-mod"
	goBuildCache  = BuildHome + "/.cache/go-build"
	// CacheGoModules is the id of the module cache shared by all Go apps.
	CacheGoModules = "kiln-go-mod"
	// CacheGoBuild is the id of the Go build cache shared by all Go apps.
	CacheGoBuild = "kiln-go-build"
)

// goFlags are the go command flags of every Go step: paths of the build
// machine stay out of the binary, and so does VCS state, which the source
// mount does not carry.
const goFlags = "-trimpath -buildvcs=false"

// goModDownload fills the shared module cache from the network, then
// copies what this app needs into its own GOMODCACHE from that cache as a
// file proxy. The app's modules are thus part of the cached deps layer, and
// the offline build step never depends on a cache mount that BuildKit may
// have pruned.
const goModDownload = "GOMODCACHE=" + goSharedCache + " go mod download && " +
	"GOPROXY=file://" + goSharedCache + "/cache/download GOSUMDB=off " +
	"GOPRIVATE= GONOPROXY= GONOSUMDB= go mod download"

// goStages converts a Go spec: the toolchain image (plus system packages),
// a dependency step that sees only go.mod and go.sum, an offline build step
// with the source mounted read-only, and the runtime image.
func (c *converter) goStages() (*Result, error) {
	s := c.in.Spec

	// Cross-compile on the build platform unless cgo needs the target's C
	// toolchain, in which case the build runs on the target platform.
	plat := c.execPlatform()
	toolchain := c.toolchain(plat)

	// deps: go.mod and go.sum only, so source edits keep this step cached.
	st := step{stage: StageDeps, total: 2}
	src := path.Join("/", s.Source) + "/"
	deps := toolchain.File(
		bkllb.Mkdir(SourceDir, 0o755, bkllb.WithParents(true), buildOwner()).
			Mkdir(BuildHome, 0o755, bkllb.WithParents(true), buildOwner()).
			Mkdir(goModCache, 0o755, bkllb.WithParents(true), buildOwner()).
			Mkdir(s.Build.Output, 0o755, bkllb.WithParents(true), buildOwner()).
			Copy(c.in.Context, src, SourceDir+"/", &bkllb.CopyInfo{
				IncludePatterns:     []string{"go.mod", "go.sum"},
				CopyDirContentsOnly: true,
				AllowEmptyWildcard:  true,
				ChownOpt:            rootlessOwner(),
			}),
		st.next("copy go.mod and go.sum from "+path.Join("/", s.Source)), c.at("source"),
	)
	deps = deps.Run(append(c.buildRunOpts(plat),
		bkllb.Args([]string{"/bin/sh", "-c", goModDownload}),
		st.next("go mod download"),
		c.cache(goSharedCache),
	)...).Root()

	// build: offline, as the build user, source mounted read-only.
	runs := s.Build.Run
	runPath := "build.run"
	if len(runs) == 0 {
		runs = DefaultRun(s)
		runPath = ""
	}
	st = step{stage: StageBuild, total: len(runs)}
	build := deps
	for i, cmd := range runs {
		opts := append(c.buildRunOpts(plat),
			bkllb.Args([]string{"/bin/sh", "-c", cmd}),
			bkllb.Network(bkllb.NetModeNone),
			bkllb.AddEnv("GOPROXY", "off"),
			st.next(firstLine(cmd)),
			bkllb.AddMount(SourceDir, c.in.Context, bkllb.SourcePath(src), bkllb.Readonly),
			c.cache(goBuildCache),
		)
		if runPath != "" {
			opts = append(opts, c.at(runPath+"["+strconv.Itoa(i)+"]"))
		} else {
			opts = append(opts, c.at("language")) // the preset's command
		}
		build = build.Run(opts...).Root()
	}

	runtime, img, err := c.runtime(build, "")
	if err != nil {
		return nil, err
	}
	return &Result{
		Stages: []Stage{
			{Name: StageToolchain, State: toolchain},
			{Name: StageDeps, State: deps},
			{Name: StageBuild, State: build},
			{Name: StageRuntime, State: runtime},
		},
		Image: img,
	}, nil
}

// DefaultRun returns the build commands a preset runs when build.run is
// empty: for Go, the main package in the source folder built into
// build.output under the app's name. s has its defaults.
func DefaultRun(s *spec.Spec) []string {
	if s.Language != spec.Go {
		return nil
	}
	return []string{"go build -o " + path.Join(s.Build.Output, s.Name) + " ."}
}

// buildRunOpts are the options shared by the dependency and build steps:
// the build user, its home, the Go environment for the target platform,
// build.env, the declared args and the secrets.
func (c *converter) buildRunOpts(plat ocispecs.Platform) []bkllb.RunOption {
	s := c.in.Spec
	tp := c.in.TargetPlatform
	env := [][2]string{
		{"HOME", BuildHome},
		{"GOMODCACHE", goModCache},
		{"GOCACHE", goBuildCache},
		{"GOTOOLCHAIN", "local"},
		{"GOFLAGS", goFlags},
		{"CGO_ENABLED", "0"},
		{"GOOS", tp.OS},
		{"GOARCH", tp.Architecture},
	}
	if v := goarm(tp); v != "" {
		env = append(env, [2]string{"GOARM", v})
	}
	base := len(env) // kiln's own; what follows is the spec's
	args := s.Args
	if c.in.Args != nil {
		args = c.in.Args
	}
	for _, kv := range args.Sorted() {
		env = append(env, [2]string{kv.Key, kv.Value})
	}
	for _, kv := range s.Build.Env.Sorted() {
		env = append(env, [2]string{kv.Key, kv.Value})
	}
	// A GOFLAGS of the spec's adds to kiln's instead of dropping -trimpath;
	// the go command lets a later flag win, so it can still turn one off.
	for i := len(env) - 1; i >= base; i-- {
		if env[i][0] == "GOFLAGS" {
			env[i][1] = strings.TrimSpace(goFlags + " " + env[i][1])
			break
		}
	}
	opts := []bkllb.RunOption{
		bkllb.User(buildUser()),
		bkllb.Dir(SourceDir),
		platformOpt(plat),
	}
	for _, kv := range env {
		opts = append(opts, bkllb.AddEnv(kv[0], kv[1]))
	}
	for i, sec := range s.Build.Secrets {
		target := sec.Target
		if target == "" {
			target = "/run/secrets/" + sec.ID
		}
		so := []bkllb.SecretOption{bkllb.SecretID(sec.ID),
			bkllb.SecretFileOpt(BuildUID, BuildUID, 0o400)}
		if !sec.Required {
			so = append(so, bkllb.SecretOptional)
		}
		opts = append(opts, bkllb.AddSecret(target, so...),
			c.at("build.secrets["+strconv.Itoa(i)+"]"))
	}
	return opts
}

// toolchain returns the builder image with build.packages installed as
// root, with apt's caches mounted per Debian release and platform.
func (c *converter) toolchain(plat ocispecs.Platform) bkllb.State {
	s := c.in.Spec
	st := image(c.in.Toolchain, plat, "[kiln toolchain] "+c.in.Toolchain.Ref)
	if len(s.Build.Packages) == 0 {
		return st
	}
	script := "rm -f /etc/apt/apt.conf.d/docker-clean && " +
		"echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' " +
		"> /etc/apt/apt.conf.d/kiln-keep-cache && " +
		"apt-get update -qq && " +
		"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends " +
		strings.Join(s.Build.Packages, " ")
	return st.Run(
		bkllb.Args([]string{"/bin/sh", "-c", script}),
		bkllb.User("0:0"),
		platformOpt(plat),
		bkllb.WithCustomNamef("[kiln toolchain 1/1] apt-get install %s",
			strings.Join(s.Build.Packages, " ")),
		c.at("build.packages"),
		c.cache(aptCache),
		c.cache(aptLists),
	).Root()
}

// goarm returns GOARM for a 32-bit arm variant such as v7.
func goarm(p ocispecs.Platform) string {
	if p.Architecture != "arm" {
		return ""
	}
	return strings.TrimPrefix(p.Variant, "v")
}

// platformKey is a platform as a cache id fragment, such as linux-arm64.
func platformKey(p ocispecs.Platform) string {
	k := p.OS + "-" + p.Architecture
	if p.Variant != "" {
		k += "-" + p.Variant
	}
	return k
}

func buildUser() string { return strconv.Itoa(BuildUID) + ":" + strconv.Itoa(BuildUID) }

func buildOwner() bkllb.ChownOption { return bkllb.WithUIDGID(BuildUID, BuildUID) }

// rootlessOwner makes copied files belong to the build user.
func rootlessOwner() *bkllb.ChownOpt {
	return &bkllb.ChownOpt{User: &bkllb.UserOpt{UID: BuildUID},
		Group: &bkllb.UserOpt{UID: BuildUID}}
}

// firstLine shortens a command to its first line for a vertex name.
func firstLine(cmd string) string {
	line, _, more := strings.Cut(strings.TrimSpace(cmd), "\n")
	if more {
		line += " …"
	}
	return line
}
