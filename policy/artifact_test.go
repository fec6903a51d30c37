package policy_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kilnbuild/kiln/policy"
)

// fixtureSources are the programs the artifact tests compile.
var fixtureSources = map[string]string{
	"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n",
	"cgo/main.go": "package main\n\n// int answer(void) { return 42; }\nimport \"C\"\n\n" +
		"func main() { println(C.answer()) }\n",
	"hello.c":  "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
	"foo.c":    "int foo(void) { return 42; }\n",
	"usefoo.c": "int foo(void);\nint main(void) { return foo() == 42 ? 0 : 1; }\n",
}

// fixtureSet holds the compiled programs, by name, and why some are
// missing.
type fixtureSet struct {
	dir     string
	noC     string
	noCgo   string
	built   map[string]bool
	onceErr error
}

var (
	fixturesOnce sync.Once
	fixtures     fixtureSet
)

// foreignArch is an architecture other than the host's.
func foreignArch() string {
	if runtime.GOARCH == "arm64" {
		return "amd64"
	}
	return "arm64"
}

// fixtureRoot is the temporary folder TestMain makes for the fixtures, so
// that they are compiled once and removed at the end of the run.
var fixtureRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kiln-policy-fixtures-")
	if err != nil {
		panic(err)
	}
	fixtureRoot = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildFixtures compiles every fixture the first time a test asks.
func buildFixtures(t *testing.T) fixtureSet {
	t.Helper()
	fixturesOnce.Do(func() {
		dir := fixtureRoot
		fixtures = fixtureSet{dir: dir, built: map[string]bool{}}
		for name, src := range fixtureSources {
			p := filepath.Join(dir, name)
			_ = os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
				fixtures.onceErr = err
				return
			}
		}
		_ = os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fixture\n\ngo 1.22\n"),
			0o644)
		run := func(env []string, args ...string) error {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), append([]string{"GOTOOLCHAIN=local",
				"GOFLAGS=-buildvcs=false"}, env...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Logf("%s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return err
		}
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if run([]string{"CGO_ENABLED=0"}, goTool, "build", "-o", "go-static", "main.go") ==
			nil {
			fixtures.built["go-static"] = true
		}
		if run([]string{"CGO_ENABLED=0", "GOARCH=" + foreignArch()}, goTool, "build", "-o",
			"go-foreign", "main.go") == nil {
			fixtures.built["go-foreign"] = true
		}
		if _, err := exec.LookPath("gcc"); err != nil {
			fixtures.noC, fixtures.noCgo = "no gcc", "no gcc"
			return
		}
		if run([]string{"CGO_ENABLED=1"}, goTool, "build", "-o", "go-cgo", "./cgo") == nil {
			fixtures.built["go-cgo"] = true
		}
		steps := map[string][]string{
			"c-dynamic": {"gcc", "-o", "c-dynamic", "hello.c"},
			"c-static":  {"gcc", "-static", "-o", "c-static", "hello.c"},
			"libfoo.so": {"gcc", "-shared", "-fPIC", "-o", "libfoo.so", "foo.c"},
			"c-usefoo":  {"gcc", "-o", "c-usefoo", "usefoo.c", "-L.", "-lfoo"},
			"c-runpath": {"gcc", "-o", "c-runpath", "usefoo.c", "-L.", "-lfoo",
				"-Wl,-rpath,$ORIGIN/lib"},
		}
		for _, name := range []string{"c-dynamic", "c-static", "libfoo.so", "c-usefoo",
			"c-runpath"} {
			if run(nil, steps[name]...) == nil {
				fixtures.built[name] = true
			}
		}
	})
	if fixtures.onceErr != nil {
		t.Fatal(fixtures.onceErr)
	}
	return fixtures
}

// need skips the test unless every named fixture was built.
func (f fixtureSet) need(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if !f.built[n] {
			t.Skipf("fixture %s could not be built here (see the log)", n)
		}
	}
}

// host adds a file from the host to m at p, with the given mode.
func (m *memFS) host(t *testing.T, p, hostPath string, mode os.FileMode) *memFS {
	t.Helper()
	data, err := os.ReadFile(hostPath)
	if err != nil {
		t.Fatal(err)
	}
	return m.fileOwned(p, mode, 0, 0, data)
}

// glibcBase is a runtime base with the host's glibc version and the
// libraries a C program needs.
func glibcBase(version string) policy.Base {
	return policy.Base{Libc: true, GlibcVersion: version, Libs: []string{
		"ld-linux-aarch64.so.1", "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6"}}
}

// hostGlibc returns the host's glibc version, such as "2.36".
func hostGlibc(t *testing.T) string {
	out, err := exec.Command("getconf", "GNU_LIBC_VERSION").Output()
	v, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "glibc ")
	if err != nil || !ok {
		t.Skip("the host has no glibc")
	}
	return v
}

