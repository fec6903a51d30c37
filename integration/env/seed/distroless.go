package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"path"
	"strings"
)

// distrolessDrop lists path prefixes of package data that a distroless
// image leaves out: documentation other than copyright files, shell
// profiles, maintainer helpers, debugger scripts.
var distrolessDrop = []string{
	"etc/ca-certificates", "etc/default", "etc/profile.d", "etc/skel", "etc/update-motd.d",
	"usr/share/base-files", "usr/share/bug", "usr/share/ca-certificates",
	"usr/share/doc-base", "usr/share/gcc", "usr/share/gdb", "usr/share/info",
	"usr/share/lintian", "usr/share/locale", "usr/share/man", "usr/share/pixmaps",
	"usr/games", "usr/include", "usr/src", "usr/libexec",
}

// binDirs are the directories that must hold no file at all in a
// distroless image (so no shell, no package manager, no busybox).
var binDirs = []string{"bin", "sbin", "usr/bin", "usr/sbin", "usr/local/bin",
	"usr/local/sbin"}

// forbidden are base names that must not appear anywhere as a file.
var forbidden = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true,
	"busybox": true, "apt": true, "apt-get": true, "dpkg": true, "apk": true}

// distrolessKeep reports whether a path of package data goes into the
// image.
func distrolessKeep(name string) bool {
	for _, p := range distrolessDrop {
		if name == p || strings.HasPrefix(name, p+"/") {
			return false
		}
	}
	// usr/share/doc/PKG/copyright only.
	if rest, ok := strings.CutPrefix(name, "usr/share/doc/"); ok {
		parts := strings.Split(rest, "/")
		return len(parts) == 1 || (len(parts) == 2 && parts[1] == "copyright")
	}
	return true
}

// assembleDistroless builds the root file system of flavour d on platform p
// from the packages pkgs (by name). It runs no maintainer script: the CA
// bundle, the users and the merged-usr links are made here.
func assembleDistroless(d distroless, p platform, pkgs map[string]*debPkg) (*tree, error) {
	t := newTree()
	for _, name := range d.Packages {
		pkg := pkgs[name]
		if pkg == nil {
			return nil, fmt.Errorf("%s: package %s is missing", d.repo(), name)
		}
		if pkg.Arch != "all" && pkg.Arch != p.Arch {
			return nil, fmt.Errorf("%s: package %s is for %s, not %s", d.repo(), name,
				pkg.Arch, p.Arch)
		}
		if name == "ca-certificates" {
			bundle, err := caBundle(pkg.Files)
			if err != nil {
				return nil, err
			}
			t.file("etc/ssl/certs/ca-certificates.crt", 0o644, bundle)
		}
		for _, n := range pkg.Files.names() {
			if distrolessKeep(n) {
				c := *pkg.Files.entries[n]
				t.put(&c)
			}
		}
		t.file("var/lib/dpkg/status.d/"+name, 0o644, statusParagraph(pkg.Control))
	}
	skeleton(t, p)
	for _, dir := range binDirs {
		for _, n := range t.names() {
			if strings.HasPrefix(n, dir+"/") && t.entries[n].hdr.Typeflag != tar.TypeDir {
				t.remove(n)
			}
		}
	}
	return t, checkNoShell(t)
}

// skeleton adds what the maintainer scripts and distroless' own rules would
// add: users and groups, home folders, /tmp, name service switch, the
// merged-usr links.
func skeleton(t *tree, p platform) {
	for _, d := range []string{"usr/bin", "usr/sbin", "usr/lib", "etc/ssl/certs", "var/lib/dpkg"} {
		t.mkdirAll(d)
	}
	t.dir("root", 0o700, 0, 0)
	t.dir("home", 0o755, 0, 0)
	t.dir("home/nonroot", 0o700, 65532, 65532)
	t.dir("tmp", 0o1777, 0, 0)
	t.file("etc/passwd", 0o644, []byte(passwdContent))
	t.file("etc/group", 0o644, []byte(groupContent))
	t.file("etc/nsswitch.conf", 0o644, []byte(nsswitchContent))
	for _, l := range []string{"bin", "sbin", "lib"} {
		t.symlink(l, "usr/"+l)
	}
	if p.Lib64 && t.get("usr/lib64") != nil {
		t.symlink("lib64", "usr/lib64")
	} else if e := t.get("lib64"); e != nil && e.hdr.Typeflag == tar.TypeSymlink {
		t.remove("lib64") // a dangling link from base-files
	}
}

// caBundle concatenates the certificates of Debian's ca-certificates
// package, as update-ca-certificates would with the default selection.
func caBundle(files *tree) ([]byte, error) {
	var b bytes.Buffer
	n := 0
	for _, name := range files.names() {
		e := files.entries[name]
		if !strings.HasPrefix(name, "usr/share/ca-certificates/") ||
			path.Ext(name) != ".crt" || e.hdr.Typeflag != tar.TypeReg {
			continue
		}
		b.Write(e.data)
		if len(e.data) > 0 && e.data[len(e.data)-1] != '\n' {
			b.WriteByte('\n')
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("ca-certificates holds no certificate")
	}
	return b.Bytes(), nil
}

// statusParagraph turns a control paragraph into a dpkg status entry, as
// distroless keeps them in /var/lib/dpkg/status.d for scanners.
func statusParagraph(ctrl []byte) []byte {
	s := strings.TrimRight(string(ctrl), "\n")
	var out []string
	for _, line := range strings.Split(s, "\n") {
		out = append(out, line)
		if strings.HasPrefix(line, "Package:") {
			out = append(out, "Status: install ok installed")
		}
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

// checkNoShell fails when t holds a file under a shell's or package
// manager's name, or any file in a bin folder.
func checkNoShell(t *tree) error {
	for _, n := range t.names() {
		e := t.entries[n]
		if e.hdr.Typeflag == tar.TypeDir {
			continue
		}
		if forbidden[path.Base(n)] {
			return fmt.Errorf("distroless tree holds /%s", n)
		}
		for _, d := range binDirs {
			if strings.HasPrefix(n, d+"/") {
				return fmt.Errorf("distroless tree holds /%s", n)
			}
		}
	}
	return nil
}
