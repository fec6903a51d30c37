package frontend

import (
	"net/url"
	"regexp"

	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
)

// commitSHA matches a full git commit id.
var commitSHA = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// gitContextSource returns the repository and, when the context names it,
// the commit of a git build context (docker buildx build URL.git#REF), for
// the source and revision labels. Other contexts give "".
func gitContextSource(context string) (source, revision string) {
	g, isGit, err := dfgitutil.ParseGitRef(context)
	if err != nil || !isGit || g == nil {
		return "", ""
	}
	switch {
	case g.Checksum != "":
		revision = g.Checksum
	case commitSHA.MatchString(g.Ref):
		revision = g.Ref
	}
	return WithoutCredentials(g.Remote), revision
}

// WithoutCredentials drops a user name and password from a URL remote, so
// that a token in it never reaches an image label. Remotes in the scp
// form (git@host:path) name only the ssh user and are kept.
func WithoutCredentials(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil || u.Host == "" {
		return remote
	}
	u.User = nil
	return u.String()
}
