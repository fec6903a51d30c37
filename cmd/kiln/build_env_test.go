package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/integration/kilntest"
)

// setupEnv returns the running test environment (make test starts it).
// Without one the test skips, and fails under CI.
func setupEnv(t *testing.T) *kilntest.Env {
	t.Helper()
	e := kilntest.Setup(t)
	t.Setenv("BUILDKIT_HOST", e.BuildkitHost)
	return e
}

// TestBuildGoHello runs "kiln lock" and "kiln build" on a copy of
// examples/go-hello against the test environment, exports an OCI layout and
// checks the image.
func TestBuildGoHello(t *testing.T) {
	e := setupEnv(t)
	dir := kilntest.CopyDir(t, filepath.Join(e.Root, "examples", "go-hello"))
	var stdout, stderr bytes.Buffer
	if code := run([]string{"lock", "--mirror", "docker.io=" + e.Registry,
		"--mirror", "gcr.io=" + e.Registry, dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("kiln lock exited %d:\n%s", code, stderr.String())
	}
	stdout.Reset()
	// A committed context: the image names its source and revision.
	head := gitCommit(t, dir, "https://example.com/kilnbuild/go-hello.git")
	dest := filepath.Join(t.TempDir(), "oci")
	code := run([]string{"build", "--progress", "plain", "-o", "type=oci,tar=false,dest=" + dest,
		dir}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("kiln build exited %d:\n%s", code, stderr.String())
	}

	img := kilntest.OpenLayout(t, dest, "")
	if got := strings.TrimSpace(stdout.String()); got != img.Digest.String() {
		t.Errorf("kiln build printed %q, want the image digest %s", got, img.Digest)
	}
	cfg := img.Config.Config
	if got := cfg.Labels["org.opencontainers.image.revision"]; got != head {
		t.Errorf("revision label = %q, want the commit %s", got, head)
	}
	if got := cfg.Labels["org.opencontainers.image.source"]; got !=
		"https://example.com/kilnbuild/go-hello.git" {
		t.Errorf("source label = %q, want the origin remote", got)
	}
	if cfg.User != "65532:65532" {
		t.Errorf("config user = %q, want 65532:65532", cfg.User)
	}
	if len(cfg.Entrypoint) != 1 || cfg.Entrypoint[0] != "/app/go-hello" {
		t.Errorf("entrypoint = %q, want [/app/go-hello]", cfg.Entrypoint)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports = %v, want 8080/tcp", cfg.ExposedPorts)
	}
	bin, ok := img.Files["app/go-hello"]
	switch {
	case !ok:
		t.Errorf("/app/go-hello is missing from the image")
	case bin.Uid != 0 || bin.Mode&0o022 != 0:
		t.Errorf("/app/go-hello is owned by %d with mode %o; the runtime user must not be "+
			"able to change it", bin.Uid, bin.Mode)
	}
	img.AssertNoShell(t)
}

// TestBuildSpecError checks that a spec mistake found by the frontend
// reaches the user as kiln.yaml:LINE:COL with exit code 1.
func TestBuildSpecError(t *testing.T) {
	setupEnv(t)
	dir := t.TempDir()
	spec := "# syntax=ghcr.io/kilnbuild/kiln:1\nname: app\nlanguage: go\nruntim:\n  ports: [80]\n"
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"build", "--progress", "quiet", dir}, &stdout, &stderr)
	if code != 1 {
		t.Fatalf("kiln build exited %d, want 1:\n%s", code, stderr.String())
	}
	if msg := stderr.String(); !strings.Contains(msg, "kiln.yaml:4:1") ||
		!strings.Contains(msg, "runtime") {
		t.Errorf("the error does not point at kiln.yaml:4:1 and suggest runtime:\n%s", msg)
	}
}

