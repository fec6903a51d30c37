package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnbuild/kiln/policy"
	"github.com/kilnbuild/kiln/policy/report"
	"github.com/kilnbuild/kiln/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sample is a spec that breaks several rules and allows one.
const sample = `# syntax=ghcr.io/kilnbuild/kiln:1
name: legacy-agent
language: go
args:
  NPM_TOKEN: ""
runtime:
  base: debian:13
  user: root
  ports: [8080]
  healthcheck: {exec: [sh, -c, "pgrep agent"]}
policy:
  allow:
    - {rule: base-not-minimal, reason: "the vendor ships the agent as a Debian package only"}
`

// sampleReport checks sample and adds a rootfs violation, as the frontend
// would after building.
func sampleReport(t *testing.T) report.Report {
	t.Helper()
	s, err := spec.Parse("examples/agent/kiln.yaml", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	vs := policy.CheckSpec(s)
	vs = append(vs, policy.CheckPinned(s, []policy.Image{
		{Key: "runtime.base", Ref: "debian:13"}}, nil)...)
	shell, _ := policy.Lookup(policy.RootfsShell)
	vs = append(vs, policy.Violation{Rule: shell, File: "/bin/sh",
		Message: "the runtime image has the shell /bin/sh (a link to dash); use a " +
			"distroless runtime base (static, base or cc) and copy no shell into the image"})
	counted, allowed, errs := policy.Apply(s, vs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return report.Report{File: s.Filename(), Counted: counted, Allowed: allowed,
		Version: "v0.1.0-test"}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./policy/report -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run go test ./policy/report -update and "+
			"review the diff.\ngot:\n%s", p, got)
	}
}

func TestGolden(t *testing.T) {
	r := sampleReport(t)
	for _, tt := range []struct {
		format report.Format
		file   string
	}{
		{report.Text, "sample.txt"},
		{report.JSON, "sample.json"},
		{report.SARIF, "sample.sarif"},
	} {
		t.Run(string(tt.format), func(t *testing.T) {
			var b bytes.Buffer
			if err := report.Write(&b, tt.format, r); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, b.Bytes())

			// The same input gives the same bytes.
			var again bytes.Buffer
			if err := report.Write(&again, tt.format, sampleReport(t)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b.Bytes(), again.Bytes()) {
				t.Error("two runs wrote different output")
			}
		})
	}
}

func TestEmptyReports(t *testing.T) {
	r := report.Report{File: "kiln.yaml"}
	var txt, js bytes.Buffer
	if err := report.WriteText(&txt, r); err != nil || txt.Len() != 0 {
		t.Errorf("text: %q, %v", txt.String(), err)
	}
	if err := report.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"file\": \"kiln.yaml\",\n  \"counted\": 0,\n  \"allowed\": 0,\n" +
		"  \"violations\": []\n}\n"
	if js.String() != want {
		t.Errorf("json:\n%s\nwant:\n%s", js.String(), want)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"text", "JSON", "sarif"} {
		if _, err := report.ParseFormat(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := report.ParseFormat("xml"); err == nil {
		t.Error("xml was accepted")
	}
}
