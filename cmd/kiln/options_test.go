package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
)

// specDir makes a folder holding a kiln.yaml and returns it.
func specDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data := "# syntax=ghcr.io/kilnbuild/kiln:1\nname: app\nlanguage: go\n"
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func noEnv(string) string { return "" }

// TestCommandLineErrors runs kiln with wrong command lines: none reaches a
// daemon, each fails with a message naming the mistake and the right exit
// code (2 for a usage error, 1 for a missing file).
func TestCommandLineErrors(t *testing.T) {
	dir := specDir(t)
	missing := filepath.Join(t.TempDir(), "nothing-here")
	if err := os.Mkdir(missing, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"build", "--bogus", dir}, 2, "unknown flag: --bogus"},
		{"unknown command", []string{"frob"}, 2, `unknown command "frob"`},
		{"misspelt command", []string{"biuld"}, 2, `did you mean "build"?`},
		{"usage hint names the command", []string{"build", "--platfrom", "x", dir}, 2,
			"Run 'kiln build --help' for usage."},
		{"two folders", []string{"build", dir, dir}, 2, "takes one folder"},
		{"build-arg without name", []string{"build", "--build-arg", "=1", dir}, 2,
			`"" is not a valid argument name`},
		{"build-arg bad name", []string{"build", "--build-arg", "A-B=1", dir}, 2,
			`"A-B" is not a valid argument name`},
		{"build-arg unset variable", []string{"build", "--build-arg",
			"KILN_TEST_SURELY_UNSET", dir}, 2, "has no value"},
		{"output without type", []string{"build", "-o", "dest=out", dir}, 2,
			"--output requires type=<type>"},
		{"output not key=value", []string{"build", "-o", "type=local,out", dir}, 2,
			"invalid value out"},
		{"local output without dest", []string{"build", "-o", "type=local", dir}, 2,
			"output directory is required for local exporter"},
		{"output= instead of dest=", []string{"build", "-o", "type=local,output=x", dir}, 2,
			"you meant dest=x"},
		{"bad platform", []string{"build", "--platform", "linux/amd64,not a platform", dir},
			2, `--platform "not a platform"`},
		{"bad tag", []string{"build", "-t", "UPPER/Case", dir}, 2, "not a valid image name"},
		{"push without name", []string{"build", "--push", dir}, 2, "--push needs -t NAME"},
		{"tag with local output", []string{"build", "-t", "app", "-o",
			"type=local,dest=" + t.TempDir(), dir}, 2, "-t names an image"},
		{"bad progress", []string{"build", "--progress", "fancy", dir}, 2,
			`--progress "fancy"`},
		{"bad build-context", []string{"build", "--build-context", "nosource", dir}, 2,
			"write NAME=SOURCE"},
		{"build-context folder missing", []string{"build", "--build-context",
			"x=" + filepath.Join(missing, "no"), dir}, 2, "is not a folder"},
		{"bad secret", []string{"build", "--secret", "id=a,bogus=b", dir}, 2,
			"unexpected key 'bogus'"},
		{"schema with argument", []string{"schema", "x"}, 2, "takes no arguments"},
		{"missing kiln.yaml", []string{"build", missing}, 1,
			filepath.Join(missing, "kiln.yaml") + " not found"},
		{"missing -f", []string{"build", "-f", filepath.Join(missing, "app.yaml"), dir}, 1,
			filepath.Join(missing, "app.yaml") + " not found"},
		{"-f is a folder", []string{"build", "-f", dir, dir}, 1, "is a folder"},
		{"missing folder", []string{"build", filepath.Join(missing, "no")}, 1,
			"build context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr does not contain %q:\n%s", tt.want, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout is not empty: %q", stdout.String())
			}
		})
	}
}

