package kilntest

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// Image is an exported image, opened for inspection.
type Image struct {
	// V1 is the image itself.
	V1 v1.Image
	// Config is its config file.
	Config *v1.ConfigFile
	// Digest is the manifest digest.
	Digest v1.Hash
	// Files holds the flattened root filesystem: the tar header of every
	// path (without a leading slash), after whiteouts are applied.
	Files map[string]*tar.Header
	// Contents holds the bytes of every regular file up to 32 MiB.
	Contents map[string][]byte
}

func newImage(t testing.TB, img v1.Image) *Image {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("reading image config: %v", err)
	}
	dg, err := img.Digest()
	if err != nil {
		t.Fatalf("image digest: %v", err)
	}
	out := &Image{V1: img, Config: cfg, Digest: dg,
		Files: map[string]*tar.Header{}, Contents: map[string][]byte{}}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading image layers: %v", err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		out.Files[name] = h
		if h.Typeflag == tar.TypeReg && h.Size <= 32<<20 {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("reading %s: %v", name, err)
			}
			out.Contents[name] = b
		}
	}
	return out
}

// pickImage finds the image for platform in idx, descending into nested
// indexes; an empty platform accepts only a single image.
func pickImage(idx v1.ImageIndex, platform string) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var found []v1.Image
	var seen []string
	for _, d := range m.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			img, err := pickImage(child, platform)
			if err != nil {
				return nil, err
			}
			found = append(found, img)
		case d.MediaType.IsImage():
			if d.Platform != nil {
				p := platformString(d.Platform.OS, d.Platform.Architecture,
					d.Platform.Variant)
				seen = append(seen, p)
				if platform != "" && p != platform &&
					d.Platform.OS+"/"+d.Platform.Architecture != platform {
					continue
				}
			}
			if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
				continue
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, err
			}
			found = append(found, img)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("want one image for platform %q, found %d (platforms %v)",
			platform, len(found), seen)
	}
	return found[0], nil
}

// Paths lists every path of the root filesystem, sorted.
func (i *Image) Paths() []string {
	out := make([]string, 0, len(i.Files))
	for p := range i.Files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Size is the sum of the compressed layer sizes.
func (i *Image) Size(t testing.TB) int64 {
	t.Helper()
	layers, err := i.V1.Layers()
	if err != nil {
		t.Fatalf("layers: %v", err)
	}
	var n int64
	for _, l := range layers {
		s, err := l.Size()
		if err != nil {
			t.Fatalf("layer size: %v", err)
		}
		n += s
	}
	return n
}

// AssertNoShell fails the test when the root filesystem holds a shell,
// busybox or a package manager.
func (i *Image) AssertNoShell(t testing.TB) {
	t.Helper()
	bad := map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true,
		"busybox": true, "apt": true, "apt-get": true, "dpkg": true, "apk": true}
	for p, h := range i.Files {
		if h.Typeflag == tar.TypeDir {
			continue
		}
		if bad[path.Base(p)] {
			t.Errorf("root filesystem has %s", p)
		}
	}
}
