package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/kilnbuild/kiln/frontend"
)

// gitCommit makes dir a git repository with everything in it committed
// and origin set to remote, and returns the commit.
func gitCommit(t *testing.T, dir, remote string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed for this test: %v", err)
	}
	gitRun := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=kiln", "GIT_AUTHOR_EMAIL=k@example.com",
			"GIT_COMMITTER_NAME=kiln", "GIT_COMMITTER_EMAIL=k@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	gitRun("init", "-q")
	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "first")
	gitRun("remote", "add", "origin", remote)
	return regexp.MustCompile(`[0-9a-f]{40}`).FindString(gitRun("rev-parse", "HEAD"))
}

// TestGitInfo checks the vcs attributes kiln build sends for a context in
// a git repository: the origin without its credentials, HEAD's commit,
// "-dirty" once the work tree changes, and nothing when turned off or
// outside a repository.
func TestGitInfo(t *testing.T) {
	dir := t.TempDir()
	noEnv := func(string) string { return "" }
	attrs := map[string]string{}
	addGitInfo(attrs, dir, noEnv)
	if len(attrs) != 0 {
		t.Errorf("outside a repository: %v, want nothing", attrs)
	}

	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n"),
		0o644); err != nil {
		t.Fatal(err)
	}
	head := gitCommit(t, dir, "https://ci-bot:s3cr3t@git.example.com/org/app.git")

	attrs = map[string]string{}
	addGitInfo(attrs, dir, noEnv)
	want := map[string]string{attrVCSRevision: head,
		attrVCSSource: "https://git.example.com/org/app.git"}
	if len(attrs) != 2 || attrs[attrVCSRevision] != want[attrVCSRevision] ||
		attrs[attrVCSSource] != want[attrVCSSource] {
		t.Errorf("clean repository: %v, want %v", attrs, want)
	}

	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main // x\n"),
		0o644); err != nil {
		t.Fatal(err)
	}
	attrs = map[string]string{}
	addGitInfo(attrs, dir, noEnv)
	if got := attrs[attrVCSRevision]; got != head+"-dirty" {
		t.Errorf("changed work tree: revision %q, want %s-dirty", got, head)
	}

	attrs = map[string]string{}
	addGitInfo(attrs, dir, func(k string) string {
		if k == "BUILDX_GIT_INFO" {
			return "false"
		}
		return ""
	})
	if len(attrs) != 0 {
		t.Errorf("BUILDX_GIT_INFO=false: %v, want nothing", attrs)
	}
}

// TestWithoutCredentials keeps tokens out of the source label.
func TestWithoutCredentials(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:tok@github.com/o/r.git": "https://github.com/o/r.git",
		"https://github.com/o/r":              "https://github.com/o/r",
		"git@github.com:o/r.git":              "git@github.com:o/r.git",
		"ssh://git@github.com/o/r.git":        "ssh://github.com/o/r.git",
	} {
		if got := frontend.WithoutCredentials(in); got != want {
			t.Errorf("withoutCredentials(%q) = %q, want %q", in, got, want)
		}
	}
}
