package lock

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// pushIndex puts a two-platform index under repo:tag on an in-memory
// registry listening on 127.0.0.1 and returns its host.
func pushIndex(t *testing.T, repo string) (string, v1.ImageIndex) {
	t.Helper()
	srv := httptest.NewServer(registry.New())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	idx := mutate.IndexMediaType(empty.Index, "application/vnd.oci.image.index.v1+json")
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64", Variant: "v8"}} {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref, err := name.ParseReference(host+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatal(err)
	}
	return host, idx
}

func TestLockThroughMirror(t *testing.T) {
	host, idx := pushIndex(t, "distroless/static-debian13:nonroot")
	r := &Resolver{Mirrors: map[string]string{"gcr.io": host}}
	f, err := r.Lock(context.Background(), []string{"gcr.io/distroless/static-debian13:nonroot"})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := idx.Digest()
	img := f.Images["gcr.io/distroless/static-debian13:nonroot"]
	if img.Digest.String() != want.String() {
		t.Errorf("digest = %s, want %s", img.Digest, want)
	}
	if len(img.Platforms) != 2 || img.Platforms["linux/arm64/v8"] == "" {
		t.Errorf("platforms = %v", img.Platforms)
	}
	d, err := f.Lookup("gcr.io/distroless/static-debian13:nonroot",
		ocispecs.Platform{OS: "linux", Architecture: "arm64"})
	if err != nil || d != img.Platforms["linux/arm64/v8"] {
		t.Errorf("Lookup arm64 = %s, %v", d, err)
	}

	// The written file reads back the same, and writes the same bytes.
	again, err := Parse(f.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Marshal()) != string(f.Marshal()) {
		t.Errorf("Marshal is not stable:\n%s\n%s", f.Marshal(), again.Marshal())
	}
}

func TestLookupMissing(t *testing.T) {
	a := digest.Digest("sha256:" + strings.Repeat("a", 64))
	b := digest.Digest("sha256:" + strings.Repeat("b", 64))
	f := &File{Version: 1, Images: map[string]Image{
		"docker.io/library/golang:1.26-trixie": {Digest: a,
			Platforms: map[string]digest.Digest{"linux/amd64": b}},
	}}
	for _, tc := range []struct {
		ref, platform, want string
	}{
		{"golang:1.25-trixie", "linux/amd64", "docker.io/library/golang:1.25-trixie: not in"},
		{"golang:1.26-trixie", "linux/arm64", "for linux/arm64: not in kiln.lock (it has " +
			"linux/amd64)"},
	} {
		p := ocispecs.Platform{OS: "linux", Architecture: strings.TrimPrefix(tc.platform,
			"linux/")}
		_, err := f.Lookup(tc.ref, p)
		if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), tc.want) ||
			!strings.Contains(err.Error(), "run 'kiln lock'") {
			t.Errorf("Lookup(%s, %s) = %v, want %q", tc.ref, tc.platform, err, tc.want)
		}
	}
	if _, err := f.Lookup("golang:1.26-trixie", ocispecs.Platform{OS: "linux",
		Architecture: "amd64"}); err != nil {
		t.Errorf("golang:1.26-trixie should be found under its normalized name: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"not json", "images: {}", "not a valid lock file"},
		{"unknown key", `{"version": 1, "imgs": {}}`, `unknown field "imgs"`},
		{"version", `{"version": 7, "images": {}}`, "has version 7"},
		{"bad digest", `{"version": 1, "images": {"a:b": {"digest": "sha256:xyz"}}}`,
			`digest "sha256:xyz"`},
	} {
		_, err := Parse([]byte(tc.data))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}
