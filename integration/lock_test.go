package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/frontend"
	"github.com/kilnbuild/kiln/integration/kilntest"
	"github.com/kilnbuild/kiln/lock"
)

// TestLockPinsTheBuild writes kiln.lock for go-hello, builds it, and checks
// the image names the locked runtime base digest in labels and annotations.
func TestLockPinsTheBuild(t *testing.T) {
	e := kilntest.Setup(t)
	dir := kilntest.CopyDir(t, filepath.Join(e.Root, "examples", "go-hello"))
	r := &lock.Resolver{Mirrors: e.Mirrors()}
	f, err := r.Lock(context.Background(), []string{"golang:1.26-trixie",
		"gcr.io/distroless/static-debian13:nonroot"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, lock.FileName), f.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	want := f.Images["gcr.io/distroless/static-debian13:nonroot"].Platforms["linux/amd64"]

	res := e.Build(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
	})
	if !strings.Contains(res.Progress, "[internal] load kiln.lock") {
		t.Errorf("the build did not read kiln.lock:\n%s", res.Progress)
	}
	img := res.Image(t, "")
	if got := img.Config.Config.Labels["org.opencontainers.image.base.digest"]; got !=
		want.String() {
		t.Errorf("base.digest label = %s, want the locked %s", got, want)
	}
	m, err := img.V1.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Annotations["org.opencontainers.image.base.digest"]; got != want.String() {
		t.Errorf("base.digest annotation = %q, want %s", got, want)
	}
	if got := m.Annotations["org.opencontainers.image.base.name"]; got !=
		"gcr.io/distroless/static-debian13:nonroot" {
		t.Errorf("base.name annotation = %q", got)
	}
}

// TestLockMissingEntry checks that a lock without the runtime base fails
// the build with the YAML position and the command that fixes it.
func TestLockMissingEntry(t *testing.T) {
	e := kilntest.Setup(t)
	dir := kilntest.CopyDir(t, filepath.Join(e.Root, "examples", "go-hello"))
	r := &lock.Resolver{Mirrors: e.Mirrors()}
	f, err := r.Lock(context.Background(), []string{"golang:1.26-trixie"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, lock.FileName), f.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = e.TryBuild(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
		NoExport:      true,
	})
	if err == nil {
		t.Fatal("a build with an incomplete kiln.lock succeeded")
	}
	for _, want := range []string{"kiln.yaml:", "gcr.io/distroless/static-debian13:nonroot",
		"not in kiln.lock", "run 'kiln lock'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}
