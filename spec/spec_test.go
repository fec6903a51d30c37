package spec_test

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kilnbuild/kiln/spec"
)

// mustParse parses a spec that must be valid.
func mustParse(t *testing.T, yaml string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("kiln.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// mustRead reads a test data file.
func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestExamplesAreValid(t *testing.T) {
	for _, tc := range []struct {
		file     string
		maxLines int
	}{
		{"testdata/go-service.kiln.yaml", 15},
		{"testdata/static.kiln.yaml", 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := mustRead(t, tc.file)
			if n := strings.Count(string(data), "\n"); tc.maxLines > 0 && n > tc.maxLines {
				t.Errorf("%d lines, want at most %d", n, tc.maxLines)
			}
			s, err := spec.Parse(tc.file, data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			args := map[string]string{"TARGETARCH": "arm64", "TARGETOS": "linux"}
			if _, err := s.Expand(args); err != nil {
				t.Fatalf("Expand: %v", err)
			}
		})
	}
}

func TestParseGoExample(t *testing.T) {
	s, err := spec.Parse("kiln.yaml", mustRead(t, "testdata/go-service.kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "hello" || s.Language != spec.Go || s.Toolchain != "1.26" {
		t.Errorf("top level = %q %q %q", s.Name, s.Language, s.Toolchain)
	}
	r := s.Runtime
	if !reflect.DeepEqual(r.Entrypoint, []string{"/app/hello"}) {
		t.Errorf("entrypoint = %q", r.Entrypoint)
	}
	if want := []spec.Port{{Number: 8080, Protocol: "tcp"}}; !reflect.DeepEqual(r.Ports, want) {
		t.Errorf("ports = %v", r.Ports)
	}
	want := &spec.Healthcheck{
		Exec:     []string{"/app/hello", "-healthcheck"},
		Interval: spec.Duration(30 * time.Second),
	}
	if !reflect.DeepEqual(r.Healthcheck, want) {
		t.Errorf("healthcheck = %+v", r.Healthcheck)
	}
	if r.User != "" || r.Workdir != "" {
		t.Errorf("Parse applied defaults: user %q, workdir %q", r.User, r.Workdir)
	}
}

func TestParseStaticExample(t *testing.T) {
	s, err := spec.Parse("kiln.yaml", mustRead(t, "testdata/static.kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Runtime
	if r.User != "65532:65532" {
		t.Errorf("user = %q, want 65532:65532", r.User)
	}
	wantPorts := []spec.Port{{Number: 9090, Protocol: "tcp"}, {Number: 9091, Protocol: "udp"}}
	if !reflect.DeepEqual(r.Ports, wantPorts) {
		t.Errorf("ports = %v", r.Ports)
	}
	if len(r.Copy) != 1 || r.Copy[0].Mode != 0o555 || r.Copy[0].Mode.String() != "0555" {
		t.Errorf("copy = %+v", r.Copy)
	}
	if r.Cmd[1] != ":9090" {
		t.Errorf("cmd = %q", r.Cmd)
	}
}

func TestErrorFormat(t *testing.T) {
	yaml := "name: app\nlanguage: go\nruntime:\n  ports: [8080]\n  entrypont: [/app/x]\n"
	_, err := spec.Parse("kiln.yaml", []byte(yaml))
	want := `kiln.yaml:5:3: runtime.entrypont: unknown key; did you mean "entrypoint"?`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}

	e := &spec.Error{File: "app/kiln.yaml", Key: "args", Msg: "build arg X is not declared"}
	if got, want := e.Error(), "app/kiln.yaml: args: build arg X is not declared"; got != want {
		t.Errorf("without a position: got %q, want %q", got, want)
	}
}

func TestParseReportsEveryProblemInDocumentOrder(t *testing.T) {
	yaml := `name: Bad_Name
toolchain: 1.20
runtime:
  workdir: app
  usr: 65532
  ports: [8080, 99999]
  copy:
    - {from: /out/x, to: x, mode: 755}
  healthcheck: /app/x -check
policy:
  allow:
    - {rule: runtime-user-root, reason: ""}
`
	_, err := spec.Parse("kiln.yaml", []byte(yaml))
	errs := spec.AsErrors(err)
	want := []struct {
		line, col int
		key       string
	}{
		{1, 1, "language"},
		{1, 7, "name"},
		{2, 12, "toolchain"},
		{4, 12, "runtime.workdir"},
		{5, 3, "runtime.usr"},
		{6, 17, "runtime.ports[1]"},
		{8, 26, "runtime.copy[0].to"},
		{8, 35, "runtime.copy[0].mode"},
		{9, 16, "runtime.healthcheck"},
		{12, 41, "policy.allow[0].reason"},
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if e := errs[i]; e.Line != w.line || e.Column != w.col || e.Key != w.key {
			t.Errorf("problem %d = %v, want %d:%d %s", i, e, w.line, w.col, w.key)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(want) {
		t.Errorf("Error() has %d lines, want one per problem", n)
	}
}

func TestErrorsUnwrap(t *testing.T) {
	_, err := spec.Parse("kiln.yaml", []byte("language: go\n"))
	var e *spec.Error
	if !errors.As(err, &e) || e.Key != "name" {
		t.Fatalf("errors.As(*spec.Error) = %v", e)
	}
	wrapped := errors.Join(errors.New("reading spec"), err)
	if got := spec.AsErrors(wrapped); len(got) != 1 || got[0] != e {
		t.Errorf("AsErrors(wrapped) = %v", got)
	}
	if spec.AsErrors(errors.New("other")) != nil {
		t.Error("AsErrors of an unrelated error is not nil")
	}
}

func TestExtensionKeysAreIgnored(t *testing.T) {
	s := mustParse(t, `name: app
language: go
x-notes: anything, even [unbalanced
x-env: &env {LOG_LEVEL: info}
runtime:
  x-owner: platform-team
  env: *env
  healthcheck: {exec: [/app/x], x-why: "probes are slow"}
`)
	if s.Runtime.Env["LOG_LEVEL"] != "info" {
		t.Errorf("env through an alias = %v", s.Runtime.Env)
	}
}

func TestRootUserIsNotASpecError(t *testing.T) {
	for user, want := range map[string]spec.User{
		"root": "root", "0": "0:0", `"0:0"`: "0:0", "1000": "1000:1000",
	} {
		s := mustParse(t, head+"runtime:\n  user: "+user+"\n")
		if got := s.Runtime.User; got != want {
			t.Errorf("user %s = %q, want %q", user, got, want)
		}
	}
}

func TestQuotedAndTaggedValues(t *testing.T) {
	s := mustParse(t, head+`toolchain: !!str 1.20
runtime:
  env: {DEBUG: "yes", PORT: "8080", RATIO: '1.50'}
  stop_signal: "15"
`)
	if s.Toolchain != "1.20" {
		t.Errorf("toolchain = %q, want 1.20", s.Toolchain)
	}
	want := spec.Vars{"DEBUG": "yes", "PORT": "8080", "RATIO": "1.50"}
	if !reflect.DeepEqual(s.Runtime.Env, want) {
		t.Errorf("env = %v", s.Runtime.Env)
	}
}

func TestPos(t *testing.T) {
	s := mustParse(t, `name: app
language: go
build:
  run:
    - go build -o /out/app .
    - |
      go vet ./...
      go test ./...
runtime:
  user: "1000:1000"
  env: {APP_PORT: "8080"}
  labels:
    org.opencontainers.image.title: app
`)
	for path, want := range map[string]spec.Range{
		"":                     {Line: 1, Column: 1, EndLine: 13, EndColumn: 40},
		"name":                 {Line: 1, Column: 7, EndLine: 1, EndColumn: 10},
		"build.run":            {Line: 5, Column: 5, EndLine: 8, EndColumn: 20},
		"build.run[0]":         {Line: 5, Column: 7, EndLine: 5, EndColumn: 29},
		"build.run[1]":         {Line: 6, Column: 7, EndLine: 8, EndColumn: 20},
		"runtime.user":         {Line: 10, Column: 9, EndLine: 10, EndColumn: 20},
		"runtime.env.APP_PORT": {Line: 11, Column: 19, EndLine: 11, EndColumn: 25},
		"runtime.cmd":          {},
		`runtime.labels["org.opencontainers.image.title"]`: {
			Line: 13, Column: 37, EndLine: 13, EndColumn: 40},
	} {
		if got := s.Pos(path); got != want {
			t.Errorf("Pos(%q) = %+v, want %+v", path, got, want)
		}
	}

	e := s.ErrorAt("runtime.cmd", "no command", "add one")
	want := "kiln.yaml:10:3: runtime.cmd: no command; add one"
	if e.Line != 10 || e.Column != 3 || e.Error() != want {
		t.Errorf("ErrorAt an unset key = %v, want the enclosing runtime mapping", e)
	}
	if s.Filename() != "kiln.yaml" {
		t.Errorf("Filename() = %q", s.Filename())
	}
}

func TestWithDefaults(t *testing.T) {
	s := mustParse(t, head+`build:
  secrets: [{id: netrc}, {id: npmrc, target: /root/.npmrc}]
runtime:
  healthcheck: {exec: [/app/x], timeout: 5s}
`)
	before := mustParse(t, head+`build:
  secrets: [{id: netrc}, {id: npmrc, target: /root/.npmrc}]
runtime:
  healthcheck: {exec: [/app/x], timeout: 5s}
`)
	d := s.WithDefaults()
	if !reflect.DeepEqual(s, before) {
		t.Error("WithDefaults changed its receiver")
	}
	if d.Source != "." || d.Build.Output != "/out" || d.Runtime.Workdir != "/app" {
		t.Errorf("source %q, output %q, workdir %q", d.Source, d.Build.Output, d.Runtime.Workdir)
	}
	if d.Runtime.User != spec.DefaultUser || d.Policy.Mode != spec.Enforce {
		t.Errorf("user %q, policy mode %q", d.Runtime.User, d.Policy.Mode)
	}
	if got := d.Build.Secrets[0].Target; got != "/run/secrets/netrc" {
		t.Errorf("secret target = %q", got)
	}
	if got := d.Build.Secrets[1].Target; got != "/root/.npmrc" {
		t.Errorf("explicit secret target = %q", got)
	}
	want := spec.Healthcheck{
		Exec:     []string{"/app/x"},
		Interval: spec.Duration(30 * time.Second), Timeout: spec.Duration(5 * time.Second),
		Retries: 3,
	}
	if !reflect.DeepEqual(*d.Runtime.Healthcheck, want) {
		t.Errorf("healthcheck = %+v", *d.Runtime.Healthcheck)
	}
	if errs := spec.Validate(d); errs != nil {
		t.Errorf("defaults do not validate: %v", errs)
	}
	if d.Runtime.Cmd != nil || d.Toolchain != "" || d.Runtime.Base != "" {
		t.Error("WithDefaults filled a value that belongs to the preset")
	}
}

func TestValidateDoesNotMutate(t *testing.T) {
	yaml := head + "runtime:\n  workdir: app\n  env: {A: \"${NOPE}\"}\n  ports: [0]\n"
	s, err := spec.Parse("kiln.yaml", []byte(yaml))
	if err == nil {
		t.Fatal("Parse accepted a bad spec")
	}
	again, _ := spec.Parse("kiln.yaml", []byte(yaml))
	for range 3 {
		spec.Validate(s)
	}
	if !reflect.DeepEqual(s, again) {
		t.Error("Validate changed the spec")
	}
}

func TestValidateBuiltInGo(t *testing.T) {
	s := &spec.Spec{Name: "app", Language: spec.Go}
	s.Runtime.Workdir = "relative"
	errs := spec.Validate(s)
	if len(errs) != 1 || errs[0].Line != 0 || errs[0].Key != "runtime.workdir" {
		t.Fatalf("Validate = %v", errs)
	}
	if got := errs[0].Error(); !strings.HasPrefix(got, "kiln.yaml: runtime.workdir: ") {
		t.Errorf("Error() = %q", got)
	}
}

func TestVarsSorted(t *testing.T) {
	v := spec.Vars{"B": "2", "A": "1", "C": "3"}
	want := []spec.Pair{{Key: "A", Value: "1"}, {Key: "B", Value: "2"}, {Key: "C", Value: "3"}}
	for range 20 {
		if got := v.Sorted(); !reflect.DeepEqual(got, want) {
			t.Fatalf("Sorted() = %v", got)
		}
	}
	if got := spec.Vars(nil).Sorted(); len(got) != 0 {
		t.Errorf("nil Sorted() = %v", got)
	}
}

func TestByteOrderMark(t *testing.T) {
	s := mustParse(t, "\ufeffname: app\nlanguage: go\n")
	if s.Name != "app" || s.Pos("name").Column != 7 {
		t.Errorf("name %q at %+v", s.Name, s.Pos("name"))
	}
}

func TestEmptyListIsKeptApartFromMissing(t *testing.T) {
	s := mustParse(t, head+"runtime:\n  cmd: []\n")
	if s.Runtime.Cmd == nil || len(s.Runtime.Cmd) != 0 {
		t.Errorf("cmd: [] decoded as %#v, want an empty non-nil list", s.Runtime.Cmd)
	}
	if s.Runtime.Entrypoint != nil {
		t.Errorf("missing entrypoint decoded as %#v, want nil", s.Runtime.Entrypoint)
	}
	if d := s.WithDefaults(); d.Runtime.Cmd == nil {
		t.Error("WithDefaults lost the explicit empty cmd")
	}
}
