package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"strings"
)

// hostCAName is where the golang look-alike keeps a copy of the host's CA
// bundle, so update-ca-certificates (run by apt triggers in a build) keeps
// the host's extra certificates in the regenerated bundle.
const hostCAName = "usr/local/share/ca-certificates/kiln-host-ca-bundle.crt"

// golangRootfsSkip drops from the bootstrapped Debian tree what belongs to
// the machine that made it: device nodes, the host's name and resolver,
// downloaded packages and package lists (like the official images).
func golangRootfsSkip(name string) bool {
	switch {
	case strings.HasPrefix(name, "dev/"), strings.HasPrefix(name, "proc/"),
		strings.HasPrefix(name, "sys/"):
		return true
	case name == "etc/hostname", name == "etc/resolv.conf":
		return true
	case strings.HasPrefix(name, "var/cache/apt/archives/"):
		return strings.HasSuffix(name, ".deb")
	case strings.HasPrefix(name, "var/cache/apt/") && strings.HasSuffix(name, ".bin"):
		return true
	case strings.HasPrefix(name, "var/lib/apt/lists/"):
		base := path.Base(name)
		return base != "lock" && base != "partial"
	}
	return false
}

// golangBaseTree is the Debian layer of the golang look-alike: the
// bootstrapped root file system with the host's CA bundle in place of
// Debian's.
func golangBaseTree(rootfs string, hostCA []byte) (*tree, error) {
	t := newTree()
	if err := t.addDir(rootfs, "", golangRootfsSkip); err != nil {
		return nil, err
	}
	if e := t.get("etc/ssl/certs/ca-certificates.crt"); e == nil {
		return nil, fmt.Errorf("%s has no /etc/ssl/certs/ca-certificates.crt", rootfs)
	}
	t.file("etc/ssl/certs/ca-certificates.crt", 0o644, hostCA)
	t.file(hostCAName, 0o644, hostCA)
	return t, nil
}

// goTree is the Go layer of the golang look-alike: GOROOT at /usr/local/go
// taken from a golang.org/toolchain module directory, and GOPATH /go.
func goTree(goroot string) (*tree, error) {
	src := newTree()
	if err := src.addDir(goroot, "", nil); err != nil {
		return nil, err
	}
	t := newTree()
	t.dir("usr", 0o755, 0, 0)
	t.dir("usr/local", 0o755, 0, 0)
	t.dir("usr/local/go", 0o755, 0, 0)
	for _, rel := range src.names() {
		e := *src.entries[rel]
		e.hdr.Uid, e.hdr.Gid = 0, 0
		e.link = nil // the module cache has no hardlinks worth keeping
		switch e.hdr.Typeflag {
		case tar.TypeDir:
			e.hdr.Mode = 0o755
		case tar.TypeReg:
			e.hdr.Mode = 0o644
			if goExecutable(rel, e) {
				e.hdr.Mode = 0o755
			}
		}
		e.hdr.Name = "usr/local/go/" + rel
		t.put(&e)
		// The module zip cannot hold nested go.mod files, so they are stored
		// as _go.mod; the go command copies them back on first use.
		if path.Base(rel) == "_go.mod" && e.hdr.Typeflag == tar.TypeReg {
			gomod := path.Join(path.Dir(rel), "go.mod")
			if src.get(gomod) == nil {
				c := e
				c.hdr.Name = "usr/local/go/" + gomod
				t.put(&c)
			}
		}
	}
	if t.get("usr/local/go/bin/go") == nil {
		return nil, fmt.Errorf("%s has no bin/go: not a Go toolchain", goroot)
	}
	for _, d := range []string{"go", "go/bin", "go/src"} {
		t.dir(d, 0o1777, 0, 0)
	}
	return t, nil
}

// goExecutable reports whether a GOROOT file gets execute bits: those the
// go command marks after a toolchain download (bin, pkg/tool and the wasm
// exec wrappers) and the shell scripts of src.
func goExecutable(rel string, e entry) bool {
	if e.hdr.Mode&0o111 != 0 || strings.HasPrefix(rel, "bin/") ||
		strings.HasPrefix(rel, "pkg/tool/") {
		return true
	}
	base := path.Base(rel)
	if strings.HasPrefix(rel, "lib/") {
		if ok, _ := path.Match("go_?*_?*_exec", base); ok {
			return true
		}
	}
	if strings.HasSuffix(base, ".bash") || strings.HasSuffix(base, ".sh") {
		return hasShebang(e.src)
	}
	return false
}

func hasShebang(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 2)
	_, err = io.ReadFull(f, b)
	return err == nil && string(b) == "#!"
}

// goModDownload runs `go mod download -json mod` and returns the module
// directory and the module's checksum.
func goModDownload(ctx context.Context, mod string) (dir, sum string, err error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Dir = os.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GO111MODULE=on")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var res struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(out, &res); jerr == nil && res.Error != "" {
		return "", "", fmt.Errorf("go mod download %s: %s (check go env GOPROXY)", mod,
			res.Error)
	}
	if err != nil {
		return "", "", fmt.Errorf("go mod download %s: %v: %s (check go env GOPROXY)", mod,
			err, strings.TrimSpace(stderr.String()))
	}
	if res.Dir == "" {
		return "", "", fmt.Errorf("go mod download %s gave no directory", mod)
	}
	return res.Dir, res.Sum, nil
}
