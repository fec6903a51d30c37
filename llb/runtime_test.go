package llb

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/spec"
)

// runtimeActions returns the actions of the runtime stage's one file
// operation, read from the marshalled graph of the runtime image.
func runtimeActions(t *testing.T, res *Result) []*pb.FileAction {
	t.Helper()
	var found []*pb.FileOp
	for _, v := range graph(t, res.Stages[len(res.Stages)-1].State) {
		if f := v.op.GetFile(); f != nil && strings.HasPrefix(v.name, "[kiln runtime 1/1] ") {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one runtime file operation, got %d", len(found))
	}
	return found[0].Actions
}

// TestWritableOwnedByRuntimeUser reads the runtime file operation from the
// marshalled LLB: the first mkdir of each runtime.writable path is owned
// by runtime.user (65532:65532 by default, N:N for a lone N), its parents
// and the workdir by root, /tmp is left to the base, and every copied
// artifact is owned by 0:0.
func TestWritableOwnedByRuntimeUser(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		// mkdirs maps every path the operation creates to "owner mode" of
		// its first mkdir, which is the one that creates the folder.
		mkdirs map[string]string
		// copies maps every copy destination to "src owner".
		copies map[string]string
	}{{
		name: "go default user",
		yaml: "name: hello\nlanguage: go\nruntime:\n  writable: [/app/data, /tmp]\n",
		mkdirs: map[string]string{
			"/app":      "0:0 0755",
			"/app/data": "65532:65532 0755",
		},
		copies: map[string]string{"/app/hello": "/out/hello 0:0"},
	}, {
		name: "go uid:gid user, nested paths",
		yaml: `name: hello
language: go
runtime:
  user: "1000:2000"
  writable: [/var/lib/hello, /var/cache/hello/tmp]
`,
		mkdirs: map[string]string{
			"/app":                 "0:0 0755",
			"/var/lib":             "0:0 0755",
			"/var/lib/hello":       "1000:2000 0755",
			"/var/cache/hello":     "0:0 0755",
			"/var/cache/hello/tmp": "1000:2000 0755",
		},
		copies: map[string]string{"/app/hello": "/out/hello 0:0"},
	}, {
		name: "go lone uid",
		yaml: "name: hello\nlanguage: go\nruntime:\n  user: 1234\n  writable: [/data]\n",
		mkdirs: map[string]string{
			"/app":  "0:0 0755",
			"/data": "1234:1234 0755",
		},
		copies: map[string]string{"/app/hello": "/out/hello 0:0"},
	}, {
		name: "writable workdir",
		yaml: "name: hello\nlanguage: go\nruntime:\n  writable: [/app]\n",
		mkdirs: map[string]string{
			"/app": "65532:65532 0755",
		},
		copies: map[string]string{"/app/hello": "/out/hello 0:0"},
	}, {
		name: "child listed before its writable parent",
		yaml: "name: hello\nlanguage: go\nruntime:\n  writable: [/var/lib/app/x, /var/lib/app]\n",
		mkdirs: map[string]string{
			"/app":           "0:0 0755",
			"/var/lib":       "0:0 0755",
			"/var/lib/app":   "65532:65532 0755",
			"/var/lib/app/x": "65532:65532 0755",
		},
		copies: map[string]string{"/app/hello": "/out/hello 0:0"},
	}, {
		name: "trailing slash and a workdir inside a writable folder",
		yaml: `name: hello
language: go
runtime:
  workdir: /data/run
  writable: [/data/]
  entrypoint: [/app/hello]
`,
		mkdirs: map[string]string{
			"/app":      "0:0 0755",
			"/data":     "65532:65532 0755",
			"/data/run": "65532:65532 0755",
		},
		copies: map[string]string{"/app/hello": "/out/hello 0:0"},
	}, {
		name: "static copies into and beside a writable folder",
		yaml: `name: site
language: static
source: dist
runtime:
  workdir: /srv
  copy:
    - {from: index.html, to: /srv/www/index.html}
    - {from: bin/tool, to: /usr/local/bin/tool, mode: "0555"}
  writable: [/srv/cache]
  entrypoint: [/usr/local/bin/tool]
`,
		mkdirs: map[string]string{
			"/srv":           "0:0 0755",
			"/srv/cache":     "65532:65532 0755",
			"/srv/www":       "0:0 0755",
			"/usr/local/bin": "0:0 0755",
		},
		copies: map[string]string{
			"/srv/www/index.html": "/dist/index.html 0:0",
			"/usr/local/bin/tool": "/dist/bin/tool 0:0",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Convert(input(t, tc.yaml, amd64))
			if err != nil {
				t.Fatal(err)
			}
			mkdirs, copies := map[string]string{}, map[string]string{}
			for _, a := range runtimeActions(t, res) {
				if mk := a.GetMkdir(); mk != nil {
					if _, seen := mkdirs[mk.Path]; !seen {
						mkdirs[mk.Path] = fmt.Sprintf("%s %04o", owner(mk.Owner), mk.Mode)
					}
				}
				if cp := a.GetCopy(); cp != nil {
					copies[cp.Dest] = cp.Src + " " + owner(cp.Owner)
				}
			}
			if !reflect.DeepEqual(mkdirs, tc.mkdirs) {
				t.Errorf("mkdirs (path: owner mode)\n got %v\nwant %v", mkdirs, tc.mkdirs)
			}
			if !reflect.DeepEqual(copies, tc.copies) {
				t.Errorf("copies (dest: src owner)\n got %v\nwant %v", copies, tc.copies)
			}
		})
	}
}

