package policy

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// Base is what the runtime base image provides to dynamically linked
// programs. BaseFromRootfs reads it from an image.
type Base struct {
	// Libc is set when the base has a C library (glibc or musl).
	Libc bool
	// GlibcVersion is the version of the base's glibc, such as "2.41";
	// empty when the base has none or it is unknown, and then symbol
	// versions are not checked.
	GlibcVersion string
	// Libs are the file names of the shared libraries in the base's
	// library folders, such as libc.so.6 and ld-linux-x86-64.so.2, sorted.
	// nil means unknown, and then needed libraries are not checked.
	Libs []string
}

// maxELFSize bounds the size of an executable that CheckArtifacts reads.
const maxELFSize = 1 << 30

// CheckArtifacts evaluates the artifact rules on the executables and
// shared libraries at paths in fsys, which are files or folders (searched
// recursively for files with an execute bit or a shared library name).
// arch is the target architecture, as GOARCH or a platform such as
// linux/arm64/v8; empty skips artifact-wrong-arch. base is what the runtime
// base provides. Paths that do not exist are skipped, and so are files
// that are not ELF. The violations are sorted by path.
func CheckArtifacts(ctx context.Context, fsys FS, paths []string, arch string,
	base Base) ([]Violation, error) {
	t := newTree(ctx, fsys)
	files, err := candidates(t, paths)
	if err != nil {
		return nil, err
	}
	var vs []Violation
	for _, f := range files {
		got, err := checkELF(t, f, normalizeArch(arch), base)
		if err != nil {
			return nil, err
		}
		vs = append(vs, got...)
	}
	Sort(vs)
	return vs, nil
}

