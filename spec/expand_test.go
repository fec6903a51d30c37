package spec_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/spec"
)

// platform holds the standard build args as the frontend passes them.
var platform = map[string]string{
	"BUILDARCH": "amd64", "BUILDOS": "linux", "BUILDPLATFORM": "linux/amd64",
	"BUILDVARIANT": "", "TARGETARCH": "arm64", "TARGETOS": "linux",
	"TARGETPLATFORM": "linux/arm64/v8", "TARGETVARIANT": "v8",
}

// withPlatform returns the standard build args plus extra.
func withPlatform(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range platform {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

const expandSpec = `name: app
language: go
toolchain: ${GO_VERSION}
args:
  GO_VERSION: "1.26"
  VERSION: dev
build:
  env: {GOARCH: $TARGETARCH, PRICE: "$$5"}
  run: ["go build -ldflags=-X=main.version=$VERSION -o /out/app ."]
runtime:
  user: ${UID}
  cmd: ["--version=${VERSION}", "--arch=${TARGETARCH}${TARGETVARIANT}"]
  copy: [{from: "/out/app-${TARGETOS}", to: /app/app}]
  labels:
    org.opencontainers.image.version: ${VERSION}
`

func TestExpand(t *testing.T) {
	src := strings.Replace(expandSpec, "VERSION: dev", "VERSION: dev\n  UID: \"1000\"", 1)
	s := mustParse(t, src)
	before := mustParse(t, src)

	got, err := s.Expand(withPlatform(map[string]string{"VERSION": "1.2.3"}))
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	if !reflect.DeepEqual(s, before) {
		t.Error("Expand changed its receiver")
	}
	if got.Toolchain != "1.26" {
		t.Errorf("toolchain = %q, want the declared default", got.Toolchain)
	}
	wantEnv := spec.Vars{"GOARCH": "arm64", "PRICE": "$5"}
	if !reflect.DeepEqual(got.Build.Env, wantEnv) {
		t.Errorf("build.env = %v, want %v", got.Build.Env, wantEnv)
	}
	run := "go build -ldflags=-X=main.version=$VERSION -o /out/app ."
	if got.Build.Run[0] != run {
		t.Errorf("build.run was expanded: %q", got.Build.Run[0])
	}
	if got.Runtime.User != "1000:1000" {
		t.Errorf("user = %q, want the expanded value normalized to 1000:1000", got.Runtime.User)
	}
	want := []string{"--version=1.2.3", "--arch=arm64v8"}
	if !reflect.DeepEqual(got.Runtime.Cmd, want) {
		t.Errorf("cmd = %q, want %q", got.Runtime.Cmd, want)
	}
	if got.Runtime.Copy[0].From != "/out/app-linux" {
		t.Errorf("copy from = %q", got.Runtime.Copy[0].From)
	}
	if v := got.Runtime.Labels["org.opencontainers.image.version"]; v != "1.2.3" {
		t.Errorf("label = %q", v)
	}
	if again := spec.Validate(got); again != nil {
		t.Errorf("the expanded spec does not validate: %v", again)
	}
}

func TestExpandRejects(t *testing.T) {
	for _, tc := range []struct {
		name      string
		yaml      string
		args      map[string]string
		line, col int
		msg       string
	}{
		{"undeclared build arg", strings.Replace(expandSpec, "${UID}", "\"1:1\"", 1),
			withPlatform(map[string]string{"COLOR": "blue"}), 4, 1,
			"kiln.yaml:4:1: args: build arg COLOR is not declared; declare it under args"},
		{"undeclared build arg without args", "name: app\nlanguage: go\n",
			map[string]string{"COLOR": "blue"}, 0, 0,
			"kiln.yaml: args: build arg COLOR is not declared"},
		{"misspelt build arg", "name: app\nlanguage: go\nargs: {VERSION: \"1\"}\n",
			map[string]string{"VERSOIN": "1.2"}, 3, 1,
			"build arg VERSOIN is not declared; did you mean --build-arg VERSION? " +
				"Otherwise declare it"},
		{"standard arg not passed", "name: app\nlanguage: go\nruntime:\n  workdir: /$TARGETOS\n",
			nil, 4, 13, "standard build arg TARGETOS has no value"},
		{"expanded value is invalid", "name: app\nlanguage: go\nargs: {DIR: app}\n" +
			"runtime:\n  workdir: ${DIR}\n",
			nil, 5, 12, `runtime.workdir: "app" is a relative path`},
		{"expanded toolchain is invalid", "name: app\nlanguage: go\nargs: {V: \"1 2\"}\n" +
			"toolchain: $V\n", nil, 4, 12, `toolchain: "1 2" is not a version`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.yaml)
			out, err := s.Expand(tc.args)
			if err == nil || out != nil {
				t.Fatalf("Expand = %v, %v; want an error", out, err)
			}
			errs := spec.AsErrors(err)
			if len(errs) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(errs), err)
			}
			e := errs[0]
			if e.Line != tc.line || e.Column != tc.col || !strings.Contains(e.Error(), tc.msg) {
				t.Errorf("got  %v\nwant %d:%d ...%s", e, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestExpandDollarEscape(t *testing.T) {
	s := mustParse(t, "name: app\nlanguage: go\nruntime:\n  cmd: [\"$$HOME\", \"a$$$$b\"]\n")
	got, err := s.Expand(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"$HOME", "a$$b"}; !reflect.DeepEqual(got.Runtime.Cmd, want) {
		t.Errorf("cmd = %q, want %q", got.Runtime.Cmd, want)
	}
}

func TestStandardArgs(t *testing.T) {
	got := spec.StandardArgs()
	if len(got) != 8 || got[0] != "BUILDARCH" || got[7] != "TARGETVARIANT" {
		t.Errorf("StandardArgs() = %q", got)
	}
	got[0] = "changed"
	if spec.StandardArgs()[0] != "BUILDARCH" {
		t.Error("StandardArgs returns shared storage")
	}
}