// TestRuntimeBase checks which runtime base image a spec selects: the Go
// preset's distroless static nonroot by default, distroless base when
// build.env turns cgo on, the named distroless flavour for a short name
// (which wins over cgo), and any full reference unchanged. Images, which
// lists what a build pulls, must agree.
func TestRuntimeBase(t *testing.T) {
	const dgst = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name, yaml, want string
	}{{
		name: "go default",
		yaml: "name: hello\nlanguage: go\n",
		want: "gcr.io/distroless/static-debian13:nonroot",
	}, {
		name: "go with cgo",
		yaml: "name: hello\nlanguage: go\nbuild:\n  env: {CGO_ENABLED: \"1\"}\n",
		want: "gcr.io/distroless/base-debian13:nonroot",
	}, {
		name: "go with cgo off",
		yaml: "name: hello\nlanguage: go\nbuild:\n  env: {CGO_ENABLED: \"0\"}\n",
		want: "gcr.io/distroless/static-debian13:nonroot",
	}, {
		name: "short name cc",
		yaml: "name: hello\nlanguage: go\nruntime:\n  base: cc\n",
		want: "gcr.io/distroless/cc-debian13:nonroot",
	}, {
		name: "short name base",
		yaml: "name: hello\nlanguage: go\nruntime:\n  base: base\n",
		want: "gcr.io/distroless/base-debian13:nonroot",
	}, {
		name: "short name wins over cgo",
		yaml: `name: hello
language: go
build:
  env: {CGO_ENABLED: "1"}
runtime:
  base: cc
`,
		want: "gcr.io/distroless/cc-debian13:nonroot",
	}, {
		name: "full reference without tag",
		yaml: "name: hello\nlanguage: go\nruntime:\n  base: gcr.io/distroless/static-debian13\n",
		want: "gcr.io/distroless/static-debian13",
	}, {
		name: "full reference with port, tag and digest",
		yaml: "name: hello\nlanguage: go\nruntime:\n  base: registry.example.com:5000/team/" +
			"base:1.2@" + dgst + "\n",
		want: "registry.example.com:5000/team/base:1.2@" + dgst,
	}, {
		name: "static default",
		yaml: "name: site\nlanguage: static\nruntime:\n  copy: [{from: a, to: /app/a}]\n",
		want: "gcr.io/distroless/static-debian13:nonroot",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := input(t, tc.yaml, amd64).Spec
			p, err := PresetFor(s.Language)
			if err != nil {
				t.Fatal(err)
			}
			if got := RuntimeBase(s, p); got != tc.want {
				t.Errorf("RuntimeBase = %q, want %q", got, tc.want)
			}
			parsed, err := spec.Parse("kiln.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			refs, err := Images(parsed, amd64)
			if err != nil {
				t.Fatal(err)
			}
			// A base the preset picks is keyed to language, which chose it.
			key := "language"
			if parsed.Runtime.Base != "" {
				key = "runtime.base"
			}
			last := refs[len(refs)-1]
			if last.Key != key || last.Ref != tc.want {
				t.Errorf("Images runtime base = %+v, want %s %q", last, key, tc.want)
			}
		})
	}
}

// TestImageConfigProcess checks that cmd, workdir, stop_signal and every
// healthcheck setting reach the OCI image config as written, and that
// omitted ones take the documented defaults: no cmd, workdir /app, no
// stop signal, no healthcheck, and for a healthcheck interval 30s,
// timeout 30s, start period 0 and 3 retries.
func TestImageConfigProcess(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		cmd        []string
		workdir    string
		stop       string
		hc         *dockerspec.HealthcheckConfig
	}{{
		name: "given",
		yaml: `name: hello
language: go
runtime:
  cmd: [serve, --port, "8080"]
  workdir: /srv
  stop_signal: SIGINT
  healthcheck:
    exec: [/app/hello, -healthcheck]
    interval: 1m30s
    timeout: 2s
    start_period: 15s
    retries: 5
`,
		cmd:     []string{"serve", "--port", "8080"},
		workdir: "/srv",
		stop:    "SIGINT",
		hc: &dockerspec.HealthcheckConfig{
			Test:        []string{"CMD", "/app/hello", "-healthcheck"},
			Interval:    90 * time.Second,
			Timeout:     2 * time.Second,
			StartPeriod: 15 * time.Second,
			Retries:     5,
		},
	}, {
		name:    "omitted",
		yaml:    "name: hello\nlanguage: go\n",
		workdir: "/app",
	}, {
		name: "healthcheck defaults, root workdir, numeric signal",
		yaml: `name: hello
language: go
runtime:
  workdir: /
  stop_signal: "15"
  healthcheck: {exec: [/app/hello, health]}
`,
		workdir: "/",
		stop:    "15",
		hc: &dockerspec.HealthcheckConfig{
			Test:     []string{"CMD", "/app/hello", "health"},
			Interval: 30 * time.Second,
			Timeout:  30 * time.Second,
			Retries:  3,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Convert(input(t, tc.yaml, amd64))
			if err != nil {
				t.Fatal(err)
			}
			cfg := res.Image.Config
			if !slices.Equal(cfg.Cmd, tc.cmd) {
				t.Errorf("cmd = %q, want %q", cfg.Cmd, tc.cmd)
			}
			if cfg.WorkingDir != tc.workdir {
				t.Errorf("working dir = %q, want %q", cfg.WorkingDir, tc.workdir)
			}
			if cfg.StopSignal != tc.stop {
				t.Errorf("stop signal = %q, want %q", cfg.StopSignal, tc.stop)
			}
			if !reflect.DeepEqual(cfg.Healthcheck, tc.hc) {
				t.Errorf("healthcheck\n got %+v\nwant %+v", cfg.Healthcheck, tc.hc)
			}
		})
	}
}
