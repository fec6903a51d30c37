package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	ruledocs "github.com/kilnbuild/kiln/docs/rules"
	"github.com/kilnbuild/kiln/lock"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// runKiln runs the kiln command line and returns its exit code and output.
func runKiln(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	old := version
	version = "v0.0.0-test" // keep the SARIF golden file stable
	defer func() { version = old }()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/kiln -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cmd/kiln -update rewrites it):\n%s",
			p, got)
	}
}

// lockedCopy copies the spec of an example into a temporary folder with a
// kiln.lock that records every image it pulls (with made-up digests), as
// 'kiln lock' would: committed examples carry no lock, since its digests
// depend on the registry a user pulls from.
func lockedCopy(t *testing.T, example string) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(example, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, images, err := specImages(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f := &lock.File{Version: lock.Version, Images: map[string]lock.Image{}}
	for _, img := range images {
		key, err := lock.Key(img.Ref)
		if err != nil {
			t.Fatal(err)
		}
		f.Images[key] = lock.Image{Digest: digest.FromString(key)}
	}
	if err := os.WriteFile(filepath.Join(dir, lock.FileName), f.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLint(t *testing.T) {
	const bad = "testdata/lint/bad/kiln.yaml"
	goHello := lockedCopy(t, "../../examples/go-hello")
	staticHello := lockedCopy(t, "../../examples/static-hello")
	tests := []struct {
		name       string
		args       []string
		code       int
		golden     string // stdout golden file; empty means no output
		stderrHas  string
		stderrGold string
	}{
		{"go-hello example passes once locked", []string{"lint", goHello}, 0, "", "", ""},
		{"static-hello example passes once locked",
			[]string{"lint", "-f", filepath.Join(staticHello, "kiln.yaml")}, 0, "", "", ""},
		{"a tag pinned by kiln.lock", []string{"lint", "testdata/lint/locked"}, 0, "", "", ""},

		{"text", []string{"lint", "-f", bad}, 1, "lint/bad.txt",
			"kiln: testdata/lint/bad/kiln.yaml: 8 violations of the hardening policy", ""},
		{"json", []string{"lint", "-f", bad, "--format", "json"}, 1, "lint/bad.json", "", ""},
		{"sarif", []string{"lint", "--format=sarif", "testdata/lint/bad"}, 1,
			"lint/bad.sarif", "", ""},

		{"invalid spec", []string{"lint", "testdata/lint/invalid"}, 2, "", "",
			"lint/invalid.stderr"},
		{"invalid spec in json", []string{"lint", "--format", "json", "testdata/lint/invalid"},
			2, "", "", "lint/invalid.stderr"},
		{"unknown rule in policy.allow", []string{"lint", "testdata/lint/unknown-allow"}, 2, "",
			`unknown rule "privileged-prot"; did you mean "privileged-port"?`, ""},
		{"missing spec", []string{"lint", "testdata/lint/none"}, 2, "",
			"testdata/lint/none/kiln.yaml: no such file or directory", ""},
		{"unknown format", []string{"lint", "--format", "xml", "testdata/lint/bad"}, 2, "",
			`unknown format "xml"`, ""},
		{"two folders", []string{"lint", "a", "b"}, 2, "", "takes at most one DIR", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runKiln(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s",
					code, tt.code, stdout, stderr)
			}
			if tt.golden != "" {
				checkGolden(t, tt.golden, stdout)
			} else if stdout != "" {
				t.Errorf("stdout:\n%s\nwant nothing", stdout)
			}
			if tt.stderrGold != "" {
				checkGolden(t, tt.stderrGold, stderr)
			}
			if !strings.Contains(stderr, tt.stderrHas) {
				t.Errorf("stderr:\n%s\nwant it to contain %q", stderr, tt.stderrHas)
			}
			if tt.code == 0 && stderr != "" {
				t.Errorf("stderr:\n%s\nwant nothing", stderr)
			}
		})
	}
}

func TestLintWithoutTheLock(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/lint/locked/kiln.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runKiln(t, "lint", dir)
	if code != 1 || !strings.Contains(stdout, "error[base-unpinned]") {
		t.Errorf("exit %d, stdout:\n%s\nwant base-unpinned without kiln.lock", code, stdout)
	}

	// A broken lock file is an invalid input, as an invalid spec is.
	if err := os.WriteFile(filepath.Join(dir, "kiln.lock"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runKiln(t, "lint", dir)
	if code != 2 || !strings.Contains(stderr, "kiln.lock") {
		t.Errorf("exit %d, stderr:\n%s\nwant 2 and a message about kiln.lock", code, stderr)
	}
}

// TestLintWarnMode lints a spec with policy.mode warn: every violation is
// reported as a warning, whatever its rule's severity, and kiln lint
// passes, as the build does; the SARIF results are warnings too.
func TestLintWarnMode(t *testing.T) {
	dir := t.TempDir()
	spec := "name: app\nlanguage: go\nruntime:\n  user: 0\npolicy:\n  mode: warn\n"
	if err := os.WriteFile(filepath.Join(dir, "kiln.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runKiln(t, "lint", dir)
	if code != 0 || !strings.Contains(stdout, "kiln.yaml:4:9: warning[runtime-user-root]") ||
		strings.Contains(stdout, "error[") || !strings.Contains(stderr, "policy.mode: warn") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant 0 and only warnings", code,
			stdout, stderr)
	}
	// In enforce mode every violation fails, so each is an error, even of
	// a rule whose severity is warning.
	enforced := "name: app\nlanguage: go\nruntime:\n  ports: [80]\n"
	edir := t.TempDir()
	if err := os.WriteFile(filepath.Join(edir, "kiln.yaml"), []byte(enforced),
		0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runKiln(t, "lint", edir); code != 1 ||
		!strings.Contains(out, "error[privileged-port]") {
		t.Errorf("enforce mode: exit %d, want 1 and error[privileged-port]:\n%s", code, out)
	}

	code, stdout, _ = runKiln(t, "lint", "--format", "sarif", dir)
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
				Level  string `json:"level"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("SARIF in warn mode: exit %d, %v:\n%s", code, err, stdout)
	}
	results := log.Runs[0].Results
	if code != 0 || len(results) == 0 {
		t.Errorf("SARIF in warn mode: exit %d, %d results", code, len(results))
	}
	for _, r := range results {
		if r.Level != "warning" {
			t.Errorf("SARIF result %s has level %q, want warning", r.RuleID, r.Level)
		}
	}
}

func TestRules(t *testing.T) {
	code, stdout, stderr := runKiln(t, "rules")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	checkGolden(t, "rules.txt", stdout)
	if code, _, _ := runKiln(t, "rules", "extra"); code != 2 {
		t.Errorf("kiln rules extra: exit %d, want 2", code)
	}
}

func TestExplain(t *testing.T) {
	code, stdout, _ := runKiln(t, "explain", "runtime-user-root")
	page, _ := ruledocs.Page("runtime-user-root")
	if code != 0 || stdout != page {
		t.Errorf("exit %d, output:\n%s\nwant the page", code, stdout)
	}
	code, stdout, _ = runKiln(t, "explain")
	if code != 0 || stdout != ruledocs.Index() {
		t.Errorf("exit %d: without a rule, want the index", code)
	}
	code, stdout, stderr := runKiln(t, "explain", "runtime-user-rot")
	want := `unknown rule "runtime-user-rot"; did you mean "runtime-user-root"?`
	if code != 2 || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, _ := runKiln(t, "explain", "a", "b"); code != 2 {
		t.Errorf("two rules: exit %d, want 2", code)
	}
}

// TestExplainCaches lists the cache mounts of the Go example, with a
// namespace, as docs/caches.md documents them.
func TestExplainCaches(t *testing.T) {
	code, stdout, stderr := runKiln(t, "explain", "caches", "--namespace", "team-a", "-f",
		filepath.Join("..", "..", "examples", "go-hello", "kiln.yaml"))
	want := []string{
		"deps   /var/cache/kiln/go-mod      team-a/kiln-go-mod    shared   65532:65532",
		"build  /home/kiln/.cache/go-build  team-a/kiln-go-build  shared   65532:65532",
	}
	for _, w := range want {
		if code != 0 || !strings.Contains(stdout, w) {
			t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant the line %q", code, stdout,
				stderr, w)
		}
	}
	code, stdout, _ = runKiln(t, "explain", "caches", "-f",
		filepath.Join("..", "..", "examples", "static-hello", "kiln.yaml"))
	if code != 0 || !strings.Contains(stdout, "mounts no caches") {
		t.Errorf("static: exit %d, stdout:\n%s", code, stdout)
	}
}