func TestCheckArtifacts(t *testing.T) {
	f := buildFixtures(t)
	native := runtime.GOARCH
	static := policy.Base{Libs: []string{}}
	tests := []struct {
		name  string
		files map[string]string // image path: fixture
		paths []string
		arch  string
		base  func(t *testing.T) policy.Base
		want  []string
	}{
		{"static Go on static", map[string]string{"/app/hello": "go-static"},
			[]string{"/app/hello"}, native, nil, nil},
		{"static Go for the wrong arch", map[string]string{"/app/hello": "go-static"},
			[]string{"/app/hello"}, foreignArch(), nil,
			[]string{"artifact-wrong-arch@/app/hello"}},
		{"foreign Go for its arch, as a platform", map[string]string{"/app/hello": "go-foreign"},
			[]string{"/app/hello"}, "linux/" + foreignArch(), nil, nil},
		{"foreign Go for the host", map[string]string{"/app/hello": "go-foreign"},
			[]string{"/app/hello"}, native, nil, []string{"artifact-wrong-arch@/app/hello"}},
		{"no arch skips the arch rule", map[string]string{"/app/hello": "go-foreign"},
			[]string{"/app/hello"}, "", nil, nil},

		{"dynamic C on static", map[string]string{"/app/hello": "c-dynamic"},
			[]string{"/app/hello"}, native, nil, []string{"artifact-needs-libc@/app/hello"}},
		{"cgo Go on static", map[string]string{"/app/hello": "go-cgo"},
			[]string{"/app/hello"}, native, nil, []string{"artifact-needs-libc@/app/hello"}},
		{"static C on static", map[string]string{"/app/hello": "c-static"},
			[]string{"/app/hello"}, native, nil, nil},

		{"dynamic C on an older glibc", map[string]string{"/app/hello": "c-dynamic"},
			[]string{"/app/hello"}, native,
			func(t *testing.T) policy.Base { return glibcBase("2.17") },
			[]string{"artifact-libc-too-new@/app/hello"}},
		{"dynamic C on the same glibc", map[string]string{"/app/hello": "c-dynamic"},
			[]string{"/app/hello"}, native,
			func(t *testing.T) policy.Base { return glibcBase(hostGlibc(t)) }, nil},
		{"a base without the loader", map[string]string{"/app/hello": "c-dynamic"},
			[]string{"/app/hello"}, native, func(t *testing.T) policy.Base {
				return policy.Base{Libc: true, GlibcVersion: "9.99", Libs: []string{"libc.so.6"}}
			}, []string{"artifact-libc-too-new@/app/hello"}},
		{"a library the base lacks", map[string]string{"/app/usefoo": "c-usefoo"},
			[]string{"/app/usefoo"}, native,
			func(t *testing.T) policy.Base { return glibcBase(hostGlibc(t)) },
			[]string{"artifact-libc-too-new@/app/usefoo"}},
		{"a library beside the program on its RUNPATH",
			map[string]string{"/app/runpath": "c-runpath", "/app/lib/libfoo.so": "libfoo.so"},
			[]string{"/app"}, native,
			func(t *testing.T) policy.Base { return glibcBase(hostGlibc(t)) }, nil},

		// libfoo.so uses nothing from libc, so the linker records no needs.
		{"a folder: only programs and libraries are read",
			map[string]string{"/app/hello": "go-static", "/app/c": "c-dynamic",
				"/app/lib/libfoo.so": "libfoo.so"},
			[]string{"/app", "/app/hello", "/missing"}, native, nil,
			[]string{"artifact-needs-libc@/app/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := distroless()
			for p, name := range tt.files {
				f.need(t, name)
				mode := os.FileMode(0o755)
				if strings.Contains(p, "/lib/") {
					mode = 0o644
				}
				m.host(t, p, filepath.Join(f.dir, name), mode)
			}
			m.file("/app/README", 0o644, "\x7fELF but a text file that only looks like one")
			base := static
			if tt.base != nil {
				base = tt.base(t)
			}
			vs, err := policy.CheckArtifacts(context.Background(), m, tt.paths, tt.arch, base)
			if err != nil {
				t.Fatal(err)
			}
			// Reading in ranges finds the same.
			rvs, err := policy.CheckArtifacts(context.Background(), &rangeFS{memFS: m},
				tt.paths, tt.arch, base)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(vs, rvs, func(a, b policy.Violation) bool {
				return a.String() == b.String()
			}) {
				t.Errorf("whole files: %v\nranges: %v", vs, rvs)
			}
			got, want := ids(vs), tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				var lines []string
				for _, v := range vs {
					lines = append(lines, v.String())
				}
				t.Errorf("got %q\nwant %q\n%s", got, want, strings.Join(lines, "\n"))
			}
		})
	}
}

