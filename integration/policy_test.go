package integration

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnbuild/kiln/frontend"
	"github.com/kilnbuild/kiln/integration/kilntest"
)

// leakySpec ships a setuid file, a world-writable file and folder and a
// private key on a base that carries a shell. The world-writable ones sit
// under a runtime.writable folder, so only rootfs-world-writable reports
// them.
const leakySpec = `# syntax=ghcr.io/kilnbuild/kiln:1
name: leaky
language: static
runtime:
  base: gcr.io/distroless/static-debian13:kilntest-shell
  copy:
    - {from: tool, to: /app/tool, mode: "4755"}
    - {from: shared.txt, to: /app/data/shared.txt, mode: "0666"}
    - {from: spool, to: /app/data/spool, mode: "0777"}
    - {from: deploy_key, to: /app/deploy_key}
  writable: [/app/data]
policy:
  mode: MODE
`

// leakyCount is the number of violations the leaky app has, one per path:
// /bin/sh, the setuid tool, the key, shared.txt, and the spool folder, its
// subfolder and its file (a copy's mode applies to what it creates).
const leakyCount = 7

var leakyRules = []string{"rootfs-secret-file", "rootfs-setuid", "rootfs-shell",
	"rootfs-world-writable"}

// leakyApp writes the leaky app with the policy mode, locked against the
// local registry, and returns its folder.
func leakyApp(t *testing.T, e *kilntest.Env, mode string) string {
	t.Helper()
	e.ShellBase(t)
	dir := t.TempDir()
	files := map[string]string{
		"kiln.yaml":  strings.ReplaceAll(leakySpec, "MODE", mode),
		"tool":       "a prebuilt tool\n",
		"shared.txt": "shared notes\n",
		"deploy_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n" +
			"-----END OPENSSH PRIVATE KEY-----\n",
	}
	if err := os.MkdirAll(filepath.Join(dir, "spool", "queue"), 0o755); err != nil {
		t.Fatal(err)
	}
	files["spool/queue/README"] = "jobs land here\n"
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e.Locked(t, dir)
}

var ruleID = regexp.MustCompile(`(?:error|warning)\[([a-z-]+)\]`)

// ruleIDs lists the distinct rule ids named in out, sorted.
func ruleIDs(out string) []string {
	var ids []string
	for _, m := range ruleID.FindAllStringSubmatch(out, -1) {
		if !slices.Contains(ids, m[1]) {
			ids = append(ids, m[1])
		}
	}
	slices.Sort(ids)
	return ids
}

