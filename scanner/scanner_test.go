package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	spdxjson "github.com/spdx/tools-golang/json"
)

// fakeStatus is a package record as distroless images keep them: one file
// per package under /var/lib/dpkg/status.d/.
const fakeStatus = `Package: kiln-fake-base
Version: 1.2-3
Architecture: amd64
Maintainer: kiln tests <tests@example.com>
Installed-Size: 12
Section: misc
Priority: optional
Description: a package record the scanner must report
`

const osRelease = `PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
ID=debian
`

// runMainEnv makes the test binary run the scanner's main instead of the
// tests, so TestScannerProtocol starts the scanner as a process without
// compiling it a second time.
const runMainEnv = "KILN_SCANNER_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestScannerProtocol runs the scanner as BuildKit does: an image
// root filesystem at $BUILDKIT_SCAN_SOURCE, one extra source, and an empty
// destination. The image holds a distroless-style dpkg record and a Go
// binary with a (vendored) dependency; the extra source is a source tree
// with a go.mod.
func TestScannerProtocol(t *testing.T) {
	goTool := lookGo(t)
	tmp := t.TempDir()

	src := filepath.Join(tmp, "run", "src")
	core := filepath.Join(src, "core", "sbom")
	extra := filepath.Join(src, "extras", "sbom-context")
	out := filepath.Join(tmp, "run", "out")
	writeFiles(t, core, map[string]string{
		"var/lib/dpkg/status.d/kiln-fake-base": fakeStatus,
		"etc/os-release":                       osRelease,
		// A manifest in an image declares nothing installed: not reported.
		"src/go.mod": "module example.com/leftover\n\ngo 1.26\n\n" +
			"require example.com/declared-only v0.9.0\n",
	})
	writeFiles(t, extra, map[string]string{
		"go.mod": "module example.com/ctx\n\ngo 1.26\n\nrequire example.com/declared v0.3.0\n",
	})
	goBuild(t, goTool, tinyModule(t, filepath.Join(tmp, "tiny")),
		filepath.Join(core, "app", "tiny"))
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), runMainEnv+"=1",
		envSource+"="+core,
		envExtras+"="+filepath.Dir(extra),
		envDestination+"="+out,
	)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scanner: %v\n%s", err, b)
	}

	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"sbom-context.spdx.json", "sbom.spdx.json"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("destination holds %v, want %v", names, want)
	}

	pkgs := readStatement(t, filepath.Join(out, "sbom.spdx.json"), tmp)
	// The main module has no version: it was built outside version control.
	for _, p := range []string{"kiln-fake-base@1.2-3", "example.com/tiny@UNKNOWN",
		"example.com/dep@v1.2.3"} {
		if !slices.Contains(pkgs, p) {
			t.Errorf("core SBOM lacks %s; it lists %v", p, pkgs)
		}
	}
	isStdlib := func(p string) bool { return strings.HasPrefix(p, "stdlib@go1.") }
	if !slices.ContainsFunc(pkgs, isStdlib) {
		t.Errorf("core SBOM lacks the Go standard library; it lists %v", pkgs)
	}
	if slices.Contains(pkgs, "example.com/declared-only@v0.9.0") {
		t.Errorf("core SBOM lists a module only declared in a go.mod: %v", pkgs)
	}
	ctxPkgs := readStatement(t, filepath.Join(out, "sbom-context.spdx.json"), tmp)
	if !slices.Contains(ctxPkgs, "example.com/declared@v0.3.0") {
		t.Errorf("context SBOM lacks example.com/declared@v0.3.0; it lists %v", ctxPkgs)
	}
}

// readStatement checks that path holds a single in-toto statement as
// BuildKit expects it and returns the "name@version" of its SPDX packages,
// read with the SPDX library BuildKit uses. File names must be paths in the
// scanned filesystem, not under root, the host folder that holds it.
func readStatement(t *testing.T, path, root string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Type          string            `json:"_type"`
		PredicateType string            `json:"predicateType"`
		Subject       []json.RawMessage `json:"subject"`
		Predicate     json.RawMessage   `json:"predicate"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if dec.More() {
		t.Fatalf("%s holds more than one JSON value", path)
	}
	if st.Type != statementType || st.PredicateType != predicateSPDX || len(st.Subject) != 0 {
		t.Fatalf("%s: statement header %q %q %d subjects", path, st.Type, st.PredicateType,
			len(st.Subject))
	}
	doc, err := spdxjson.Read(bytes.NewReader(st.Predicate))
	if err != nil {
		t.Fatalf("%s: predicate is not SPDX JSON: %v", path, err)
	}
	if doc.SPDXVersion != "SPDX-2.3" {
		t.Errorf("%s: SPDX version %q", path, doc.SPDXVersion)
	}
	var out []string
	for _, p := range doc.Packages {
		out = append(out, p.PackageName+"@"+p.PackageVersion)
	}
	for _, f := range doc.Files {
		if strings.Contains(f.FileName, root) {
			t.Errorf("%s: file name %s is a host path, not one in the image", path, f.FileName)
		}
	}
	return out
}

// tinyModule writes a main module that uses a vendored dependency, so the
// binary's build information names a third-party module without a network.
func tinyModule(t *testing.T, dir string) string {
	t.Helper()
	writeFiles(t, dir, map[string]string{
		"go.mod": "module example.com/tiny\n\ngo 1.26\n\nrequire example.com/dep v1.2.3\n",
		"main.go": "package main\n\nimport \"example.com/dep\"\n\n" +
			"func main() { println(dep.Name) }\n",
		"vendor/modules.txt": "# example.com/dep v1.2.3\n## explicit\n" +
			"example.com/dep\n",
		"vendor/example.com/dep/dep.go": "package dep\n\nconst Name = \"dep\"\n",
	})
	return dir
}

func lookGo(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the test binaries")
	}
	return p
}

// goBuild builds the main package in dir to out as a static binary.
func goBuild(t *testing.T, goTool, dir, out string) {
	t.Helper()
	cmd := exec.Command(goTool, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, b)
	}
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadConfig(t *testing.T) {
	for _, tc := range []struct {
		name     string
		env      []string
		want     config
		warnings int
		err      string
	}{{
		name: "as BuildKit runs it",
		env: []string{"PATH=/bin", envSource + "=/run/src/core/sbom",
			envExtras + "=/run/src/extras/", envDestination + "=/run/out/"},
		want: config{source: "/run/src/core/sbom", extras: "/run/src/extras/",
			destination: "/run/out/"},
	}, {
		name: "parameters",
		env: []string{envSource + "=/s", envDestination + "=/d",
			"BUILDKIT_SCAN_catalogers=+sbom-cataloger, -java go", "BUILDKIT_SCAN_mode=max"},
		want: config{source: "/s", destination: "/d",
			catalogers: []string{"+sbom-cataloger", "-java", "go"}},
		warnings: 1,
	}, {
		name: "not run by BuildKit",
		env:  []string{"PATH=/bin"},
		err:  "BUILDKIT_SCAN_SOURCE and BUILDKIT_SCAN_DESTINATION not set",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, warnings, err := readConfig(tc.env)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) || len(warnings) != tc.warnings {
				t.Errorf("got %+v and warnings %q, want %+v and %d warnings",
					got, warnings, tc.want, tc.warnings)
			}
		})
	}
}