// TestPlan checks how flags become frontend attributes, local mounts and
// exports.
func TestPlan(t *testing.T) {
	dir := specDir(t)
	ctxDir := t.TempDir()
	out := t.TempDir()
	env := map[string]string{"FROM_ENV": "env-value"}
	o := &buildOptions{
		dir:       dir,
		platforms: []string{"linux/arm64", "linux/amd64"},
		buildArgs: []string{"VERSION=1.2=3", "FROM_ENV", "EMPTY="},
		contexts: []string{
			"golang:1.26-trixie=docker-image://mirror.example/golang:1.26-trixie",
			"assets=" + ctxDir,
		},
		target:   "build",
		progress: "plain",
		tags:     []string{"app:1", "app:latest"},
		outputs:  []string{"type=oci,tar=false,dest=" + out},
	}
	p, err := o.plan(func(k string) string { return env[k] }, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"filename":                   "kiln.yaml",
		"platform":                   "linux/arm64,linux/amd64",
		"target":                     "build",
		"build-arg:VERSION":          "1.2=3",
		"build-arg:FROM_ENV":         "env-value",
		"build-arg:EMPTY":            "",
		"context:golang:1.26-trixie": "docker-image://mirror.example/golang:1.26-trixie",
		"context:assets":             "local:kiln-context-1",
	}
	for k, v := range want {
		if got, ok := p.solve.FrontendAttrs[k]; !ok || got != v {
			t.Errorf("attr %s = %q (set %v), want %q", k, got, ok, v)
		}
	}
	if len(p.solve.FrontendAttrs) != len(want) {
		t.Errorf("attrs = %v, want exactly %v", p.solve.FrontendAttrs, want)
	}
	for _, m := range []string{"context", "dockerfile", "kiln-context-1"} {
		if p.solve.LocalMounts[m] == nil {
			t.Errorf("local mount %q is missing", m)
		}
	}
	if len(p.solve.Exports) != 1 {
		t.Fatalf("exports = %+v, want one", p.solve.Exports)
	}
	e := p.solve.Exports[0]
	if e.Type != client.ExporterOCI || e.OutputDir != out ||
		e.Attrs["name"] != "app:1,app:latest" {
		t.Errorf("export = %+v, want oci to %s named app:1,app:latest", e, out)
	}
	if e.Attrs["rewrite-timestamp"] != "true" {
		t.Errorf("rewrite-timestamp is not set: the frontend always gives an epoch")
	}
	if p.stdoutTaken || p.progress != "plain" || p.specPath != filepath.Join(dir, "kiln.yaml") {
		t.Errorf("plan = %+v", p)
	}
}

