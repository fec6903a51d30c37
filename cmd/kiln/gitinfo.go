package main

import (
	"context"
	"net/url"
	"os/exec"
	"strings"
	"time"
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
		attrs[attrVCSSource] = withoutCredentials(remote)
	}
}

// withoutCredentials drops a user name and password from a URL remote, so
// that a token in the remote never reaches an image label. Remotes in the
// scp form (git@host:path) name only the ssh user and are kept.
func withoutCredentials(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil || u.Host == "" {
		return remote
	}
	u.User = nil
	return u.String()
}
