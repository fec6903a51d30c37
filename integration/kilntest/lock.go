package kilntest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/containerd/platforms"

	"github.com/kilnbuild/kiln/llb"
	"github.com/kilnbuild/kiln/lock"
	"github.com/kilnbuild/kiln/spec"
)

// CopyDir copies the folder src into a new temporary folder and returns
// the copy.
func CopyDir(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if out, err := exec.Command("cp", "-r", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("copying %s: %v\n%s", src, err, out)
	}
	return dst
}

// Mirrors maps the registries that buildkitd mirrors to the local
// registry, for `kiln lock --mirror` and lock.Resolver.
func (e *Env) Mirrors() map[string]string {
	return map[string]string{"docker.io": e.Registry, "gcr.io": e.Registry,
		"ghcr.io": e.Registry}
}

// Locked copies the app folder src (with its kiln.yaml) into a temporary
// folder and writes the kiln.lock that `kiln lock` would, resolved against
// the local registry. Committed examples carry no lock: its digests depend
// on the registry the user pulls from. It returns the copy.
func (e *Env) Locked(t testing.TB, src string) string {
	t.Helper()
	dir := CopyDir(t, src)
	data, err := os.ReadFile(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse("kiln.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	images, err := llb.Images(s, platforms.DefaultSpec())
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, img := range images {
		refs = append(refs, img.Ref)
	}
	r := &lock.Resolver{Mirrors: e.Mirrors()}
	f, err := r.Lock(context.Background(), refs)
	if err != nil {
		t.Fatalf("locking %s: %v", src, err)
	}
	if err := os.WriteFile(filepath.Join(dir, lock.FileName), f.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
