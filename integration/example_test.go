package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kilnbuild/kiln/frontend"
	"github.com/kilnbuild/kiln/integration/kilntest"
	"github.com/kilnbuild/kiln/spec"
)

// TestExamplesValidate parses every committed example spec.
func TestExamplesValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(kilntest.Root(), "examples", "*", "kiln.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example specs found (%v)", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := spec.Parse("kiln.yaml", data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestGoHelloExample builds examples/go-hello in-process, starts the server
// as 65532 inside BuildKit and runs its exec-form healthcheck, and checks
// the image holds nothing but the base and the binary.
func TestGoHelloExample(t *testing.T) {
	e := kilntest.Setup(t)
	dir := e.Locked(t, filepath.Join(e.Root, "examples", "go-hello"))
	user := "65532:65532"
	res := e.Build(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
		Runs: []kilntest.Run{
			{Args: []string{"/app/go-hello"}, User: user, Background: true},
			{Args: []string{"/app/go-hello", "-healthcheck"}, User: user, Retries: 25},
		},
	})
	img := res.Image(t, "")
	if img.Config.Config.User != user {
		t.Errorf("user = %q", img.Config.Config.User)
	}
	hc := img.Config.Config.Healthcheck
	if hc == nil || strings.Join(hc.Test, " ") != "CMD /app/go-hello -healthcheck" {
		t.Errorf("healthcheck = %+v", hc)
	}
	if _, ok := img.Config.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("ports = %v", img.Config.Config.ExposedPorts)
	}
	img.AssertNoShell(t)

	// Size: at most the base image, the binary and 64 KiB.
	bin := img.Files["app/go-hello"]
	if bin == nil {
		t.Fatal("/app/go-hello is missing")
	}
	base := remoteSize(t, e.Registry+"/distroless/static-debian13:nonroot")
	if got, limit := img.Size(t), base+bin.Size+64<<10; got > limit {
		t.Errorf("image is %d bytes; limit base %d + binary %d + 64 KiB = %d",
			got, base, bin.Size, limit)
	}
}

// remoteSize is the compressed size of the linux/amd64 image at ref.
func remoteSize(t *testing.T, ref string) int64 {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithPlatform(v1.Platform{OS: "linux",
		Architecture: "amd64"}))
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	return (&kilntest.Image{V1: img}).Size(t)
}

// TestBuildTarget builds --target build: the offline build stage with the
// artifact under /out.
func TestBuildTarget(t *testing.T) {
	e := kilntest.Setup(t)
	dir := helloDir(t, e)
	res := e.Build(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml", "target": "build"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
	})
	img := res.Image(t, "")
	if _, ok := img.Files["out/hello"]; !ok {
		t.Errorf("--target build has no /out/hello")
	}
	if _, ok := img.Files["usr/local/go/bin/go"]; !ok {
		t.Errorf("--target build is not the toolchain image")
	}
}

// TestBadSpecThroughBuildx checks that a spec error reaches the user of the
// real `docker buildx build` with the file, line and the offending text.
func TestBadSpecThroughBuildx(t *testing.T) {
	e := kilntest.Setup(t)
	e.FrontendImage(t)
	dir := t.TempDir()
	bad := "# syntax=ghcr.io/kilnbuild/kiln:1\nname: hello\nlanguage: go\n" +
		"runtime:\n  entrypont: [/app/hello]\n"
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := e.Command(ctx, "docker", "buildx", "--builder", e.Builder, "build",
		"--progress=plain", "-f", filepath.Join(dir, "kiln.yaml"), dir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("a bad spec built:\n%s", out)
	}
	for _, want := range []string{
		`kiln.yaml:5:3: runtime.entrypont: unknown key`,
		`"entrypoint"`,
		`entrypont: [/app/hello]`, // buildx shows the offending line
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("buildx output lacks %q:\n%s", want, out)
		}
	}
}