// TestPolicyEnforce builds the leaky app in enforce mode: the build fails
// and lists exactly the rules it breaks, found in the built root file
// system.
func TestPolicyEnforce(t *testing.T) {
	e := kilntest.Setup(t)
	dir := leakyApp(t, e, "enforce")
	_, err := tryKiln(t, e, dir, "")
	if err == nil {
		t.Fatal("the leaky app built in enforce mode")
	}
	if got := ruleIDs(err.Error()); !slices.Equal(got, leakyRules) {
		t.Errorf("violations %v, want exactly %v\n%v", got, leakyRules, err)
	}
	for _, want := range []string{"/bin/sh", "/app/tool", "/app/data/shared.txt",
		"/app/data/spool/queue is writable", "/app/deploy_key", "policy.mode: enforce"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
}

// TestPolicyEnforceSpecFirst builds an unlocked spec whose runtime user is
// root in enforce mode: the spec rules fail the build with their YAML
// lines before any step runs.
func TestPolicyEnforceSpecFirst(t *testing.T) {
	e := kilntest.Setup(t)
	dir := kilntest.CopyDir(t, filepath.Join(e.Root, "integration", "testdata", "hello"))
	bad := "# syntax=ghcr.io/kilnbuild/kiln:1\nname: hello\nlanguage: go\n" +
		"runtime:\n  user: 0\n"
	res, err := tryKiln(t, e, dir, bad)
	if err == nil {
		t.Fatal("an unlocked spec with a root user built in enforce mode")
	}
	want := []string{"base-unpinned", "runtime-user-root"}
	if got := ruleIDs(err.Error()); !slices.Equal(got, want) {
		t.Errorf("violations %v, want exactly %v\n%v", got, want, err)
	}
	for _, want := range []string{"kiln.yaml:5:9", "kiln lock", "policy.mode: enforce"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if res != nil && strings.Contains(res.Progress, "go build") {
		t.Errorf("the build step ran before the spec rules failed:\n%s", res.Progress)
	}
}

// warningsFound reads the count in buildx's "N warnings found" line.
var warningsFound = regexp.MustCompile(`(\d+) warnings? found`)

// TestPolicyWarnThroughBuildx builds the leaky app in warn mode through the
// real buildx, with a privileged port as well: the build succeeds, buildx
// shows each violation, and the spec rule's warning carries its YAML line.
func TestPolicyWarnThroughBuildx(t *testing.T) {
	e := kilntest.Setup(t)
	e.FrontendImage(t)
	dir := leakyApp(t, e, "warn")
	spec := strings.Replace(strings.ReplaceAll(leakySpec, "MODE", "warn"),
		"  writable: [/app/data]\n", "  writable: [/app/data]\n  ports: [80]\n", 1)
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "oci")
	cmd := e.Command(ctx, "docker", "buildx", "--builder", e.Builder, "build",
		"--progress=plain", "-f", filepath.Join(dir, "kiln.yaml"),
		"--output", "type=oci,tar=false,dest="+out, dir)
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("warn mode must not fail the build: %v\n%s", err, log)
	}
	want := slices.Sorted(slices.Values(append([]string{"privileged-port"}, leakyRules...)))
	if got := ruleIDs(string(log)); !slices.Equal(got, want) {
		t.Errorf("buildx showed warnings for %v, want %v\n%s", got, want, log)
	}
	// One warning per violation: a path each for the rootfs rules, and
	// the files and folder of the spool count one each.
	m := warningsFound.FindStringSubmatch(string(log))
	if m == nil || m[1] != strconv.Itoa(leakyCount+1) {
		t.Errorf("buildx counts %v warnings, want %d:\n%s", m, leakyCount+1, log)
	}
	if !strings.Contains(string(log), "kiln.yaml:12:11") {
		t.Errorf("the privileged-port warning does not show kiln.yaml:12:11:\n%s", log)
	}
}

// TestCheckThroughBuildx runs `docker buildx build --check`: the spec rules
// are reported with their lines and the command fails, nothing is built.
func TestCheckThroughBuildx(t *testing.T) {
	e := kilntest.Setup(t)
	e.FrontendImage(t)
	dir := e.Locked(t, filepath.Join(e.Root, "examples", "go-hello"))
	bad := "# syntax=ghcr.io/kilnbuild/kiln:1\nname: go-hello\nlanguage: go\n" +
		"runtime:\n  user: 0\n  env: {API_TOKEN: ghp_abcdefghijklmnopqrstuvwxyz0123456789}\n"
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := e.Command(ctx, "docker", "buildx", "--builder", e.Builder, "build", "--check",
		"-f", filepath.Join(dir, "kiln.yaml"), dir)
	log, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("--check passed a spec that breaks rules:\n%s", log)
	}
	for _, want := range []string{"runtime-user-root", "secret-in-env", "kiln.yaml:5"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("--check output lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(string(log), "go build") {
		t.Errorf("--check built the app:\n%s", log)
	}
}

// TestExamplesPassThePolicy builds every committed example, locked, in
// enforce mode with no exceptions.
func TestExamplesPassThePolicy(t *testing.T) {
	e := kilntest.Setup(t)
	for _, name := range []string{"go-hello", "static-hello"} {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join(e.Root, "examples", name)
			data, err := os.ReadFile(filepath.Join(src, "kiln.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(data), "allow:") || strings.Contains(string(data),
				"mode: warn") {
				t.Fatalf("examples/%s/kiln.yaml relaxes the policy", name)
			}
			dir := e.Locked(t, src)
			e.Build(t, kilntest.BuildOpt{
				Func:          frontend.Build,
				FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
				LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
				NoExport:      true,
			})
		})
	}
}

