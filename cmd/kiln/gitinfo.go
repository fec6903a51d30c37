package main

import (
	"context"
	"os/exec"
	"strings"
	"time"

	"github.com/kilnbuild/kiln/frontend"
)

// Frontend attributes that name the source of a build, as docker buildx
// sends them; the frontend turns them into the image labels
// org.opencontainers.image.source and .revision.
const (
	attrVCSSource   = "vcs:source"
	attrVCSRevision = "vcs:revision"
)

// addGitInfo sends the git remote and commit of the build context, as
// buildx does: the origin URL without credentials, and the commit of HEAD
// with "-dirty" appended when the work tree has changes. A folder outside
// a git repository, a machine without git, or BUILDX_GIT_INFO=0 sends
// nothing.
func addGitInfo(attrs map[string]string, dir string, getenv func(string) string) {
	switch strings.ToLower(getenv("BUILDX_GIT_INFO")) {
	case "0", "false", "no", "off":
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	git := func(args ...string) (string, bool) {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...).
			Output()
		return strings.TrimSpace(string(out)), err == nil
	}
	rev, ok := git("rev-parse", "--verify", "-q", "HEAD")
	if !ok || rev == "" {
		return
	}
	if status, ok := git("status", "--porcelain", "--ignored=no"); ok && status != "" {
		rev += "-dirty"
	}
	attrs[attrVCSRevision] = rev
	if remote, ok := git("remote", "get-url", "origin"); ok && remote != "" {
		attrs[attrVCSSource] = frontend.WithoutCredentials(remote)
	}
}
