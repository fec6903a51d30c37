package policy

import (
	"context"
	"debug/elf"
	"errors"
	"path"
	"regexp"
	"slices"
	"strings"
)

// libDirs are the folders the dynamic loader searches by default, before
// the multiarch folders found inside /lib and /usr/lib.
var libDirs = []string{"/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib"}

// libraryFile matches the names of shared libraries and loaders.
var libraryFile = regexp.MustCompile(`(^ld-.*\.so(\.[0-9.]+)?$)|(\.so(\.[0-9.]+)?$)`)

// BaseFromRootfs reads what a runtime base provides from its root file
// system: the shared libraries in the loader's default folders (following
// links such as /lib -> usr/lib), whether there is a C library, and the
// glibc version, from the symbol versions libc.so.6 defines. It lists a
// handful of folders and reads libc.so.6 only.
func BaseFromRootfs(ctx context.Context, fsys FS) (Base, error) {
	t := newTree(ctx, fsys)
	dirs, err := libraryDirs(t)
	if err != nil {
		return Base{}, err
	}
	var b Base
	libc := ""
	for _, dir := range dirs {
		entries, err := t.list(dir)
		if err != nil {
			return Base{}, err
		}
		for name := range entries {
			if !libraryFile.MatchString(name) {
				continue
			}
			b.Libs = append(b.Libs, name)
			if name == "libc.so.6" && libc == "" {
				libc = path.Join(dir, name)
			}
		}
	}
	slices.Sort(b.Libs)
	b.Libs = slices.Compact(b.Libs)
	if b.Libs == nil {
		b.Libs = []string{}
	}
	b.Libc = libc != "" || slices.ContainsFunc(b.Libs, func(l string) bool {
		return strings.HasPrefix(l, "ld-musl-") || strings.HasPrefix(l, "libc.musl-")
	})
	if libc != "" {
		if b.GlibcVersion, err = glibcVersion(t, libc); err != nil {
			return Base{}, err
		}
	}
	return b, nil
}

// libraryDirs returns the real paths of the library folders that exist,
// each once, with the multiarch folders (such as x86_64-linux-gnu).
func libraryDirs(t *tree) ([]string, error) {
	var out []string
	add := func(p string) error {
		f, err := t.stat(p)
		if errors.Is(err, errNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if f.Mode.IsDir() && !slices.Contains(out, f.Path) {
			out = append(out, f.Path)
		}
		return nil
	}
	for _, d := range libDirs {
		if err := add(d); err != nil {
			return nil, err
		}
	}
	for _, d := range slices.Clone(out) {
		entries, err := t.list(d)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(entries))
		for name := range entries {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if strings.Contains(name, "-linux-") {
				if err := add(path.Join(d, name)); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// glibcVersion returns the newest GLIBC_ version that the libc at p
// defines, or "" when it defines none.
func glibcVersion(t *tree, p string) (string, error) {
	f, err := t.stat(p)
	if errors.Is(err, errNotFound) || (err == nil && !f.Mode.IsRegular()) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if f.Size > maxELFSize {
		return "", nil
	}
	ra, err := openFile(t.ctx, t.fsys, f)
	if err != nil {
		return "", err
	}
	ef, err := elf.NewFile(ra)
	if err != nil {
		return "", nil // not an ELF file: the version stays unknown
	}
	defer ef.Close()
	defs, err := ef.DynamicVersions()
	if err != nil {
		return "", nil
	}
	newest := ""
	for _, d := range defs {
		if v, ok := strings.CutPrefix(d.Name, "GLIBC_"); ok && isVersion(v) &&
			(newest == "" || compareVersions(v, newest) > 0) {
			newest = v
		}
	}
	return newest, nil
}
