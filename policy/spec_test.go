package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/policy"
	"github.com/kilnbuild/kiln/spec"
)

// parse parses a kiln.yaml text that must be valid.
func parse(t *testing.T, text string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("kiln.yaml", []byte(text))
	if err != nil {
		t.Fatalf("parsing the test spec: %v", err)
	}
	return s
}

// ids returns "rule@key" (spec rules) or "rule@path" for each violation.
func ids(vs []policy.Violation) []string {
	out := []string{}
	for _, v := range vs {
		where := v.Key
		if v.Rule.Scope != policy.ScopeSpec {
			where = v.File
		}
		out = append(out, v.Rule.ID+"@"+where)
	}
	return out
}

const header = "name: app\nlanguage: go\n"

func TestCheckSpec(t *testing.T) {
	digest := "@sha256:" + strings.Repeat("a", 64)
	tests := []struct {
		name   string
		yaml   string
		pinned func(string) bool
		want   []string
	}{
		{"defaults pass", header, nil, nil},
		{"preset example passes", header + "runtime:\n  base: static\n  user: 65532\n" +
			"  ports: [8080]\n  healthcheck: {exec: [/app/app, -healthcheck]}\n", nil, nil},

		{"user 0", header + "runtime: {user: 0}\n", nil,
			[]string{"runtime-user-root@runtime.user"}},
		{"user 0:1000", header + "runtime: {user: \"0:1000\"}\n", nil,
			[]string{"runtime-user-root@runtime.user"}},
		{"user root", header + "runtime: {user: root}\n", nil,
			[]string{"runtime-user-root@runtime.user", "runtime-user-not-numeric@runtime.user"}},
		{"group 0 is not root", header + "runtime: {user: \"1000:0\"}\n", nil, nil},
		{"user name", header + "runtime: {user: nonroot}\n", nil,
			[]string{"runtime-user-not-numeric@runtime.user"}},
		{"group name", header + "runtime: {user: \"65532:nonroot\"}\n", nil,
			[]string{"runtime-user-not-numeric@runtime.user"}},
		{"user from an arg is not judged",
			header + "args: {UID: \"0\"}\nruntime: {user: \"${UID}\"}\n", nil, nil},

		{"debian base", header + "runtime: {base: \"debian:13" + digest + "\"}\n", nil,
			[]string{"base-not-minimal@runtime.base"}},
		{"distroless debug", header +
			"runtime: {base: \"gcr.io/distroless/static-debian13:debug" + digest + "\"}\n",
			nil, []string{"base-not-minimal@runtime.base"}},
		{"chainguard dev", header +
			"runtime: {base: \"cgr.dev/chainguard/static:latest-dev" + digest + "\"}\n",
			nil, []string{"base-not-minimal@runtime.base"}},
		{"pinned distroless", header +
			"runtime: {base: \"gcr.io/distroless/cc-debian13:nonroot" + digest + "\"}\n",
			nil, nil},
		{"chainguard static by digest", header +
			"runtime: {base: \"cgr.dev/chainguard/static" + digest + "\"}\n", nil, nil},
		{"short names", header + "runtime: {base: cc}\n", nil, nil},

		{"latest tag", header +
			"runtime: {base: \"gcr.io/distroless/static-debian13:latest" + digest + "\"}\n",
			nil, []string{"base-latest-tag@runtime.base"}},
		{"no tag and no digest", header +
			"runtime: {base: gcr.io/distroless/static-debian13}\n", nil,
			[]string{"base-latest-tag@runtime.base"}},
		{"tag without digest", header +
			"runtime: {base: \"gcr.io/distroless/static-debian13:nonroot\"}\n", nil, nil},
		{"tag in the lock", header +
			"runtime: {base: \"gcr.io/distroless/static-debian13:nonroot\"}\n",
			func(ref string) bool { return ref == "gcr.io/distroless/static-debian13:nonroot" },
			nil},
		{"registry port is not a tag", header +
			"runtime: {base: \"127.0.0.1:5000/distroless/static" + digest + "\"}\n", nil,
			[]string{"base-not-minimal@runtime.base"}},

		{"token arg", header + "args: {NPM_TOKEN: \"\"}\n", nil,
			[]string{"secret-in-env@args.NPM_TOKEN"}},
		{"token file arg passes", header + "args: {NPM_TOKEN_FILE: /run/secrets/npm}\n",
			nil, nil},
		{"github token in an arg default", header +
			"args: {GH: ghp_" + strings.Repeat("A1b2", 9) + "}\n", nil,
			[]string{"secret-in-env@args.GH"}},
		{"password in build.env", header + "build:\n  env: {DB_PASSWORD: hunter2}\n", nil,
			[]string{"secret-in-env@build.env.DB_PASSWORD"}},
		{"api key in runtime.env", header + "runtime:\n  env: {STRIPE_API_KEY: abc}\n", nil,
			[]string{"secret-in-env@runtime.env.STRIPE_API_KEY"}},
		{"aws key value", header + "runtime:\n  env: {AWS_ID: AKIAIOSFODNN7EXAMPLE}\n", nil,
			[]string{"secret-in-env@runtime.env.AWS_ID"}},
		{"private key value", header + "runtime:\n  env:\n    TLS: |\n" +
			"      -----BEGIN RSA PRIVATE KEY-----\n      MIIE\n", nil,
			[]string{"secret-in-env@runtime.env.TLS"}},
		{"url with password", header +
			"runtime:\n  env: {DATABASE_URL: \"postgres://app:s3cret@db:5432/app\"}\n", nil,
			[]string{"secret-in-env@runtime.env.DATABASE_URL"}},
		{"harmless env passes", header + "runtime:\n  env: {TOKEN_TTL: 1h, " +
			"AUTH_ENABLED: \"true\", SECRET_PATH: /run/secrets/app, DB_PASSWORD: \"\", " +
			"DATABASE_URL: \"postgres://db:5432/app\", LOG_LEVEL: debug}\n", nil, nil},

		{"shell health check", header +
			"runtime:\n  healthcheck: {exec: [/bin/sh, -c, \"wget -q localhost\"]}\n", nil,
			[]string{"healthcheck-shell-form@runtime.healthcheck.exec[0]"}},
		{"bash health check", header +
			"runtime:\n  healthcheck: {exec: [bash, -c, \"true\"]}\n", nil,
			[]string{"healthcheck-shell-form@runtime.healthcheck.exec[0]"}},
		{"CMD-SHELL health check", header +
			"runtime:\n  healthcheck: {exec: [CMD-SHELL, \"curl -f localhost\"]}\n", nil,
			[]string{"healthcheck-shell-form@runtime.healthcheck.exec[0]"}},
		{"env then a shell", header +
			"runtime:\n  healthcheck: {exec: [/usr/bin/env, -i, A=1, dash, -c, \"true\"]}\n",
			nil, []string{"healthcheck-shell-form@runtime.healthcheck.exec[0]"}},
		{"env then a program passes", header +
			"runtime:\n  healthcheck: {exec: [env, A=1, /app/app, -healthcheck]}\n", nil, nil},
		{"exec health check passes", header +
			"runtime:\n  healthcheck: {exec: [/app/app, -c, config.yaml]}\n", nil, nil},

		{"port 80", header + "runtime: {ports: [8080, 80]}\n", nil,
			[]string{"privileged-port@runtime.ports[1]"}},
		{"port 80 as root", header + "runtime: {user: 0, ports: [80]}\n", nil,
			[]string{"runtime-user-root@runtime.user"}},
		{"port 1024 passes", header + "runtime: {ports: [1024, \"5353/udp\"]}\n", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parse(t, tt.yaml)
			_ = tt.pinned // base-unpinned is CheckPinned's; see TestCheckPinned
			got := ids(policy.CheckSpec(s))
			want := tt.want
			if want == nil {
				want = []string{}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %q\nwant %q", got, want)
			}
		})
	}
}