// TestCallSubrequests answers `docker buildx build --call=targets` and
// `--call=outline` through the real buildx.
func TestCallSubrequests(t *testing.T) {
	e := kilntest.Setup(t)
	e.FrontendImage(t)
	dir := filepath.Join(e.Root, "examples", "go-hello")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for call, wants := range map[string][]string{
		"targets": {"runtime (default)", "build", "toolchain", "deps"},
		// The cache ids, with the namespace from KILN_CACHE_NS.
		"outline,format=json": {`"name": "go-hello"`, `"ID": "team-a/kiln-go-mod"`,
			`"ID": "team-a/kiln-go-build"`},
	} {
		cmd := e.Command(ctx, "docker", "buildx", "--builder", e.Builder, "build",
			"--call="+call, "--build-arg", "KILN_CACHE_NS=team-a",
			"-f", filepath.Join(dir, "kiln.yaml"), dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("--call=%s: %v\n%s", call, err, out)
			continue
		}
		for _, want := range wants {
			if !strings.Contains(string(out), want) {
				t.Errorf("--call=%s output lacks %q:\n%s", call, want, out)
			}
		}
	}

	// Without KILN_CACHE_NS, BuildKit's BUILDKIT_CACHE_MOUNT_NS names the
	// namespace; with both, KILN_CACHE_NS wins.
	for args, want := range map[string]string{
		"BUILDKIT_CACHE_MOUNT_NS=team-b":                      `"ID": "team-b/kiln-go-build"`,
		"BUILDKIT_CACHE_MOUNT_NS=team-b,KILN_CACHE_NS=team-c": `"ID": "team-c/kiln-go-build"`,
	} {
		cmdArgs := []string{"buildx", "--builder", e.Builder, "build",
			"--call=outline,format=json"}
		for _, a := range strings.Split(args, ",") {
			cmdArgs = append(cmdArgs, "--build-arg", a)
		}
		cmdArgs = append(cmdArgs, "-f", filepath.Join(dir, "kiln.yaml"), dir)
		out, err := e.Command(ctx, "docker", cmdArgs...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("--build-arg %s: %v; the outline lacks %s:\n%s", args, err, want, out)
		}
	}
}

// TestBuildMistakesExplained builds an app whose main package is in
// cmd/pinger: kiln's default go build fails, and the error says which
// command kiln ran and how to set build.run; with a build.run that writes
// another file than the preset copies, the error points at language and
// names the file the build must write.
func TestBuildMistakesExplained(t *testing.T) {
	e := kilntest.Setup(t)
	app := t.TempDir()
	files := map[string]string{
		"go.mod":             "module example.com/pinger\n\ngo 1.26\n",
		"cmd/pinger/main.go": "package main\n\nfunc main() { println(\"pong\") }\n",
	}
	for name, body := range files {
		p := filepath.Join(app, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, spec string
		want       []string
	}{
		{"default build finds no main package", "name: pinger\nlanguage: go\n",
			[]string{`kiln ran its default build command ` +
				`"go build -o /out/pinger ."`, "set build.run, such as " +
				"[go build -o /out/pinger ./cmd/pinger]"}},
		{"build writes another file", "name: pinger\nlanguage: go\n" +
			"build:\n  run: [go build -o /out/server ./cmd/pinger]\n",
			[]string{"kiln.yaml:4:8: build.run: the go preset copies /out/pinger to " +
				"/app/pinger, but the build step did not write it (it wrote /out/server " +
				"under /out)", "set runtime.copy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := os.WriteFile(filepath.Join(app, "kiln.yaml"), []byte(tc.spec), 0o644)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tryKiln(t, e, e.Locked(t, app), "")
			if err == nil {
				t.Fatal("the build succeeded")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error()+res.Progress, want) {
					t.Errorf("error and progress lack %q:\n%v\n%s", want, err, res.Progress)
				}
			}
		})
	}

	// When the step before the build fails (no go.mod), the default build
	// command is not blamed.
	if err := os.Remove(filepath.Join(app, "go.mod")); err != nil {
		t.Fatal(err)
	}
	res, err := tryKiln(t, e, e.Locked(t, app), "name: pinger\nlanguage: go\n")
	if err == nil {
		t.Fatal("a Go app without go.mod built")
	}
	if strings.Contains(err.Error()+res.Progress, "kiln ran its default build command") {
		t.Errorf("the default build command was blamed for the deps step:\n%v", err)
	}
}

// TestDockerignore builds with a .dockerignore beside the sources: the
// files it names never reach the build step, and the build still works.
func TestDockerignore(t *testing.T) {
	e := kilntest.Setup(t)
	dir := helloDir(t, e)
	for name, body := range map[string]string{
		".dockerignore": "secrets/\n*.pem\n",
		"secrets/token": "t0k3n\n",
		"server.pem":    "-----BEGIN PRIVATE KEY-----\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := "# syntax=ghcr.io/kilnbuild/kiln:1\nname: hello\nlanguage: go\nbuild:\n" +
		"  run:\n    - test ! -e secrets && test ! -e server.pem && test -e main.go\n" +
		"    - go build -o /out/hello .\n"
	if _, err := tryKiln(t, e, dir, spec); err != nil {
		t.Fatalf("the build saw files .dockerignore excludes, or failed: %v", err)
	}
	// The same check fails when the files are there, so it can tell.
	if err := os.Remove(filepath.Join(dir, ".dockerignore")); err != nil {
		t.Fatal(err)
	}
	if _, err := tryKiln(t, e, dir, ""); err == nil {
		t.Fatal("without .dockerignore the build did not see the files")
	}
}
