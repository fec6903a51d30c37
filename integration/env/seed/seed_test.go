package main

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// makeHostTree writes a small tree with the given mtime; order reverses the
// creation order so that directory listing order differs between calls.
func makeHostTree(t *testing.T, mtime time.Time, reverse bool) string {
	t.Helper()
	dir := t.TempDir()
	files := []struct {
		name string
		mode os.FileMode
		data string
	}{
		{"etc/passwd", 0o644, "root:x:0:0::/root:/bin/sh\n"},
		{"usr/bin/tool", 0o755, "#!/bin/true\n"},
		{"usr/lib/a.so", 0o644, strings.Repeat("x", 5000)},
		{"z/last", 0o600, "z"},
	}
	if reverse {
		slices.Reverse(files)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(dir, "usr/lib/a.so"),
		filepath.Join(dir, "usr/lib/a.so.1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/bin", filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func layerOf(t *testing.T, dir string) (string, layerInfo) {
	t.Helper()
	tr := newTree()
	if err := tr.addDir(dir, "", nil); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "layer.tar.gz")
	info, err := writeLayerFile(tr, p)
	if err != nil {
		t.Fatal(err)
	}
	return p, info
}

func readLayer(t *testing.T, p string) []*tar.Header {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var hs []*tar.Header
	r := tar.NewReader(zr)
	for {
		h, err := r.Next()
		if err == io.EOF {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
}

func TestLayerDeterministic(t *testing.T) {
	p1, a := layerOf(t, makeHostTree(t, time.Unix(1e9, 0), false))
	_, b := layerOf(t, makeHostTree(t, time.Now(), true))
	if a != b {
		t.Fatalf("same tree, different layers:\n%+v\n%+v", a, b)
	}
	hs := readLayer(t, p1)
	var names []string
	byName := map[string]*tar.Header{}
	for _, h := range hs {
		names = append(names, h.Name)
		byName[h.Name] = h
		if !h.ModTime.Equal(epoch) {
			t.Errorf("%s: mtime %v, want %v", h.Name, h.ModTime, epoch)
		}
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q:%q, want none", h.Name, h.Uname, h.Gname)
		}
	}
	want := []string{"bin", "etc/", "etc/passwd", "tmp/", "usr/", "usr/bin/",
		"usr/bin/tool", "usr/lib/", "usr/lib/a.so", "usr/lib/a.so.1", "z/", "z/last"}
	if !slices.Equal(names, want) {
		t.Errorf("entries\n%q\nwant\n%q", names, want)
	}
	if h := byName["bin"]; h.Typeflag != tar.TypeSymlink || h.Linkname != "usr/bin" {
		t.Errorf("bin: %+v, want symlink to usr/bin", h)
	}
	if h := byName["usr/lib/a.so.1"]; h.Typeflag != tar.TypeLink ||
		h.Linkname != "usr/lib/a.so" {
		t.Errorf("a.so.1: type %q link %q, want hardlink to usr/lib/a.so", h.Typeflag,
			h.Linkname)
	}
	if h := byName["usr/lib/a.so"]; h.Size != 5000 {
		t.Errorf("a.so size %d, want 5000", h.Size)
	}
	if h := byName["tmp/"]; h.Mode != 0o1777 {
		t.Errorf("tmp mode %o, want 1777", h.Mode)
	}
	if h := byName["usr/bin/tool"]; h.Mode != 0o755 {
		t.Errorf("tool mode %o, want 755", h.Mode)
	}
	if h := byName["z/last"]; h.Mode != 0o600 {
		t.Errorf("z/last mode %o, want 600", h.Mode)
	}
}

func TestPathOrder(t *testing.T) {
	tr := newTree()
	for _, n := range []string{"a.b", "a/b", "a-c/d", "./b", "/c/d/e"} {
		tr.file(n, 0o644, nil)
	}
	got := tr.names()
	want := []string{"a", "a/b", "a-c", "a-c/d", "a.b", "b", "c", "c/d", "c/d/e"}
	if !slices.Equal(got, want) {
		t.Errorf("names %q, want %q", got, want)
	}
}

func TestPasswdGroup(t *testing.T) {
	users := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(passwdContent), "\n") {
		f := strings.Split(l, ":")
		if len(f) != 7 {
			t.Fatalf("passwd line %q has %d fields", l, len(f))
		}
		users[f[0]] = strings.Join(f[2:], ":")
	}
	want := map[string]string{
		"root":    "0:0:root:/root:/sbin/nologin",
		"nonroot": "65532:65532:nonroot:/home/nonroot:/sbin/nologin",
		"nobody":  "65534:65534:nobody:/nonexistent:/sbin/nologin",
	}
	for u, w := range want {
		if users[u] != w {
			t.Errorf("passwd %s = %q, want %q", u, users[u], w)
		}
	}
	groups := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(groupContent), "\n") {
		f := strings.Split(l, ":")
		if len(f) != 4 {
			t.Fatalf("group line %q has %d fields", l, len(f))
		}
		groups[f[0]] = f[2]
	}
	for g, id := range map[string]string{"root": "0", "nonroot": "65532", "nobody": "65534"} {
		if groups[g] != id {
			t.Errorf("group %s = %q, want %s", g, groups[g], id)
		}
	}
}

// fakePkg makes a package whose files are given as name -> content; a name
// ending in "/" is a directory, "->" makes a symlink, a leading "x " makes
// an executable.
func fakePkg(name, arch string, files map[string]string) *debPkg {
	t := newTree()
	for n, c := range files {
		switch {
		case strings.HasSuffix(n, "/"):
			t.dir(n, 0o755, 0, 0)
		case strings.HasPrefix(c, "->"):
			t.symlink(n, strings.TrimPrefix(c, "->"))
		case strings.HasPrefix(c, "x "):
			t.file(n, 0o755, []byte(c[2:]))
		default:
			t.file(n, 0o644, []byte(c))
		}
	}
	return &debPkg{Name: name, Version: "1", Arch: arch, Files: t,
		Control: []byte("Package: " + name + "\nVersion: 1\nArchitecture: " + arch + "\n")}
}

// osRelease is the os-release of the fake base-files package.
const osRelease = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\n"

func fakePackages(arch string) map[string]*debPkg {
	return map[string]*debPkg{
		"base-files": fakePkg("base-files", arch, map[string]string{
			"bin": "->usr/bin", "lib": "->usr/lib", "sbin": "->usr/sbin",
			"lib64": "->usr/lib64", "etc/os-release": "->../usr/lib/os-release",
			"usr/lib/os-release":                    osRelease,
			"etc/update-motd.d/10-uname":            "x #!/bin/sh\n",
			"usr/share/base-files/profile":          "PATH=/bin\n",
			"usr/share/doc/base-files/copyright":    "c",
			"usr/share/doc/base-files/changelog.gz": "log",
		}),
		"netbase": fakePkg("netbase", "all", map[string]string{"etc/services": "http 80/tcp\n"}),
		"tzdata":  fakePkg("tzdata", "all", map[string]string{"usr/share/zoneinfo/UTC": "TZif"}),
		"ca-certificates": fakePkg("ca-certificates", "all", map[string]string{
			"usr/share/ca-certificates/mozilla/B.crt":        "-----B-----\n",
			"usr/share/ca-certificates/mozilla/A.crt":        "-----A-----",
			"usr/sbin/update-ca-certificates":                "x #!/bin/sh\n",
			"usr/share/man/man8/update-ca-certificates.8.gz": "man",
		}),
		"libc6": fakePkg("libc6", arch, map[string]string{
			"usr/lib/x86_64-linux-gnu/libc.so.6":     "x elf",
			"usr/lib64/ld-linux-x86-64.so.2":         "->../lib/x86_64-linux-gnu/ld.so",
			"usr/bin/sh":                             "x not really a shell",
			"usr/share/lintian/overrides/libc6":      "o",
			"etc/ld.so.conf.d/x86_64-linux-gnu.conf": "/usr/lib/x86_64-linux-gnu\n",
		}),
		"libssl3t64": fakePkg("libssl3t64", arch,
			map[string]string{"usr/lib/ssl.so": "s"}),
		"libzstd1": fakePkg("libzstd1", arch,
			map[string]string{"usr/lib/z.so": "z"}),
		"zlib1g": fakePkg("zlib1g", arch,
			map[string]string{"usr/lib/zl.so": "z"}),
		"openssl-provider-legacy": fakePkg("openssl-provider-legacy", arch, nil),
	}
}

func TestDistrolessStatic(t *testing.T) {
	tr, err := assembleDistroless(distrolessFlavours[0], amd64, fakePackages("amd64"))
	if err != nil {
		t.Fatal(err)
	}
	type owner struct {
		typ      byte
		mode     int64
		uid, gid int
	}
	for name, want := range map[string]owner{
		"home/nonroot":                       {tar.TypeDir, 0o700, 65532, 65532},
		"root":                               {tar.TypeDir, 0o700, 0, 0},
		"tmp":                                {tar.TypeDir, 0o1777, 0, 0},
		"etc/passwd":                         {tar.TypeReg, 0o644, 0, 0},
		"etc/group":                          {tar.TypeReg, 0o644, 0, 0},
		"etc/nsswitch.conf":                  {tar.TypeReg, 0o644, 0, 0},
		"etc/ssl/certs/ca-certificates.crt":  {tar.TypeReg, 0o644, 0, 0},
		"etc/os-release":                     {tar.TypeSymlink, 0o777, 0, 0},
		"usr/lib/os-release":                 {tar.TypeReg, 0o644, 0, 0},
		"usr/share/zoneinfo/UTC":             {tar.TypeReg, 0o644, 0, 0},
		"etc/services":                       {tar.TypeReg, 0o644, 0, 0},
		"usr/share/doc/base-files/copyright": {tar.TypeReg, 0o644, 0, 0},
		"var/lib/dpkg/status.d/tzdata":       {tar.TypeReg, 0o644, 0, 0},
		"bin":                                {tar.TypeSymlink, 0o777, 0, 0},
		"usr/bin":                            {tar.TypeDir, 0o755, 0, 0},
	} {
		e := tr.get(name)
		if e == nil {
			t.Errorf("/%s is missing", name)
			continue
		}
		got := owner{e.hdr.Typeflag, e.hdr.Mode, e.hdr.Uid, e.hdr.Gid}
		if got != want {
			t.Errorf("/%s: %+v, want %+v", name, got, want)
		}
	}
	for _, name := range []string{"etc/update-motd.d/10-uname", "usr/sbin/update-ca-certificates",
		"usr/share/base-files/profile", "usr/share/doc/base-files/changelog.gz",
		"usr/share/man", "usr/share/ca-certificates", "lib64", "usr/lib/x86_64-linux-gnu"} {
		if tr.get(name) != nil {
			t.Errorf("/%s should not be in the static image", name)
		}
	}
	bundle := string(tr.get("etc/ssl/certs/ca-certificates.crt").data)
	if bundle != "-----A-----\n-----B-----\n" {
		t.Errorf("CA bundle %q, want A then B, newline-terminated", bundle)
	}
	status := string(tr.get("var/lib/dpkg/status.d/tzdata").data)
	if !strings.Contains(status, "Package: tzdata\nStatus: install ok installed\n") {
		t.Errorf("status.d/tzdata = %q", status)
	}
}

func TestDistrolessBase(t *testing.T) {
	tr, err := assembleDistroless(distrolessFlavours[1], amd64, fakePackages("amd64"))
	if err != nil {
		t.Fatal(err)
	}
	if e := tr.get("lib64"); e == nil || e.hdr.Linkname != "usr/lib64" {
		t.Errorf("lib64 should link to usr/lib64, got %+v", e)
	}
	if tr.get("usr/lib/x86_64-linux-gnu/libc.so.6") == nil {
		t.Errorf("libc is missing")
	}
	if tr.get("usr/bin/sh") != nil {
		t.Errorf("a package's usr/bin/sh made it into the image")
	}
	if tr.get("usr/share/lintian") != nil {
		t.Errorf("lintian overrides made it into the image")
	}
	if err := checkNoShell(tr); err != nil {
		t.Error(err)
	}
	// A package for the wrong architecture is refused.
	if _, err := assembleDistroless(distrolessFlavours[1], arm64,
		fakePackages("amd64")); err == nil {
		t.Errorf("amd64 packages accepted for arm64")
	}
}

func TestCheckNoShell(t *testing.T) {
	for _, bad := range []string{"usr/local/bin/tool", "opt/busybox", "usr/lib/x/bash"} {
		tr := newTree()
		tr.file(bad, 0o755, nil)
		if checkNoShell(tr) == nil {
			t.Errorf("/%s was not flagged", bad)
		}
	}
}

func TestGoTree(t *testing.T) {
	root := t.TempDir()
	for name, c := range map[string]string{
		"bin/go":                        "elf",
		"pkg/tool/linux_amd64/compile":  "elf",
		"lib/wasm/go_js_wasm_exec":      "#!/bin/sh\n",
		"lib/wasm/wasm_exec.js":         "js",
		"src/make.bash":                 "#!/usr/bin/env bash\n",
		"src/net/http/server.go":        "package http\n",
		"src/_go.mod":                   "module std\n",
		"src/crypto/x/_asm/_go.mod":     "module asm\n",
		"src/cmd/go/testdata/script.sh": "not a script\n",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o555); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := goTree(root)
	if err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]int64{
		"usr/local/go/bin/go":                        0o755,
		"usr/local/go/pkg/tool/linux_amd64/compile":  0o755,
		"usr/local/go/lib/wasm/go_js_wasm_exec":      0o755,
		"usr/local/go/lib/wasm/wasm_exec.js":         0o644,
		"usr/local/go/src/make.bash":                 0o755,
		"usr/local/go/src/net/http/server.go":        0o644,
		"usr/local/go/src/go.mod":                    0o644,
		"usr/local/go/src/crypto/x/_asm/go.mod":      0o644,
		"usr/local/go/src/cmd/go/testdata/script.sh": 0o644,
		"usr/local/go/src":                           0o755,
		"go":                                         0o1777,
		"go/bin":                                     0o1777,
		"go/src":                                     0o1777,
	} {
		e := tr.get(name)
		if e == nil {
			t.Errorf("/%s is missing", name)
			continue
		}
		if e.hdr.Mode != mode || e.hdr.Uid != 0 || e.hdr.Gid != 0 {
			t.Errorf("/%s: mode %o owner %d:%d, want %o 0:0", name, e.hdr.Mode, e.hdr.Uid,
				e.hdr.Gid, mode)
		}
	}
	if _, err := goTree(t.TempDir()); err == nil {
		t.Errorf("an empty folder was taken for a GOROOT")
	}
}

