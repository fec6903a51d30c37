package kilntest

import (
	"sync"
	"testing"
)

var frontendImage struct {
	once sync.Once
	ref  string
	err  string
}

// FrontendImage builds kiln's frontend image from the repository's
// Dockerfile with BuildKit's Dockerfile frontend and pushes it to the local
// registry as kilnbuild/kiln:dev and kilnbuild/kiln:1. The registry mirrors
// ghcr.io, so `# syntax=ghcr.io/kilnbuild/kiln:1` in a spec resolves to
// this build. It runs once per test process and returns the :dev reference.
func (e *Env) FrontendImage(t testing.TB) string {
	t.Helper()
	fi := &frontendImage
	fi.once.Do(func() {
		dev := e.Registry + "/kilnbuild/kiln:dev"
		res, err := e.TryBuild(t, BuildOpt{
			Frontend:  "dockerfile.v0",
			LocalDirs: map[string]string{"context": e.Root, "dockerfile": e.Root},
			Push:      []string{dev, e.Registry + "/kilnbuild/kiln:1"},
		})
		if err != nil {
			fi.err = err.Error() + "\n" + res.Progress
			return
		}
		fi.ref = dev
	})
	if fi.err != "" {
		t.Fatalf("building the frontend image: %s", fi.err)
	}
	return fi.ref
}