func TestCheckArtifactsMessages(t *testing.T) {
	f := buildFixtures(t)
	f.need(t, "go-cgo", "c-dynamic", "c-usefoo")
	m := distroless()
	m.host(t, "/app/cgo", filepath.Join(f.dir, "go-cgo"), 0o755)
	m.host(t, "/app/c", filepath.Join(f.dir, "c-dynamic"), 0o755)
	m.host(t, "/app/usefoo", filepath.Join(f.dir, "c-usefoo"), 0o755)
	ctx := context.Background()

	vs, err := policy.CheckArtifacts(ctx, m, []string{"/app/cgo"}, "", policy.Base{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || !strings.Contains(vs[0].Message, "CGO_ENABLED=0 in build.env") ||
		!strings.Contains(vs[0].Message, "libc.so.6") {
		t.Errorf("cgo on static: %v", vs)
	}

	vs, err = policy.CheckArtifacts(ctx, m, []string{"/app/c", "/app/usefoo"}, "",
		glibcBase("2.17"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	text := strings.Join(got, "\n")
	for _, want := range []string{
		"/app/c: error[artifact-libc-too-new]: /app/c needs GLIBC_2.",
		"but the runtime base has glibc 2.17",
		"/app/usefoo: error[artifact-libc-too-new]: /app/usefoo needs libfoo.so, which " +
			"the runtime base does not have",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
}

func TestBaseFromRootfs(t *testing.T) {
	libc, err := filepath.EvalSymlinks("/lib/x86_64-linux-gnu/libc.so.6")
	if err != nil || runtime.GOARCH != "amd64" {
		t.Skip("needs the glibc of an amd64 Debian host")
	}
	version := hostGlibc(t)
	ctx := context.Background()

	// A merged-/usr glibc base, like distroless base-debian13.
	m := distroless()
	delete(m.files, "/bin")
	m.link("/bin", "usr/bin").link("/lib", "usr/lib").link("/lib64", "usr/lib64")
	m.host(t, "/usr/lib/x86_64-linux-gnu/libc.so.6", libc, 0o755)
	m.file("/usr/lib/x86_64-linux-gnu/libm.so.6", 0o644, "lib")
	m.file("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", 0o755, "lib")
	m.link("/usr/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
	m.file("/usr/lib/os-release", 0o644, "ID=debian")
	b, err := policy.BaseFromRootfs(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	want := policy.Base{Libc: true, GlibcVersion: version,
		Libs: []string{"ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6"}}
	if b.Libc != want.Libc || b.GlibcVersion != want.GlibcVersion ||
		!slices.Equal(b.Libs, want.Libs) {
		t.Errorf("got %+v\nwant %+v", b, want)
	}
	r := &rangeFS{memFS: m}
	if b, err := policy.BaseFromRootfs(ctx, r); err != nil || b.GlibcVersion != version {
		t.Errorf("reading ranges: got %+v, %v", b, err)
	}

	// A static base has neither.
	b, err = policy.BaseFromRootfs(ctx, distroless())
	if err != nil {
		t.Fatal(err)
	}
	if b.Libc || b.GlibcVersion != "" || b.Libs == nil || len(b.Libs) != 0 {
		t.Errorf("static base: got %+v", b)
	}

	// musl.
	m = distroless().file("/lib/ld-musl-x86_64.so.1", 0o755, "lib")
	if b, err = policy.BaseFromRootfs(ctx, m); err != nil || !b.Libc || b.GlibcVersion != "" {
		t.Errorf("musl base: got %+v, %v", b, err)
	}
}

func TestCheckArtifactsReadsRanges(t *testing.T) {
	f := buildFixtures(t)
	f.need(t, "go-cgo")
	m := distroless().host(t, "/app/cgo", filepath.Join(f.dir, "go-cgo"), 0o755)
	r := &rangeFS{memFS: m}
	vs, err := policy.CheckArtifacts(context.Background(), r, []string{"/app/cgo"}, "",
		policy.Base{})
	if err != nil {
		t.Fatal(err)
	}
	// The build information still says CGO_ENABLED=1.
	if len(vs) != 1 || !strings.Contains(vs[0].Message, "CGO_ENABLED=1") {
		t.Errorf("got %v", vs)
	}
	size := m.files["/app/cgo"].Size
	if got := r.bytes.Load(); got*2 > size {
		t.Errorf("read %d bytes of a %d-byte program; want well under half", got, size)
	}
	t.Logf("read %d of %d bytes", r.bytes.Load(), size)
}
