package main

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// entry is one file system object of a layer. Regular files carry their
// content either in memory (data) or as the path of a host file (src).
type entry struct {
	hdr  tar.Header // Name is the clean relative path, without "./" or "/"
	data []byte
	src  string
	// link groups the names of one hardlinked file; the first name in layer
	// order is written as the regular file, the others as links to it.
	link *linkGroup
}

// linkGroup ties together the entries that are hardlinks of one file; only
// its identity matters (the field keeps distinct groups at distinct addresses).
type linkGroup struct{ _ byte }

// tree is a root file system under construction, keyed by clean path.
type tree struct {
	entries map[string]*entry
}

func newTree() *tree { return &tree{entries: map[string]*entry{}} }

// cleanPath turns a tar or host path into the tree's key: relative, clean,
// no leading "./" or "/". The root itself gives "".
func cleanPath(p string) string {
	p = path.Clean("/" + strings.TrimPrefix(p, "./"))
	return strings.TrimPrefix(p, "/")
}

func (t *tree) get(name string) *entry { return t.entries[cleanPath(name)] }

// put adds or replaces e, creating missing parent directories (0755, root).
func (t *tree) put(e *entry) {
	e.hdr.Name = cleanPath(e.hdr.Name)
	if e.hdr.Name == "" {
		return
	}
	t.mkdirAll(path.Dir(e.hdr.Name))
	t.entries[e.hdr.Name] = e
}

// mkdirAll creates name and its parents as root-owned 0755 directories where
// they are missing. Existing entries are left as they are.
func (t *tree) mkdirAll(name string) {
	name = cleanPath(name)
	if name == "" {
		return
	}
	if _, ok := t.entries[name]; ok {
		return
	}
	t.mkdirAll(path.Dir(name))
	t.entries[name] = &entry{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: 0o755}}
}

// dir adds a directory with the given mode and owner.
func (t *tree) dir(name string, mode int64, uid, gid int) {
	t.put(&entry{hdr: tar.Header{Name: name, Typeflag: tar.TypeDir, Mode: mode,
		Uid: uid, Gid: gid}})
}

// file adds a root-owned regular file with content data.
func (t *tree) file(name string, mode int64, data []byte) {
	t.put(&entry{hdr: tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: mode,
		Size: int64(len(data))}, data: data})
}

// symlink adds a root-owned symbolic link.
func (t *tree) symlink(name, target string) {
	t.put(&entry{hdr: tar.Header{Name: name, Typeflag: tar.TypeSymlink, Mode: 0o777,
		Linkname: target}})
}

// remove deletes name and everything below it.
func (t *tree) remove(name string) {
	name = cleanPath(name)
	for p := range t.entries {
		if p == name || strings.HasPrefix(p, name+"/") {
			delete(t.entries, p)
		}
	}
}

// names returns the paths in layer order: a parent before its children,
// siblings sorted bytewise (the order of GNU tar --sort=name).
func (t *tree) names() []string {
	names := make([]string, 0, len(t.entries))
	for p := range t.entries {
		names = append(names, p)
	}
	sort.Slice(names, func(i, j int) bool { return pathLess(names[i], names[j]) })
	return names
}

// pathLess compares paths component by component.
func pathLess(a, b string) bool {
	return strings.ReplaceAll(a, "/", "\x00") < strings.ReplaceAll(b, "/", "\x00")
}

// addTar reads a tar stream (for example a .deb's data) into t; filter, when
// not nil, decides which paths to keep. Hardlinks are kept as link groups.
func (t *tree) addTar(r io.Reader, filter func(name string) bool) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := cleanPath(h.Name)
		if name == "" || (filter != nil && !filter(name)) {
			continue
		}
		e := &entry{hdr: tar.Header{Name: name, Mode: h.Mode & 0o7777, Uid: h.Uid,
			Gid: h.Gid, Typeflag: h.Typeflag}}
		switch h.Typeflag {
		case tar.TypeDir:
		case tar.TypeReg, tar.TypeRegA:
			e.hdr.Typeflag = tar.TypeReg
			e.data, err = io.ReadAll(tr)
			if err != nil {
				return err
			}
			e.hdr.Size = int64(len(e.data))
		case tar.TypeSymlink:
			e.hdr.Linkname = h.Linkname
		case tar.TypeLink:
			target := t.get(h.Linkname)
			if target == nil || target.hdr.Typeflag != tar.TypeReg {
				return fmt.Errorf("hardlink %s to missing %s", name, h.Linkname)
			}
			if target.link == nil {
				target.link = &linkGroup{}
			}
			e.hdr.Typeflag = tar.TypeReg
			e.hdr.Size = target.hdr.Size
			e.data, e.src, e.link = target.data, target.src, target.link
		default:
			continue // devices, fifos: not wanted in an image layer
		}
		t.put(e)
	}
}

// addDir walks the host directory root into t below prefix, keeping modes,
// owners, symlinks and hardlinks. skip, when not nil, drops a path (and,
// for a directory, everything below it). Devices, fifos and sockets are
// left out. File content is read from the host when the layer is written.
func (t *tree) addDir(root, prefix string, skip func(name string) bool) error {
	groups := map[[2]uint64]*linkGroup{}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := cleanPath(path.Join(prefix, filepath.ToSlash(rel)))
		if rel != "." && skip != nil && skip(name) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if name == "" {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := &entry{hdr: tar.Header{Name: name, Mode: modeBits(fi.Mode())}}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			e.hdr.Uid, e.hdr.Gid = int(st.Uid), int(st.Gid)
			if fi.Mode().IsRegular() && st.Nlink > 1 {
				key := [2]uint64{uint64(st.Dev), st.Ino}
				if groups[key] == nil {
					groups[key] = &linkGroup{}
				}
				e.link = groups[key]
			}
		}
		switch m := fi.Mode(); {
		case m.IsDir():
			e.hdr.Typeflag = tar.TypeDir
		case m.IsRegular():
			e.hdr.Typeflag = tar.TypeReg
			e.hdr.Size = fi.Size()
			e.src = p
		case m&fs.ModeSymlink != 0:
			e.hdr.Typeflag = tar.TypeSymlink
			if e.hdr.Linkname, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			return nil
		}
		t.put(e)
		return nil
	})
}

// modeBits converts a Go file mode to the permission bits of a tar header.
func modeBits(m fs.FileMode) int64 {
	b := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}
