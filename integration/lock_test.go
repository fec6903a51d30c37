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

// TestLockPinsTheBuild writes kiln.lock for go-hello, pinning the runtime
// base to a digest its tag does not point at, builds it, and checks that
// the image names the locked digest in labels and annotations.
func TestLockPinsTheBuild(t *testing.T) {
	e := kilntest.Setup(t)
	dir := kilntest.CopyDir(t, filepath.Join(e.Root, "examples", "go-hello"))
	r := &lock.Resolver{Mirrors: e.Mirrors()}
	f, err := r.Lock(context.Background(), []string{"golang:1.26-trixie",
		"gcr.io/distroless/static-debian13:nonroot"})
	if err != nil {
		t.Fatal(err)
	}
	// Pin :nonroot to the digest of :latest, which the registry's :nonroot
	// tag does not name: the build must take the lock's word for it.
	latest, err := r.Lock(context.Background(),
		[]string{"gcr.io/distroless/static-debian13:latest"})
	if err != nil {
		t.Fatal(err)
	}
	const nonroot = "gcr.io/distroless/static-debian13:nonroot"
	other := latest.Images["gcr.io/distroless/static-debian13:latest"]
	if f.Images[nonroot].Digest == other.Digest {
		t.Fatal("the registry gives :nonroot and :latest the same digest")
	}
	f.Images[nonroot] = other
	if err := os.WriteFile(filepath.Join(dir, lock.FileName), f.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	want := f.Images[nonroot].Platforms["linux/amd64"]

	res := e.Build(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
	})
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
// the build with the YAML position and the command that fixes it: in
// enforce mode as base-unpinned before anything runs, and in warn mode
// when kiln resolves the image.
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
	specPath := filepath.Join(dir, "kiln.yaml")
	enforced, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode string
		spec string
		want []string
	}{
		{"enforce", string(enforced), []string{"kiln.yaml:5:11", "base-unpinned",
			"gcr.io/distroless/static-debian13:nonroot", "kiln.lock does not record it",
			"run 'kiln lock'"}},
		{"warn", string(enforced) + "policy: {mode: warn}\n", []string{"kiln.yaml:",
			"gcr.io/distroless/static-debian13:nonroot", "not in kiln.lock",
			"run 'kiln lock'"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			_, err := tryKiln(t, e, dir, tc.spec)
			if err == nil {
				t.Fatal("a build with an incomplete kiln.lock succeeded")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q: %v", want, err)
				}
			}
		})
	}
}
