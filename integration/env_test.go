package integration

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kilnbuild/kiln/integration/kilntest"
)

const helloWant = "hello from kiln: uid=65532 gid=65532 ca=true"

// checkHello asserts what every build of testdata/hello must give: the
// nonroot user, the binary, the CA bundle, and no shell.
func checkHello(t *testing.T, img *kilntest.Image) {
	t.Helper()
	if got := img.Config.Config.User; got != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", got)
	}
	if got := img.Config.Config.Entrypoint; len(got) != 1 || got[0] != "/hello" {
		t.Errorf("entrypoint = %q, want [/hello]", got)
	}
	if _, ok := img.Files["hello"]; !ok {
		t.Errorf("/hello is missing from the image")
	}
	if len(img.Contents["etc/ssl/certs/ca-certificates.crt"]) == 0 {
		t.Errorf("the CA bundle /etc/ssl/certs/ca-certificates.crt is missing or empty")
	}
	img.AssertNoShell(t)
}

// TestDockerfileFrontend builds the hand-written Dockerfile with BuildKit's
// own frontend against the seeded base images, runs the binary as 65532
// inside BuildKit, and inspects the exported OCI layout.
func TestDockerfileFrontend(t *testing.T) {
	e := kilntest.Setup(t)
	dir := filepath.Join(e.Root, "integration", "testdata", "hello")
	res := e.Build(t, kilntest.BuildOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: map[string]string{"filename": "Dockerfile"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
		Runs:          []kilntest.Run{{Args: []string{"/hello"}, User: "65532:65532"}},
	})
	if got := strings.TrimSpace(res.Outputs[0]); got != helloWant {
		t.Errorf("/hello printed %q, want %q", got, helloWant)
	}
	checkHello(t, res.Image(t, ""))
}

// TestBuildxRemoteBuilder builds the same Dockerfile through the real
// `docker buildx build` on the remote builder, once to an OCI layout and once
// pushed to the local registry.
func TestBuildxRemoteBuilder(t *testing.T) {
	e := kilntest.Setup(t)
	dir := filepath.Join(e.Root, "integration", "testdata", "hello")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	out := filepath.Join(t.TempDir(), "oci")
	buildx(ctx, t, e, "build", "--progress=plain",
		"--output", "type=oci,tar=false,dest="+out, dir)
	checkHello(t, kilntest.OpenLayout(t, out, ""))

	ref := e.Registry + "/kilntest/hello:buildx"
	buildx(ctx, t, e, "build", "--progress=plain",
		"--output", "type=image,push=true,name="+ref, dir)
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("pulling the pushed image %s: %v", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("pushed image user = %q, want 65532:65532", cfg.Config.User)
	}
}

func buildx(ctx context.Context, t *testing.T, e *kilntest.Env, args ...string) {
	t.Helper()
	cmd := e.Command(ctx, "docker", append([]string{"buildx", "--builder", e.Builder},
		args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker buildx %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