// TestPlanExports covers -t, --push and SOURCE_DATE_EPOCH.
func TestPlanExports(t *testing.T) {
	dir := specDir(t)
	tar := filepath.Join(t.TempDir(), "out.tar")
	tests := []struct {
		name  string
		o     buildOptions
		epoch string
		want  []client.ExportEntry // Type and Attrs only
	}{
		{"no output", buildOptions{}, "", nil},
		{"tag alone", buildOptions{tags: []string{"app"}}, "",
			[]client.ExportEntry{{Type: "image", Attrs: map[string]string{"name": "app",
				"rewrite-timestamp": "true"}}}},
		{"tag and push", buildOptions{tags: []string{"r.example/app:1"}, push: true}, "",
			[]client.ExportEntry{{Type: "image",
				Attrs: map[string]string{"name": "r.example/app:1", "push": "true",
					"rewrite-timestamp": "true"}}}},
		{"push with oci output", buildOptions{tags: []string{"app"}, push: true,
			outputs: []string{"type=oci,dest=" + tar}}, "",
			[]client.ExportEntry{
				{Type: "oci",
					Attrs: map[string]string{"name": "app", "rewrite-timestamp": "true"}},
				{Type: "image", Attrs: map[string]string{"name": "app", "push": "true"}}}},
		{"image output keeps its name", buildOptions{tags: []string{"other"}, push: true,
			outputs: []string{"type=image,name=mine"}}, "",
			[]client.ExportEntry{{Type: "image",
				Attrs: map[string]string{"name": "mine", "push": "true",
					"rewrite-timestamp": "true"}}}},
		{"timestamps are rewritten with or without an epoch",
			buildOptions{outputs: []string{"type=oci,dest=" + tar}},
			"1700000000", []client.ExportEntry{{Type: "oci",
				Attrs: map[string]string{"rewrite-timestamp": "true"}}}},
		{"an explicit rewrite-timestamp wins",
			buildOptions{outputs: []string{"type=oci,rewrite-timestamp=false,dest=" + tar}},
			"", []client.ExportEntry{{Type: "oci",
				Attrs: map[string]string{"rewrite-timestamp": "false"}}}},
		{"epoch leaves local exports alone", buildOptions{
			outputs: []string{"type=local,dest=" + t.TempDir()}}, "1700000000",
			[]client.ExportEntry{{Type: "local", Attrs: map[string]string{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.dir, o.progress = dir, "quiet"
			p, err := o.plan(func(k string) string {
				if k == sourceDateEpoch {
					return tt.epoch
				}
				return ""
			}, dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.solve.Exports) != len(tt.want) {
				t.Fatalf("exports = %+v, want %+v", p.solve.Exports, tt.want)
			}
			for i, w := range tt.want {
				got := p.solve.Exports[i]
				if got.Type != w.Type || !sameMap(got.Attrs, w.Attrs) {
					t.Errorf("export %d = %s %v, want %s %v", i, got.Type, got.Attrs,
						w.Type, w.Attrs)
				}
			}
			if v := p.solve.FrontendAttrs["build-arg:SOURCE_DATE_EPOCH"]; v != tt.epoch {
				t.Errorf("build-arg:SOURCE_DATE_EPOCH = %q, want %q", v, tt.epoch)
			}
		})
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestBuildkitHost checks the daemon address: BUILDKIT_HOST, then the test
// environment's socket in a parent folder, then the system socket.
func TestBuildkitHost(t *testing.T) {
	root := t.TempDir()
	if got := buildkitHost(noEnv, root); got != defaultBuildkitHost {
		t.Errorf("without environment: %q, want %q", got, defaultBuildkitHost)
	}
	env := func(k string) string {
		if k == "BUILDKIT_HOST" {
			return "tcp://buildkit.example:1234"
		}
		return ""
	}
	if got := buildkitHost(env, root); got != "tcp://buildkit.example:1234" {
		t.Errorf("with BUILDKIT_HOST: %q", got)
	}

	// A unix socket at _out/env/run/buildkitd.sock above the folder.
	// Socket paths are short, so the socket lives in a short temp folder.
	short, err := os.MkdirTemp("", "k")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(short) })
	sock := filepath.Join(short, envSocket)
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("cannot create a unix socket: %v", err)
	}
	defer l.Close()
	deep := filepath.Join(short, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, want := buildkitHost(noEnv, deep), "unix://"+sock; got != want {
		t.Errorf("below the test environment: %q, want %q", got, want)
	}
}

// TestParseOCILayoutRef checks the split of oci-layout:// sources.
func TestParseOCILayoutRef(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct{ in, dir, tag, dgst string }{
		{"out/app", "out/app", "", ""},
		{"out/app:v1", "out/app", "v1", ""},
		{"out/app@" + d, "out/app", "", d},
		{"/x:y/app:v1@" + d, "/x:y/app", "v1", d},
	}
	for _, tt := range tests {
		dir, tag, dgst, err := parseOCILayoutRef(tt.in)
		if err != nil || dir != tt.dir || tag != tt.tag || string(dgst) != tt.dgst {
			t.Errorf("parseOCILayoutRef(%q) = %q %q %q %v, want %q %q %q", tt.in, dir, tag,
				dgst, err, tt.dir, tt.tag, tt.dgst)
		}
	}
	if _, _, _, err := parseOCILayoutRef("app@sha256:nope"); err == nil {
		t.Errorf("a bad digest is accepted")
	}
}