// TestLockCheck runs "kiln lock --check" against the test registry: it
// fails without a lock, passes right after "kiln lock", fails again once
// the lock names another digest or the spec another image, and never
// writes the lock itself.
func TestLockCheck(t *testing.T) {
	e := setupEnv(t)
	dir := kilntest.CopyDir(t, filepath.Join(e.Root, "examples", "go-hello"))
	lockPath := filepath.Join(dir, "kiln.lock")
	mirrors := []string{"--mirror", "docker.io=" + e.Registry, "--mirror", "gcr.io=" + e.Registry}
	lockRun := func(extra ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(append(append([]string{"lock"}, mirrors...), append(extra, dir)...),
			&stdout, &stderr)
		return code, stderr.String()
	}

	if code, msg := lockRun("--check"); code != 1 || !strings.Contains(msg, "does not exist") {
		t.Errorf("--check without a lock exited %d, want 1 saying it does not exist:\n%s",
			code, msg)
	}
	if _, err := os.Stat(lockPath); err == nil {
		t.Fatal("kiln lock --check wrote kiln.lock")
	}
	if code, msg := lockRun(); code != 0 {
		t.Fatalf("kiln lock exited %d:\n%s", code, msg)
	}
	if code, msg := lockRun("--check"); code != 0 || !strings.Contains(msg, "up to date") {
		t.Errorf("--check right after kiln lock exited %d, want 0:\n%s", code, msg)
	}

	// A lock whose digest the registry no longer gives is stale.
	good, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	old := regexpDigest.FindString(string(good))
	if old == "" {
		t.Fatalf("no digest in kiln.lock:\n%s", good)
	}
	stale := strings.Replace(string(good), old, "sha256:"+strings.Repeat("0", 64), 1)
	if err := os.WriteFile(lockPath, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	code, msg := lockRun("--check")
	if code != 1 || !strings.Contains(msg, "is stale") || !strings.Contains(msg, "kiln lock") {
		t.Errorf("--check on a stale lock exited %d, want 1 saying to run kiln lock:\n%s",
			code, msg)
	}
	if now, _ := os.ReadFile(lockPath); string(now) != stale {
		t.Error("kiln lock --check rewrote a stale kiln.lock")
	}

	// So is a lock for a spec that now names another runtime base.
	if err := os.WriteFile(lockPath, good, 0o644); err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(dir, "kiln.yaml")
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	moved := strings.Replace(string(data), "runtime:\n", "runtime:\n  base: base\n", 1)
	if err := os.WriteFile(specPath, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, msg := lockRun("--check"); code != 1 || !strings.Contains(msg, "is stale") {
		t.Errorf("--check after the spec changed its base exited %d, want 1:\n%s", code, msg)
	}
}

// TestLockSharedBySpecs locks two specs of one folder into its kiln.lock:
// the second keeps the first one's entries, and --check of each passes.
func TestLockSharedBySpecs(t *testing.T) {
	e := setupEnv(t)
	dir := t.TempDir()
	specs := map[string]string{
		"api.yaml":    "name: api\nlanguage: go\n",
		"worker.yaml": "name: worker\nlanguage: go\nruntime:\n  base: cc\n",
	}
	for name, body := range specs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lockRun := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"lock", "--mirror", "docker.io=" + e.Registry,
			"--mirror", "gcr.io=" + e.Registry}, args...), &stdout, &stderr)
		return code, stderr.String()
	}
	for _, name := range []string{"api.yaml", "worker.yaml"} {
		if code, msg := lockRun("-f", filepath.Join(dir, name)); code != 0 {
			t.Fatalf("kiln lock -f %s exited %d:\n%s", name, code, msg)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "kiln.lock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"docker.io/library/golang:1.26-trixie",
		"gcr.io/distroless/static-debian13:nonroot", "gcr.io/distroless/cc-debian13:nonroot"} {
		if !strings.Contains(string(data), `"`+ref+`"`) {
			t.Errorf("kiln.lock lacks %s:\n%s", ref, data)
		}
	}
	for _, name := range []string{"api.yaml", "worker.yaml"} {
		if code, msg := lockRun("--check", "-f", filepath.Join(dir, name)); code != 0 {
			t.Errorf("kiln lock --check -f %s exited %d:\n%s", name, code, msg)
		}
	}

	// A lock kiln cannot read is not replaced: the other specs' entries
	// would be lost.
	lockPath := filepath.Join(dir, "kiln.lock")
	if err := os.WriteFile(lockPath, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, msg := lockRun("-f", filepath.Join(dir, "api.yaml"))
	if now, _ := os.ReadFile(lockPath); code != 1 || string(now) != "{" ||
		!strings.Contains(msg, "delete it") {
		t.Errorf("a broken kiln.lock: exit %d, file %q:\n%s", code, now, msg)
	}
}

// regexpDigest matches a sha256 digest.
var regexpDigest = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// TestLockUnknownImage asks the test registry for images it does not have:
// kiln lock fails and says so at the key that chose each image, with the
// fix, and writes no kiln.lock.
func TestLockUnknownImage(t *testing.T) {
	e := setupEnv(t)
	dir := t.TempDir()
	spec := "name: app\nlanguage: go\ntoolchain: \"1.20\"\nruntime:\n" +
		"  base: gcr.io/distroless/nope-debian13:nonroot\n"
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"lock", "--mirror", "docker.io=" + e.Registry,
		"--mirror", "gcr.io=" + e.Registry, dir}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("kiln lock exited %d, want 1:\n%s", code, stderr.String())
	}
	for _, want := range []string{
		"kiln.yaml:3:12: toolchain: the registry has no image " +
			"docker.io/library/golang:1.20-trixie; use a toolchain version",
		"kiln.yaml:5:9: runtime.base: the registry has no image " +
			"gcr.io/distroless/nope-debian13:nonroot; name an image that exists",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "kiln.lock")); err == nil {
		t.Error("kiln lock wrote kiln.lock although it could not resolve the images")
	}
}
