package integration

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kilnbuild/kiln/frontend"
	"github.com/kilnbuild/kiln/integration/kilntest"
)

const kilnHelloWant = "hello from kiln: uid=65532 gid=65532 ca=true"

// checkKilnHello asserts the hardening promises on a kiln build of
// testdata/hello: numeric non-root user, entrypoint, no shell, and an
// application binary owned by root that the runtime user cannot change.
func checkKilnHello(t *testing.T, img *kilntest.Image) {
	t.Helper()
	if got := img.Config.Config.User; got != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", got)
	}
	if got := strings.Join(img.Config.Config.Entrypoint, " "); got != "/app/hello" {
		t.Errorf("entrypoint = %q, want /app/hello", got)
	}
	img.AssertNoShell(t)
	h, ok := img.Files["app/hello"]
	if !ok {
		t.Fatalf("/app/hello is missing; files: %v", img.Paths())
	}
	if h.Uid != 0 || h.Gid != 0 {
		t.Errorf("/app/hello owned by %d:%d, want 0:0", h.Uid, h.Gid)
	}
	if h.Mode&0o022 != 0 {
		t.Errorf("/app/hello mode %o is writable by group or others", h.Mode)
	}
	for _, k := range []string{"org.opencontainers.image.base.name",
		"org.opencontainers.image.base.digest", "org.opencontainers.image.title"} {
		if img.Config.Config.Labels[k] == "" {
			t.Errorf("label %s is missing", k)
		}
	}
}

// helloDir returns a locked copy of testdata/hello: with policy.mode
// enforce, kiln builds only specs whose base images are pinned.
func helloDir(t *testing.T, e *kilntest.Env) string {
	t.Helper()
	return e.Locked(t, filepath.Join(e.Root, "integration", "testdata", "hello"))
}

var runHello = []kilntest.Run{{Args: []string{"/app/hello"}, User: "65532:65532"}}

// TestKilnGatewayImage builds the way buildctl users do: the gateway.v0
// frontend running kiln's frontend image from the local registry, once
// through the client API (to run the binary in the result) and once with
// the real buildctl command.
func TestKilnGatewayImage(t *testing.T) {
	e := kilntest.Setup(t)
	ref := e.FrontendImage(t)
	checkFrontendImage(t, ref)
	dir := helloDir(t, e)
	res := e.Build(t, kilntest.BuildOpt{
		Frontend:      "gateway.v0",
		FrontendAttrs: map[string]string{"source": ref, "filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
		Runs:          runHello,
	})
	if got := strings.TrimSpace(res.Outputs[0]); got != kilnHelloWant {
		t.Errorf("/app/hello printed %q, want %q", got, kilnHelloWant)
	}
	checkKilnHello(t, res.Image(t, ""))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "oci")
	cmd := e.Command(ctx, "buildctl", "--addr", e.BuildkitHost, "build",
		"--frontend", "gateway.v0", "--opt", "source="+ref, "--opt", "filename=kiln.yaml",
		"--local", "context="+dir, "--local", "dockerfile="+dir,
		"--output", "type=oci,tar=false,dest="+out)
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("buildctl build: %v\n%s", err, log)
	}
	checkKilnHello(t, kilntest.OpenLayout(t, out, ""))
}

// TestKilnInProcess runs the frontend in-process, as `kiln build` does.
func TestKilnInProcess(t *testing.T) {
	e := kilntest.Setup(t)
	dir := helloDir(t, e)
	res := e.Build(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
		Runs:          runHello,
	})
	if got := strings.TrimSpace(res.Outputs[0]); got != kilnHelloWant {
		t.Errorf("/app/hello printed %q, want %q", got, kilnHelloWant)
	}
	img := res.Image(t, "")
	checkKilnHello(t, img)
	if !strings.Contains(res.Progress, "[kiln build 1/1] go build") {
		t.Errorf("progress lacks the named build step:\n%s", res.Progress)
	}
}

// TestKilnBuildx builds through the real `docker buildx build -f kiln.yaml`,
// where the `# syntax=` line selects kiln's frontend image.
func TestKilnBuildx(t *testing.T) {
	e := kilntest.Setup(t)
	e.FrontendImage(t)
	dir := helloDir(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "oci")
	buildx(ctx, t, e, "build", "--progress=plain", "-f", filepath.Join(dir, "kiln.yaml"),
		"--platform", "linux/amd64,linux/arm64",
		"--output", "type=oci,tar=false,dest="+out, dir)
	checkKilnHello(t, kilntest.OpenLayout(t, out, "linux/amd64"))
	arm := kilntest.OpenLayout(t, out, "linux/arm64")
	checkKilnHello(t, arm)
	if m := elfMachine(arm.Contents["app/hello"]); m != "aarch64" {
		t.Errorf("linux/arm64 /app/hello is a %s binary", m)
	}
}

// checkFrontendImage asserts what BuildKit and a reviewer read from the
// frontend image: a non-root numeric user, the static binary as the
// entrypoint, no network for the frontend, and the capabilities it uses.
func checkFrontendImage(t *testing.T, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	if cfg.User != "65532:65532" {
		t.Errorf("frontend image user = %q, want 65532:65532", cfg.User)
	}
	if got := strings.Join(cfg.Entrypoint, " "); got != "/bin/kiln-frontend" {
		t.Errorf("frontend image entrypoint = %q, want /bin/kiln-frontend", got)
	}
	if got := cfg.Labels["moby.buildkit.frontend.network.none"]; got != "true" {
		t.Errorf("frontend image label network.none = %q, want true", got)
	}
	caps := strings.Split(cfg.Labels["moby.buildkit.frontend.caps"], ",")
	for _, c := range []string{"moby.buildkit.frontend.inputs",
		"moby.buildkit.frontend.subrequests", "moby.buildkit.frontend.contexts"} {
		if !slices.Contains(caps, c) {
			t.Errorf("frontend image caps %q lack %s", caps, c)
		}
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Errorf("frontend image has %d layers, want 1 (the binary on scratch)", len(layers))
	}
}