func TestCheckSpecPositionsAndMessages(t *testing.T) {
	s := parse(t, header+"runtime:\n  user: root\n  ports: [443]\n"+
		"  env: {GITHUB_TOKEN: ghp_"+strings.Repeat("x", 36)+"}\n")
	vs := policy.CheckSpec(s)
	got := make([]string, len(vs))
	for i, v := range vs {
		got[i] = v.String()
	}
	want := []string{
		`kiln.yaml:4:9: error[runtime-user-not-numeric]: runtime user "root" is a name; ` +
			"Kubernetes runAsNonRoot cannot verify a name: write the numeric uid:gid, " +
			"such as 65532:65532",
		`kiln.yaml:4:9: error[runtime-user-root]: runtime user "root" is root; run as a ` +
			"non-root user such as 65532:65532 and list the folders it writes under " +
			"runtime.writable",
		"kiln.yaml:6:23: error[secret-in-env]: runtime.env.GITHUB_TOKEN holds a GitHub " +
			"token; runtime.env is stored in the image config; give it to the container " +
			"at run time from the orchestrator's secrets, as a mounted file or an " +
			"environment variable",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, v := range vs {
		if strings.Contains(v.Message, "ghp_x") {
			t.Errorf("the message repeats the secret: %s", v.Message)
		}
	}
}

func TestCheckBuildNetwork(t *testing.T) {
	s := parse(t, header+"build:\n  run: [go build -o /out/app .]\n")
	for _, mode := range []string{"", policy.NetworkNone} {
		if vs := policy.CheckBuildNetwork(s, mode, "--network"); len(vs) != 0 {
			t.Errorf("mode %q: got %v, want nothing", mode, vs)
		}
	}
	vs := policy.CheckBuildNetwork(s, policy.NetworkHost, "--network=host")
	if got := ids(vs); !slices.Equal(got, []string{"build-network@build"}) {
		t.Fatalf("got %q", got)
	}
	if r := vs[0].Range; r.Line != 4 || r.Column != 3 {
		t.Errorf("range %+v, want the build mapping at 4:3", r)
	}
	if !strings.Contains(vs[0].Message, "--network=host") {
		t.Errorf("the message does not say what asked: %s", vs[0].Message)
	}
	// The spec has no key that asks for network, so CheckSpec never
	// reports the rule.
	for _, v := range policy.CheckSpec(s) {
		if v.Rule.ID == policy.BuildNetwork {
			t.Errorf("CheckSpec reported %v", v)
		}
	}
}

func TestCheckPinned(t *testing.T) {
	digest := "@sha256:" + strings.Repeat("a", 64)
	s := parse(t, header+"runtime: {base: \"gcr.io/distroless/static-debian13:nonroot\"}\n")
	toolchain := policy.Image{Key: "toolchain", Ref: "docker.io/library/golang:1.26-trixie"}
	base := policy.Image{Key: "runtime.base", Ref: "gcr.io/distroless/static-debian13:nonroot"}
	locked := func(ref string) bool { return ref == base.Ref }
	tests := []struct {
		name   string
		images []policy.Image
		pinned func(string) bool
		want   []string
	}{
		{"nothing locked", []policy.Image{toolchain, base}, nil,
			[]string{"base-unpinned@runtime.base", "base-unpinned@toolchain"}},
		{"base in the lock", []policy.Image{toolchain, base}, locked,
			[]string{"base-unpinned@toolchain"}},
		{"inline digests", []policy.Image{
			{Key: "toolchain", Ref: toolchain.Ref + digest},
			{Key: "runtime.base", Ref: base.Ref + digest}}, nil, nil},
		{"a reference with an arg is not judged", []policy.Image{
			{Key: "runtime.base", Ref: "gcr.io/distroless/${FLAVOUR}-debian13"}}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := policy.CheckPinned(s, tt.images, tt.pinned)
			got := ids(vs)
			want := tt.want
			if want == nil {
				want = []string{}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			for _, v := range vs {
				if !strings.Contains(v.Message, "kiln lock") {
					t.Errorf("message does not name the fix: %s", v.Message)
				}
			}
		})
	}
}