func TestGolangRootfsSkip(t *testing.T) {
	for name, want := range map[string]bool{
		"dev/null":                         true,
		"dev":                              false,
		"etc/resolv.conf":                  true,
		"etc/hostname":                     true,
		"etc/hosts":                        false,
		"var/cache/apt/archives/gcc_1.deb": true,
		"var/cache/apt/archives/partial":   false,
		"var/cache/apt/pkgcache.bin":       true,
		"var/lib/apt/lists/x_Packages":     true,
		"var/lib/apt/lists/lock":           false,
		"etc/apt/sources.list":             false,
	} {
		if got := golangRootfsSkip(name); got != want {
			t.Errorf("skip(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestAptMirrors(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "etc/apt/sources.list.d")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	deb822 := `Types: deb
# a comment
URIs: http://archive.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
`
	if err := os.WriteFile(filepath.Join(d, "debian.sources"), []byte(deb822),
		0o644); err != nil {
		t.Fatal(err)
	}
	m, s := aptMirrors(root)
	if m != "http://archive.example/debian" || s != "http://security.example/debian-security" {
		t.Errorf("deb822: mirror %q security %q", m, s)
	}
	oneLine := "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian" +
		" trixie main\ndeb http://one.example/sec trixie-security main\n"
	if err := os.WriteFile(filepath.Join(root, "etc/apt/sources.list"), []byte(oneLine),
		0o644); err != nil {
		t.Fatal(err)
	}
	m, s = aptMirrors(root)
	if m != "http://one.example/debian" || s != "http://one.example/sec" {
		t.Errorf("one-line: mirror %q security %q", m, s)
	}
}

func TestRecipeHashStable(t *testing.T) {
	a, b := distrolessRecipe(distrolessFlavours[0]), distrolessRecipe(distrolessFlavours[0])
	if a != b || a == distrolessRecipe(distrolessFlavours[1]) {
		t.Errorf("recipe hashes: %s %s %s", a, b, distrolessRecipe(distrolessFlavours[1]))
	}
}

func TestPruneSiblings(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"golang-go-amd64-0123456789abcdef.tar.gz", "golang-go-amd64-0123456789abcdef.tar.gz.json",
		"golang-go-amd64-fedcba9876543210.tar.gz", "golang-go-amd64-fedcba9876543210.tar.gz.json",
		"golang-go-amd64-extra-0123456789abcdef.tar.gz", "golang-debian-amd64-0123456789abcdef",
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pruneSiblings(dir, "golang-go-amd64", "golang-go-amd64-fedcba9876543210.tar.gz")
	ents, _ := os.ReadDir(dir)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := []string{"golang-debian-amd64-0123456789abcdef",
		"golang-go-amd64-extra-0123456789abcdef.tar.gz",
		"golang-go-amd64-fedcba9876543210.tar.gz", "golang-go-amd64-fedcba9876543210.tar.gz.json"}
	if !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
}