// TestPolicyAllowRecordsExceptions allows each broken rule with a reason:
// the build succeeds and the image records the exceptions in a label.
func TestPolicyAllowRecordsExceptions(t *testing.T) {
	e := kilntest.Setup(t)
	dir := leakyApp(t, e, "enforce")
	spec := strings.ReplaceAll(leakySpec, "MODE", "enforce") + "  allow:\n"
	for _, id := range leakyRules {
		spec += "    - {rule: " + id + ", reason: \"test of " + id + "\"}\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	res := e.Build(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
	})
	label := res.Image(t, "").Config.Config.Labels["com.github.kilnbuild.kiln.policy.allowed"]
	for _, id := range leakyRules {
		if !strings.Contains(label, `"rule":"`+id+`"`) ||
			!strings.Contains(label, "test of "+id) {
			t.Errorf("the allowed label lacks %s: %s", id, label)
		}
	}
}

// TestWritableInTheBase asks for a writable folder that the runtime base
// already has, owned by root: kiln cannot hand it to the runtime user, so
// the build fails at that line and says what to do instead.
func TestWritableInTheBase(t *testing.T) {
	e := kilntest.Setup(t)
	dir := helloDir(t, e)
	bad := "# syntax=ghcr.io/kilnbuild/kiln:1\nname: hello\nlanguage: go\n" +
		"runtime:\n  writable: [/tmp, /usr/share]\n"
	_, err := tryKiln(t, e, dir, bad)
	if err == nil {
		t.Fatal("a build with a root-owned writable folder from the base succeeded")
	}
	for _, want := range []string{"kiln.yaml:5:20", "runtime.writable[1]",
		"/usr/share is already in the runtime base", "owned by 0:0", "/var/lib/hello"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "/tmp") {
		t.Errorf("the base's sticky /tmp was reported:\n%v", err)
	}
}

// tryKiln writes spec (when not empty) as dir/kiln.yaml and builds dir with
// kiln's frontend in-process, without exporting, for tests of failures.
func tryKiln(t *testing.T, e *kilntest.Env, dir, spec string) (*kilntest.Result, error) {
	t.Helper()
	if spec != "" {
		if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return e.TryBuild(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
		NoExport:      true,
	})
}

// TestNamedRuntimeUser builds with a user name that policy.allow excuses:
// kiln looks it up in the base's /etc/passwd, so the writable folder is
// that user's, and the config keeps the name. A name the base does not
// know fails at runtime.user.
func TestNamedRuntimeUser(t *testing.T) {
	e := kilntest.Setup(t)
	dir := helloDir(t, e)
	spec := "# syntax=ghcr.io/kilnbuild/kiln:1\nname: hello\nlanguage: go\nruntime:\n" +
		"  user: USER\n  writable: [/data]\npolicy:\n  allow:\n" +
		"    - {rule: runtime-user-not-numeric, reason: \"test of a named user\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"),
		[]byte(strings.Replace(spec, "USER", "nonroot", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	res := e.Build(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
	})
	img := res.Image(t, "")
	if got := img.Config.Config.User; got != "nonroot" {
		t.Errorf("config user = %q, want nonroot as written", got)
	}
	if d := img.Files["data"]; d == nil || d.Uid != 65532 || d.Gid != 65532 {
		t.Errorf("/data = %+v, want a folder owned by nonroot's 65532:65532", d)
	}

	_, err := tryKiln(t, e, dir, strings.Replace(spec, "USER", "app", 1))
	if err == nil {
		t.Fatal("a user the base does not know built")
	}
	for _, want := range []string{"kiln.yaml:5:9", "runtime.user",
		`user "app" is not in the runtime base's /etc/passwd`, "nonroot"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
