package policy_test

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/kilnbuild/kiln/policy"
)

// memFS is an in-memory root file system for tests. Like the gateway's
// file API, it refuses to list through a symbolic link, so the code under
// test must resolve links itself.
type memFS struct {
	files map[string]policy.File
	data  map[string][]byte
	// reads counts ReadFile calls.
	reads atomic.Int64
}

// newMemFS returns a file system with only the root folder.
func newMemFS() *memFS {
	return &memFS{files: map[string]policy.File{}, data: map[string][]byte{}}
}

// dir adds folders (and their parents) owned by root with mode 0755.
func (m *memFS) dir(paths ...string) *memFS {
	for _, p := range paths {
		m.dirMode(p, 0o755, 0, 0)
	}
	return m
}

// dirMode adds a folder with the given mode and owner, and its parents.
func (m *memFS) dirMode(p string, mode fs.FileMode, uid, gid uint32) *memFS {
	m.parents(p)
	m.files[p] = policy.File{Path: p, Mode: fs.ModeDir | mode, UID: uid, GID: gid}
	return m
}

// parents adds the missing parent folders of p.
func (m *memFS) parents(p string) {
	for d := path.Dir(p); d != "/"; d = path.Dir(d) {
		if _, ok := m.files[d]; !ok {
			m.files[d] = policy.File{Path: d, Mode: fs.ModeDir | 0o755}
		}
	}
}

// file adds a regular file owned by root.
func (m *memFS) file(p string, mode fs.FileMode, content string) *memFS {
	return m.fileOwned(p, mode, 0, 0, []byte(content))
}

// fileOwned adds a regular file with the given owner.
func (m *memFS) fileOwned(p string, mode fs.FileMode, uid, gid uint32, content []byte) *memFS {
	m.parents(p)
	m.files[p] = policy.File{Path: p, Mode: mode, UID: uid, GID: gid, Size: int64(len(content))}
	m.data[p] = content
	return m
}

// link adds a symbolic link.
func (m *memFS) link(p, target string) *memFS {
	m.parents(p)
	m.files[p] = policy.File{Path: p, Mode: fs.ModeSymlink | 0o777, Linkname: target}
	return m
}

// ReadDir lists dir, which must be a real folder.
func (m *memFS) ReadDir(ctx context.Context, dir string) ([]policy.File, error) {
	if dir != "/" {
		f, ok := m.files[dir]
		if !ok || !f.Mode.IsDir() {
			return nil, fmt.Errorf("%s: not a folder", dir)
		}
	}
	var out []policy.File
	for p, f := range m.files {
		if path.Dir(p) == dir && p != "/" {
			out = append(out, f)
		}
	}
	// Return the entries out of order, as a real backend may.
	slices.SortFunc(out, func(a, b policy.File) int { return strings.Compare(b.Path, a.Path) })
	return out, nil
}

// ReadFile returns the start of a regular file.
func (m *memFS) ReadFile(ctx context.Context, p string, limit int) ([]byte, error) {
	m.reads.Add(1)
	f, ok := m.files[p]
	if !ok || !f.Mode.IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	d := m.data[p]
	if limit >= 0 && len(d) > limit {
		d = d[:limit]
	}
	return d, nil
}

// distroless returns a look-alike of the distroless static nonroot image:
// no shell, nonroot 65532 with its home, sticky scratch folders (/tmp,
// /var/tmp, /var/lock, /run/lock), a CA bundle and
// /etc/passwd and /etc/group.
func distroless() *memFS {
	m := newMemFS()
	m.dir("/bin", "/etc/ssl/certs", "/usr/share/zoneinfo", "/var/lib/dpkg/status.d")
	for _, d := range []string{"/tmp", "/var/tmp", "/var/lock", "/run/lock"} {
		m.dirMode(d, fs.ModeSticky|0o777, 0, 0)
	}
	m.dirMode("/home/nonroot", 0o700, 65532, 65532)
	m.dirMode("/root", 0o700, 0, 0)
	m.file("/etc/passwd", 0o644, "root:x:0:0:root:/root:/sbin/nologin\n"+
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"+
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
	m.file("/etc/group", 0o644, "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\n"+
		"nonroot:x:65532:\n")
	m.file("/etc/ssl/certs/ca-certificates.crt", 0o644,
		"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	m.file("/usr/share/zoneinfo/UTC", 0o644, "TZif2")
	m.file("/var/lib/dpkg/status.d/base-files", 0o644, "Package: base-files\n")
	return m
}

// rangeFS adds ReadFileRange to a memFS and counts the bytes it returns.
type rangeFS struct {
	*memFS
	bytes atomic.Int64
}

// ReadFileRange returns part of a regular file.
func (r *rangeFS) ReadFileRange(ctx context.Context, p string, off int64,
	n int) ([]byte, error) {
	d, err := r.memFS.ReadFile(ctx, p, -1)
	if err != nil {
		return nil, err
	}
	if off >= int64(len(d)) {
		return nil, nil
	}
	d = d[off:min(int64(len(d)), off+int64(n))]
	r.bytes.Add(int64(len(d)))
	return d, nil
}