// candidates returns the regular files at or under paths that may be ELF
// programs or libraries, once each, by real path.
func candidates(t *tree, paths []string) ([]File, error) {
	seen := map[string]bool{}
	var out []File
	add := func(f File) {
		if f.Mode.IsRegular() && !seen[f.Path] {
			seen[f.Path] = true
			out = append(out, f)
		}
	}
	for _, p := range paths {
		f, err := t.stat(p)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !f.Mode.IsDir() {
			add(f)
			continue
		}
		err = t.walk(f.Path, func(e File) error {
			if e.Mode.Perm()&0o111 != 0 || isLibraryName(path.Base(e.Path)) {
				add(e)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// isLibraryName reports whether name looks like a shared library or a
// Node.js native addon.
func isLibraryName(name string) bool {
	return strings.HasSuffix(name, ".so") || strings.Contains(name, ".so.") ||
		strings.HasSuffix(name, ".node")
}

// elfInfo is what the artifact rules need from one ELF file.
type elfInfo struct {
	machine elf.Machine
	class   elf.Class
	order   string
	interp  string
	needed  []string
	runpath []string
	// glibc is the newest GLIBC_ version the file needs, and symbols the
	// symbols that need it.
	glibc   string
	symbols []string
	// cgo is "1" or "0" for a Go program, "" otherwise.
	cgo string
}

// checkELF applies the artifact rules to one file.
func checkELF(t *tree, f File, arch string, base Base) ([]Violation, error) {
	if f.Size < 52 || f.Size > maxELFSize {
		return nil, nil // smaller than an ELF header, or not a program
	}
	head, err := t.fsys.ReadFile(t.ctx, f.Path, 4)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Path, err)
	}
	if !bytes.Equal(head, []byte(elf.ELFMAG)) {
		return nil, nil
	}
	ra, err := openFile(t.ctx, t.fsys, f)
	if err != nil {
		return nil, err
	}
	info, err := readELF(ra)
	if err != nil {
		return nil, nil // a truncated or odd file is not this package's to judge
	}

	// A program for another CPU fails whatever the base has.
	if want, ok := machines[arch]; ok && !want.matches(info) {
		return []Violation{fileViolation(ArtifactWrongArch, f.Path, fmt.Sprintf(
			"%s is built for %s, but the target platform is %s; build it for "+
				"$TARGETARCH (for Go, GOARCH=$TARGETARCH in build.run), or copy the "+
				"file for ${TARGETARCH} in runtime.copy", f.Path, info.arch(), arch))}, nil
	}
	dynamic := info.interp != "" || len(info.needed) > 0
	if !dynamic {
		return nil, nil
	}
	if !base.Libc {
		return []Violation{needsLibc(f.Path, info)}, nil
	}
	var vs []Violation
	if base.GlibcVersion != "" && info.glibc != "" &&
		compareVersions(info.glibc, base.GlibcVersion) > 0 {
		vs = append(vs, fileViolation(ArtifactLibcTooNew, f.Path, fmt.Sprintf(
			"%s needs GLIBC_%s (for %s), but the runtime base has glibc %s; build on "+
				"the Debian release of the runtime base (kiln's toolchain images follow "+
				"it), or link the program statically", f.Path, info.glibc,
			strings.Join(info.symbols, ", "), base.GlibcVersion)))
	}
	missing, err := missingLibs(t, f.Path, info, base)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		vs = append(vs, fileViolation(ArtifactLibcTooNew, f.Path, fmt.Sprintf(
			"%s needs %s, which the runtime base does not have (it has %s); %s", f.Path,
			strings.Join(missing, ", "), base.summary(), libsFix(missing))))
	}
	return vs, nil
}

// needsLibc returns the artifact-needs-libc violation for a dynamic file.
func needsLibc(file string, info elfInfo) Violation {
	var needs []string
	if info.interp != "" {
		needs = append(needs, "the loader "+info.interp)
	}
	if len(info.needed) > 0 {
		needs = append(needs, strings.Join(info.needed, ", "))
	}
	fix := "link it statically, or set runtime.base to base (glibc) or cc " +
		"(glibc and libstdc++)"
	if info.cgo == "1" {
		fix = "it is a Go program built with CGO_ENABLED=1: set CGO_ENABLED=0 in " +
			"build.env for a static program, or set runtime.base to base"
	}
	return fileViolation(ArtifactNeedsLibc, file, fmt.Sprintf("%s is dynamically linked "+
		"and needs %s, but the runtime base has no C library; %s",
		file, strings.Join(needs, " and "), fix))
}

// libsFix says how to provide missing shared libraries.
func libsFix(missing []string) string {
	cc := []string{"libgcc_s.so.1", "libstdc++.so.6"}
	if !slices.ContainsFunc(missing, func(l string) bool { return !slices.Contains(cc, l) }) {
		return "set runtime.base to cc, which has libstdc++ and libgcc"
	}
	them := "them"
	if len(missing) == 1 {
		them = "it"
	}
	return fmt.Sprintf("link %s statically, copy %s into the image next to the program "+
		"(with a RUNPATH of $ORIGIN), or choose a runtime base that has %s", them, them, them)
}

// summary says what the base provides, for messages.
func (b Base) summary() string {
	libc := "no C library"
	switch {
	case b.GlibcVersion != "":
		libc = "glibc " + b.GlibcVersion
	case b.Libc:
		libc = "a C library"
	}
	return fmt.Sprintf("%s and %d shared libraries", libc, len(b.Libs))
}

// missingLibs returns the libraries and loader that info needs and neither
// the base nor the file's RUNPATH folders provide.
func missingLibs(t *tree, file string, info elfInfo, base Base) ([]string, error) {
	if base.Libs == nil {
		return nil, nil
	}
	want := slices.Clone(info.needed)
	if info.interp != "" {
		want = append(want, path.Base(info.interp))
	}
	var missing []string
	for _, lib := range want {
		if _, ok := slices.BinarySearch(base.Libs, lib); ok {
			continue
		}
		found, err := inRunpath(t, file, info.runpath, lib)
		if err != nil {
			return nil, err
		}
		if !found && !slices.Contains(missing, lib) {
			missing = append(missing, lib)
		}
	}
	return missing, nil
}

// inRunpath reports whether lib exists in one of the RUNPATH folders of
// the file at file, with $ORIGIN replaced by the file's folder.
func inRunpath(t *tree, file string, runpath []string, lib string) (bool, error) {
	for _, dir := range runpath {
		dir = strings.NewReplacer("${ORIGIN}", path.Dir(file), "$ORIGIN",
			path.Dir(file)).Replace(dir)
		if !path.IsAbs(dir) {
			continue
		}
		_, err := t.stat(path.Join(dir, lib))
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, errNotFound) {
			return false, err
		}
	}
	return false, nil
}

// readELF parses what the rules need from an ELF file.
func readELF(ra io.ReaderAt) (elfInfo, error) {
	ef, err := elf.NewFile(ra)
	if err != nil {
		return elfInfo{}, err
	}
	defer ef.Close()
	info := elfInfo{machine: ef.Machine, class: ef.Class, order: ef.ByteOrder.String()}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err == nil {
				info.interp = strings.TrimRight(string(b), "\x00")
			}
		}
	}
	info.needed, _ = ef.DynString(elf.DT_NEEDED)
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		vals, _ := ef.DynString(tag)
		for _, v := range vals {
			info.runpath = append(info.runpath, strings.Split(v, ":")...)
		}
	}
	info.glibc, info.symbols = newestGlibc(ef)
	if bi, err := buildinfo.Read(ra); err == nil {
		info.cgo = "0"
		for _, s := range bi.Settings {
			if s.Key == "CGO_ENABLED" {
				info.cgo = s.Value
			}
		}
	}
	return info, nil
}

// newestGlibc returns the newest GLIBC_ symbol version ef needs and up to
// three symbols that need it.
func newestGlibc(ef *elf.File) (string, []string) {
	needs, err := ef.DynamicVersionNeeds()
	if err != nil {
		return "", nil
	}
	newest := ""
	for _, n := range needs {
		for _, d := range n.Needs {
			if v, ok := strings.CutPrefix(d.Dep, "GLIBC_"); ok && isVersion(v) &&
				(newest == "" || compareVersions(v, newest) > 0) {
				newest = v
			}
		}
	}
	if newest == "" {
		return "", nil
	}
	syms, _ := ef.ImportedSymbols()
	var names []string
	for _, s := range syms {
		if s.Version == "GLIBC_"+newest && !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	if len(names) > 3 {
		names = append(names[:3], "...")
	}
	if len(names) == 0 {
		names = []string{"its symbol versions"}
	}
	return newest, names
}
