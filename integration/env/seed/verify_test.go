package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/kilnbuild/kiln/integration/kilntest"
)

// seededRegistry returns the registry to verify: KILN_REGISTRY, or the
// test environment's registry, which seed.sh filled. Without one the test
// skips, and fails under CI, as every integration test does.
func seededRegistry(t *testing.T) string {
	t.Helper()
	if r := os.Getenv("KILN_REGISTRY"); r != "" {
		return r
	}
	return kilntest.Setup(t).Registry
}

// pullIndex fetches repo:tag and checks that it is an OCI index carrying
// the current recipe.
func pullIndex(t *testing.T, reg, repo, tag, recipe string) v1.ImageIndex {
	t.Helper()
	ref, err := name.NewTag(reg+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	mt, _ := idx.MediaType()
	if mt != types.OCIImageIndex {
		t.Errorf("%s: media type %s, want an OCI index", ref, mt)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := im.Annotations[recipeAnnotation]; got != recipe {
		t.Errorf("%s: recipe %q, want %q", ref, got, recipe)
	}
	return idx
}

// platformImages returns the images of idx by "os/arch[/variant]".
func platformImages(t *testing.T, idx v1.ImageIndex) map[string]v1.Image {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]v1.Image{}
	for _, d := range im.Manifests {
		if d.Platform == nil {
			t.Fatalf("manifest %s has no platform", d.Digest)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		out[d.Platform.String()] = img
	}
	return out
}

// layerFiles reads every layer of img into one tree; content is kept only
// for the paths in keep.
func layerFiles(t *testing.T, img v1.Image, keep ...string) *tree {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	tr := newTree()
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		r := tar.NewReader(rc)
		for {
			h, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if !h.ModTime.Equal(epoch) {
				t.Errorf("%s: mtime %v, want %v", h.Name, h.ModTime, epoch)
			}
			e := &entry{hdr: *h}
			if slices.Contains(keep, cleanPath(h.Name)) {
				e.data, _ = io.ReadAll(r)
			}
			tr.put(e)
		}
		rc.Close()
	}
	return tr
}

// resolve follows symlinks (relative and absolute) to the entry a path
// names in tr.
func resolve(tr *tree, p string) *entry {
	p = cleanPath(p)
	for range 40 {
		parts := strings.Split(p, "/")
		moved := false
		for i := range parts {
			prefix := strings.Join(parts[:i+1], "/")
			e := tr.get(prefix)
			if e == nil {
				return nil
			}
			if e.hdr.Typeflag == tar.TypeSymlink {
				target := e.hdr.Linkname
				if !strings.HasPrefix(target, "/") {
					target = path.Join(path.Dir(prefix), target)
				}
				p = cleanPath(path.Join(append([]string{target}, parts[i+1:]...)...))
				moved = true
				break
			}
		}
		if !moved {
			return tr.get(p)
		}
	}
	return nil
}

func TestSeededDistroless(t *testing.T) {
	reg := seededRegistry(t)
	triplet := map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}
	loader := map[string]string{"amd64": "/lib64/ld-linux-x86-64.so.2",
		"arm64": "/lib/ld-linux-aarch64.so.1"}
	for _, d := range distrolessFlavours {
		for _, tg := range distrolessTags {
			idx := pullIndex(t, reg, d.repo(), tg.Tag, distrolessRecipe(d))
			imgs := platformImages(t, idx)
			if len(imgs) != 2 || imgs["linux/amd64"] == nil || imgs["linux/arm64/v8"] == nil {
				t.Errorf("%s:%s platforms %v, want linux/amd64 and linux/arm64/v8", d.repo(),
					tg.Tag, keys(imgs))
				continue
			}
			for plat, img := range imgs {
				what := d.repo() + ":" + tg.Tag + " " + plat
				cfg, err := img.ConfigFile()
				if err != nil {
					t.Fatal(err)
				}
				arch := strings.Split(plat, "/")[1]
				if cfg.Architecture != arch || cfg.OS != "linux" ||
					(arch == "arm64") != (cfg.Variant == "v8") {
					t.Errorf("%s: config platform %s/%s/%s", what, cfg.OS, cfg.Architecture,
						cfg.Variant)
				}
				if !cfg.Created.Equal(epoch) {
					t.Errorf("%s: created %v", what, cfg.Created)
				}
				c := cfg.Config
				if c.User != tg.User || c.WorkingDir != tg.WorkingDir ||
					!slices.Equal(c.Env, distrolessEnv) || len(c.Entrypoint) != 0 ||
					len(c.Cmd) != 0 {
					t.Errorf("%s: config %+v", what, c)
				}
				if tg.Tag != "latest" {
					continue // same layer as latest
				}
				files := layerFiles(t, img, "etc/ssl/certs/ca-certificates.crt", "etc/passwd")
				if err := checkNoShell(files); err != nil {
					t.Errorf("%s: %v", what, err)
				}
				if e := files.get("etc/ssl/certs/ca-certificates.crt"); e == nil ||
					bytes.Count(e.data, []byte("BEGIN CERTIFICATE")) < 100 {
					t.Errorf("%s: the CA bundle is missing or short", what)
				}
				if e := files.get("etc/passwd"); e == nil || string(e.data) != passwdContent {
					t.Errorf("%s: /etc/passwd is not the expected one", what)
				}
				if e := files.get("home/nonroot"); e == nil || e.hdr.Uid != 65532 ||
					e.hdr.Gid != 65532 || e.hdr.Mode != 0o700 {
					t.Errorf("%s: /home/nonroot %+v", what, e)
				}
				if e := files.get("tmp"); e == nil || e.hdr.Mode != 0o1777 {
					t.Errorf("%s: /tmp %+v", what, e)
				}
				for _, p := range []string{"/etc/os-release", "/etc/group",
					"/etc/nsswitch.conf", "/etc/services", "/usr/share/zoneinfo/Europe/Paris",
					"/usr/share/zoneinfo/UTC"} {
					if resolve(files, p) == nil {
						t.Errorf("%s: %s is missing", what, p)
					}
				}
				libc := "/usr/lib/" + triplet[arch] + "/libc.so.6"
				libs := map[string]bool{libc: d.Name != "static", loader[arch]: d.Name != "static",
					"/usr/lib/" + triplet[arch] + "/libssl.so.3":    d.Name != "static",
					"/usr/lib/" + triplet[arch] + "/libstdc++.so.6": d.Name == "cc",
					"/usr/lib/" + triplet[arch] + "/libgcc_s.so.1":  d.Name == "cc",
					"/usr/lib/" + triplet[arch] + "/libgomp.so.1":   d.Name == "cc",
					"/usr/lib/" + triplet[arch] + "/libz.so.1":      d.Name != "static",
					"/usr/lib/" + triplet[arch] + "/libzstd.so.1":   d.Name != "static",
					"/usr/lib/" + triplet[arch] + "/libcrypto.so.3": d.Name != "static",
				}
				for p, want := range libs {
					if got := resolve(files, p) != nil; got != want {
						t.Errorf("%s: %s present = %v, want %v", what, p, got, want)
					}
				}
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}

func TestSeededGolang(t *testing.T) {
	reg := seededRegistry(t)
	ca := os.Getenv("SSL_CERT_FILE")
	if ca == "" {
		ca = "/etc/ssl/certs/ca-certificates.crt"
	}
	hostCA, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	recipe := recipeHash("golang", golang, sha256Hex(hostCA))
	var digests []v1.Hash
	for _, tag := range golang.Tags {
		idx := pullIndex(t, reg, golang.Repo, tag, recipe)
		dg, _ := idx.Digest()
		digests = append(digests, dg)
	}
	if digests[0] != digests[1] {
		t.Errorf("tags %v point at different indexes %v", golang.Tags, digests)
	}
	idx := pullIndex(t, reg, golang.Repo, golang.Tags[0], recipe)
	imgs := platformImages(t, idx)
	img := imgs["linux/amd64"]
	if len(imgs) != 1 || img == nil {
		t.Fatalf("platforms %v, want linux/amd64", keys(imgs))
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Config
	if !slices.Equal(c.Env, golang.Env) || c.WorkingDir != "/go" ||
		!slices.Equal(c.Cmd, []string{"bash"}) || c.User != "" {
		t.Errorf("config %+v", c)
	}
	if cfg.Architecture != "amd64" || cfg.OS != "linux" || !cfg.Created.Equal(epoch) {
		t.Errorf("config platform %s/%s created %v", cfg.OS, cfg.Architecture, cfg.Created)
	}
	files := layerFiles(t, img, "etc/ssl/certs/ca-certificates.crt", "usr/local/go/VERSION",
		"etc/apt/sources.list")
	if e := files.get("etc/ssl/certs/ca-certificates.crt"); e == nil ||
		!bytes.Equal(e.data, hostCA) {
		t.Errorf("the CA bundle is not the host's %s", ca)
	}
	if e := files.get("usr/local/go/bin/go"); e == nil || e.hdr.Mode&0o111 != 0o111 {
		t.Errorf("/usr/local/go/bin/go is missing or not executable: %+v", e)
	}
	if e := files.get("usr/local/go/VERSION"); e == nil ||
		!strings.HasPrefix(string(e.data), "go"+golang.GoVersion+"\n") {
		t.Errorf("/usr/local/go/VERSION is not go%s", golang.GoVersion)
	}
	if e := files.get("etc/apt/sources.list"); e == nil ||
		!strings.Contains(string(e.data), " "+debianSuite+" main") {
		t.Errorf("/etc/apt/sources.list does not name %s", debianSuite)
	}
	for _, p := range []string{"go", "go/bin", "go/src"} {
		if e := files.get(p); e == nil || e.hdr.Mode != 0o1777 {
			t.Errorf("/%s: %+v, want mode 1777", p, e)
		}
	}
	for _, p := range []string{"/bin/bash", "/usr/bin/gcc", "/usr/bin/make", "/usr/bin/git",
		"/usr/bin/curl", "/usr/bin/pkg-config", "/usr/bin/apt-get",
		"/usr/local/go/pkg/tool/linux_amd64/compile", "/usr/local/go/src/go.mod",
		"/usr/include/stdio.h"} {
		if resolve(files, p) == nil {
			t.Errorf("%s is missing", p)
		}
	}
	for _, p := range []string{"etc/resolv.conf", "etc/hostname", "dev/null"} {
		if files.get(p) != nil {
			t.Errorf("/%s should not be in the image", p)
		}
	}
}
