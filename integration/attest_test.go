package integration

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kilnbuild/kiln/frontend"
	"github.com/kilnbuild/kiln/integration/kilntest"
	"github.com/kilnbuild/kiln/lock"
)

// TestSBOM builds examples/go-hello with --sbom=generator=<kiln's syft
// scanner> and checks the SPDX attestation lists the example's third-party
// Go module and the base image's Debian packages.
func TestSBOM(t *testing.T) {
	e := kilntest.Setup(t)
	scanner := e.ScannerImage(t)
	dir := e.Locked(t, filepath.Join(e.Root, "examples", "go-hello"))
	res := e.Build(t, kilntest.BuildOpt{
		Func: frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml",
			"attest:sbom": "generator=" + scanner},
		LocalDirs: map[string]string{"context": dir, "dockerfile": dir},
	})
	pkgs := kilntest.SPDXPackages(t, res.Layout, "linux/amd64")
	for _, want := range []string{"golang.org/x/sync", "base-files", "tzdata",
		"ca-certificates", "stdlib"} {
		if !slices.Contains(pkgs, want) {
			t.Errorf("the SBOM does not list %s; it has %v", want, pkgs)
		}
	}
}

// TestProvenance builds examples/go-hello through the real buildx with
// --provenance=mode=max and checks that the provenance lists the locked
// base image digests among its resolved dependencies.
func TestProvenance(t *testing.T) {
	e := kilntest.Setup(t)
	e.FrontendImage(t)
	dir := e.Locked(t, filepath.Join(e.Root, "examples", "go-hello"))
	data, err := os.ReadFile(filepath.Join(dir, lock.FileName))
	if err != nil {
		t.Fatal(err)
	}
	lk, err := lock.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "oci")
	buildx(ctx, t, e, "build", "--progress=plain", "--provenance=mode=max",
		"-f", filepath.Join(dir, "kiln.yaml"), "--output", "type=oci,tar=false,dest="+out, dir)

	deps := kilntest.ProvenanceDependencies(t, out, "linux/amd64")
	var all []string
	for uri, d := range deps {
		all = append(all, d+" "+uri)
	}
	for ref, img := range lk.Images {
		want := img.Platforms["linux/amd64"].String()
		if !slices.ContainsFunc(all, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("the provenance does not list %s@%s; it has:\n%s", ref, want,
				strings.Join(all, "\n"))
		}
	}
}
