package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// File describes one entry of a root file system.
type File struct {
	// Path is the absolute, clean path of the entry, such as /app/hello.
	Path string
	// Mode holds the type and permission bits, as in io/fs, including
	// fs.ModeSetuid, fs.ModeSetgid and fs.ModeSticky.
	Mode fs.FileMode
	// UID and GID own the entry.
	UID, GID uint32
	// Size is the length of a regular file in bytes.
	Size int64
	// Linkname is the target of a symbolic link, as stored in the link.
	Linkname string
}

// FS is a read-only view of a root file system. The frontend backs it
// with the BuildKit gateway's ReadDir and ReadFile, so nothing runs inside
// the image. Paths are absolute and never pass through a symbolic link:
// this package resolves links itself.
type FS interface {
	// ReadDir returns the entries of the folder dir, with absolute paths.
	// The order does not matter.
	ReadDir(ctx context.Context, dir string) ([]File, error)
	// ReadFile returns at most limit bytes from the start of the regular
	// file at path.
	ReadFile(ctx context.Context, path string, limit int) ([]byte, error)
}

// Walk calls fn for every entry under root, root itself excluded, in
// lexical order of the paths, parents before their contents. It does not
// follow symbolic links. As with fs.WalkDir, fs.SkipDir returned for a
// folder skips its contents, and for a file the rest of its folder;
// fs.SkipAll ends the walk without error; any other error ends it and is
// returned.
func Walk(ctx context.Context, fsys FS, root string, fn func(File) error) error {
	err := newTree(ctx, fsys).walk(path.Clean("/"+root), fn)
	if errors.Is(err, fs.SkipDir) || errors.Is(err, fs.SkipAll) {
		return nil
	}
	return err
}

// readDir lists dir sorted by path, with clean absolute paths.
func readDir(ctx context.Context, fsys FS, dir string) ([]File, error) {
	entries, err := fsys.ReadDir(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("reading folder %s: %w", dir, err)
	}
	out := make([]File, 0, len(entries))
	for _, f := range entries {
		f.Path = path.Clean(f.Path)
		if !path.IsAbs(f.Path) || path.Dir(f.Path) != dir {
			f.Path = path.Join(dir, path.Base(f.Path))
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
	return out, nil
}

// maxLinks is the number of symbolic links a lookup follows before it
// gives up, as Linux does.
const maxLinks = 40

// tree looks up entries of a root file system by path, listing each
// folder at most once.
type tree struct {
	ctx  context.Context
	fsys FS
	// dirs holds the listed folders: path to entry name to entry.
	dirs map[string]map[string]File
	// sorted holds the same listings sorted by path, for walks.
	sorted map[string][]File
}

// newTree returns a tree over fsys.
func newTree(ctx context.Context, fsys FS) *tree {
	return &tree{ctx: ctx, fsys: fsys, dirs: map[string]map[string]File{},
		sorted: map[string][]File{}}
}

// addDir records the complete listing of dir, so that lookups need not
// list it again.
func (t *tree) addDir(dir string, entries []File) {
	m := make(map[string]File, len(entries))
	for _, f := range entries {
		m[path.Base(f.Path)] = f
	}
	t.dirs[dir] = m
	t.sorted[dir] = entries
}

// list returns the entries of the real folder dir, by name.
func (t *tree) list(dir string) (map[string]File, error) {
	if m, ok := t.dirs[dir]; ok {
		return m, nil
	}
	entries, err := readDir(t.ctx, t.fsys, dir)
	if err != nil {
		return nil, err
	}
	t.addDir(dir, entries)
	return t.dirs[dir], nil
}

// walk calls fn for every entry under dir as Walk does, and keeps the
// listings for later lookups.
func (t *tree) walk(dir string, fn func(File) error) error {
	if err := t.ctx.Err(); err != nil {
		return err
	}
	if _, err := t.list(dir); err != nil {
		return err
	}
	for _, f := range t.sorted[dir] {
		err := fn(f)
		if errors.Is(err, fs.SkipDir) {
			if f.Mode.IsDir() {
				continue // skip the folder's contents
			}
			return nil // skip the rest of this folder
		}
		if err != nil {
			return err
		}
		if f.Mode.IsDir() {
			if err := t.walk(f.Path, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// errNotFound says that a path does not exist in the image.
var errNotFound = errors.New("no such file or folder")

// lstat returns the entry at p without following a final symbolic link;
// links in the folders above it are followed. The returned File's Path is
// the real location.
func (t *tree) lstat(p string) (File, error) {
	return t.lookup(p, false, 0)
}

// stat returns the entry at p, following every symbolic link.
func (t *tree) stat(p string) (File, error) {
	return t.lookup(p, true, 0)
}

// lookup resolves p one component at a time from the root.
func (t *tree) lookup(p string, follow bool, hops int) (File, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return File{Path: "/", Mode: fs.ModeDir | 0o755}, nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	dir := "/"
	for i, name := range parts {
		entries, err := t.list(dir)
		if err != nil {
			return File{}, err
		}
		f, ok := entries[name]
		if !ok {
			return File{}, fmt.Errorf("%s: %w", path.Join(dir, name), errNotFound)
		}
		last := i == len(parts)-1
		if f.Mode&fs.ModeSymlink != 0 && (!last || follow) {
			if hops >= maxLinks {
				return File{}, fmt.Errorf("%s: too many symbolic links", p)
			}
			target := f.Linkname
			if !path.IsAbs(target) {
				target = path.Join(dir, target)
			}
			rest := path.Join(append([]string{target}, parts[i+1:]...)...)
			return t.lookup(rest, follow, hops+1)
		}
		if last {
			return f, nil
		}
		if !f.Mode.IsDir() {
			return File{}, fmt.Errorf("%s is not a folder: %w", f.Path, errNotFound)
		}
		dir = f.Path
	}
	return File{}, fmt.Errorf("%s: %w", p, errNotFound)
}
