package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnbuild/kiln/frontend"
	"github.com/kilnbuild/kiln/integration/kilntest"
)

// goldenFile holds the manifest digest of examples/go-hello built at
// SOURCE_DATE_EPOCH=1700000000 on the golden base. It changes only when
// kiln's output changes; set KILN_UPDATE_GOLDEN=1 to rewrite it, and say
// why in the commit.
const goldenFile = "testdata/golden/go-hello.digest"

// TestReproducibleAcrossDaemons builds examples/go-hello on the test daemon
// and on a second daemon with empty state. With the same SOURCE_DATE_EPOCH
// both must give the same image manifest digest, and that digest must be
// the committed golden one.
func TestReproducibleAcrossDaemons(t *testing.T) {
	e := kilntest.Setup(t)
	base := e.GoldenBase(t)
	second := e.SecondDaemon(t)
	dir := e.Locked(t, filepath.Join(e.Root, "examples", "go-hello"))
	opt := kilntest.BuildOpt{
		Func: frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml",
			"build-arg:SOURCE_DATE_EPOCH":                       "1700000000",
			"context:gcr.io/distroless/static-debian13:nonroot": "docker-image://" + base,
		},
		LocalDirs:   map[string]string{"context": dir, "dockerfile": dir},
		ExportAttrs: map[string]string{"rewrite-timestamp": "true"},
	}
	first := e.Build(t, opt).Image(t, "")
	other := second.Build(t, opt).Image(t, "")
	if first.Digest != other.Digest {
		t.Errorf("two daemons built different images: %s and %s", first.Digest, other.Digest)
	}
	if c := first.Config.Created; c.Unix() != 1700000000 {
		t.Errorf("created = %v, want the epoch 1700000000", c)
	}
	if got := first.Config.Config.Labels["org.opencontainers.image.base.digest"]; got == "" ||
		!strings.Contains(base, got) {
		t.Errorf("base.digest label = %q, want the golden base %s", got, base)
	}

	// Without SOURCE_DATE_EPOCH the frontend stamps the runtime base's time,
	// so two daemons still agree. A base from a build context carries no
	// time (dockerui drops it), so that time is the Unix epoch here.
	delete(opt.FrontendAttrs, "build-arg:SOURCE_DATE_EPOCH")
	a, b := e.Build(t, opt).Image(t, ""), second.Build(t, opt).Image(t, "")
	if a.Digest != b.Digest {
		t.Errorf("without an epoch, two daemons built %s and %s", a.Digest, b.Digest)
	}
	if !a.Config.Created.Time.Equal(time.Unix(0, 0)) {
		t.Errorf("created = %v, want the Unix epoch", a.Config.Created)
	}

	got := first.Digest.String()
	if os.Getenv("KILN_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(goldenFile, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatalf("reading %s (KILN_UPDATE_GOLDEN=1 writes it): %v", goldenFile, err)
	}
	if strings.TrimSpace(string(want)) != got {
		t.Errorf("go-hello at epoch 1700000000 is %s, golden %s says %s; if kiln's output "+
			"changed on purpose, rerun with KILN_UPDATE_GOLDEN=1 and say why in the commit",
			got, goldenFile, strings.TrimSpace(string(want)))
	}
}
