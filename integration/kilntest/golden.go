package kilntest

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// goldenTime stamps every file and the config of the golden base.
var goldenTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// baseFile is one entry of a test base image.
type baseFile struct {
	name string
	mode int64
	uid  int
	body string
	dir  bool
}

// distrolessFiles are the entries every test base has: users, a home for
// nonroot and a sticky /tmp, as in the distroless images.
var distrolessFiles = []baseFile{
	{name: "etc/", mode: 0o755, dir: true},
	{name: "etc/group", mode: 0o644, body: "root:x:0:\nnonroot:x:65532:\nnobody:x:65534:\n"},
	{name: "etc/passwd", mode: 0o644,
		body: "root:x:0:0:root:/root:/sbin/nologin\n" +
			"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n" +
			"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"},
	{name: "home/", mode: 0o755, dir: true},
	{name: "home/nonroot/", mode: 0o700, uid: 65532, dir: true},
	{name: "tmp/", mode: 0o1777, dir: true},
}

// GoldenBase pushes a tiny distroless-like base image, made from fixed
// bytes, to the local registry and returns it by digest. Golden-digest
// tests build on it (through --build-context) so their digests depend on
// kiln and BuildKit only, not on the Debian packages of the day.
func (e *Env) GoldenBase(t testing.TB) string {
	t.Helper()
	return e.pushBase(t, "kilntest/golden-base", "", distrolessFiles)
}

// ShellBase pushes a look-alike of a distroless image that wrongly carries
// a shell, under gcr.io/distroless/static-debian13:kilntest-shell (through
// the mirror), and returns that reference. Policy tests build on it.
func (e *Env) ShellBase(t testing.TB) string {
	t.Helper()
	files := append([]baseFile{
		{name: "bin/", mode: 0o755, dir: true},
		{name: "bin/sh", mode: 0o755, body: "#!/not/a/real/shell\n"},
	}, distrolessFiles...)
	e.pushBase(t, "distroless/static-debian13", "kilntest-shell", files)
	return "gcr.io/distroless/static-debian13:kilntest-shell"
}

// pushBase builds a one-layer linux/amd64 image from files, with fixed
// times, and pushes it as repo:tag (or by digest when tag is empty). It
// returns the pushed reference.
func (e *Env) pushBase(t testing.TB, repo, tag string, files []baseFile) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.uid,
			ModTime: goldenTime, Typeflag: tar.TypeReg, Size: int64(len(f.body)),
			Format: tar.FormatPAX}
		if f.dir {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Created = v1.Time{Time: goldenTime}
	cfg.Config.User = "65532:65532"
	cfg.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	cfg.History = []v1.History{{Created: v1.Time{Time: goldenTime}, CreatedBy: "kilntest"}}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	dg, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	at := "@" + dg.String()
	if tag != "" {
		at = ":" + tag
	}
	ref, err := name.ParseReference(e.Registry+"/"+repo+at, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return ref.String()
}
