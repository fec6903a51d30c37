package integration

import (
	"context"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnbuild/kiln/frontend"
	"github.com/kilnbuild/kiln/integration/kilntest"
	"github.com/kilnbuild/kiln/lock"
)

// gitHTTPBackend is git's smart HTTP server, shipped with Debian's git.
const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// TestGitContext builds examples/go-hello from a git repository served
// over HTTP on 127.0.0.1, as `docker buildx build https://.../app.git`
// does: kiln reads kiln.yaml and kiln.lock from the repository (the lock
// pins the runtime base to a digest its tag does not name, and the image
// must use it), and the image is stamped with the commit's time.
func TestGitContext(t *testing.T) {
	e := kilntest.Setup(t)
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		t.Fatalf("git's HTTP backend is needed (apt-get install git): %v", err)
	}
	app := kilntest.CopyDir(t, filepath.Join(e.Root, "examples", "go-hello"))
	r := &lock.Resolver{Mirrors: e.Mirrors()}
	ctx := context.Background()
	f, err := r.Lock(ctx, []string{"golang:1.26-trixie"})
	if err != nil {
		t.Fatal(err)
	}
	latest, err := r.Lock(ctx, []string{"gcr.io/distroless/static-debian13:latest"})
	if err != nil {
		t.Fatal(err)
	}
	// :nonroot pinned to the digest of :latest.
	pinned := latest.Images["gcr.io/distroless/static-debian13:latest"]
	f.Images["gcr.io/distroless/static-debian13:nonroot"] = pinned
	if err := os.WriteFile(filepath.Join(app, lock.FileName), f.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}

	const commitTime = "2024-01-02T03:04:05Z"
	root := t.TempDir()
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=kiln", "GIT_AUTHOR_EMAIL=k@example.com",
			"GIT_COMMITTER_NAME=kiln", "GIT_COMMITTER_EMAIL=k@example.com",
			"GIT_AUTHOR_DATE="+commitTime, "GIT_COMMITTER_DATE="+commitTime)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git(app, "init", "-q", "-b", "main")
	git(app, "add", ".")
	git(app, "commit", "-q", "-m", "go-hello")
	git(root, "clone", "-q", "--bare", app, filepath.Join(root, "app.git"))

	srv := httptest.NewServer(&cgi.Handler{Path: gitHTTPBackend,
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}})
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("the git server listens on %s, not on the loopback address", srv.URL)
	}

	res := e.Build(t, kilntest.BuildOpt{
		Func:          frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml", "context": srv.URL + "/app.git"},
	})
	img := res.Image(t, "")
	want := pinned.Platforms["linux/amd64"].String()
	if got := img.Config.Config.Labels["org.opencontainers.image.base.digest"]; got != want {
		t.Errorf("base.digest = %s, want %s from the repository's kiln.lock", got, want)
	}
	wantTime, _ := time.Parse(time.RFC3339, commitTime)
	if c := img.Config.Created; !c.Equal(wantTime) {
		t.Errorf("created = %v, want the commit time %s", c, commitTime)
	}
	if got := img.Config.Config.Labels["org.opencontainers.image.source"]; got !=
		srv.URL+"/app.git" {
		t.Errorf("source label = %q, want the repository %s/app.git", got, srv.URL)
	}
	if _, ok := img.Files["app/go-hello"]; !ok {
		t.Error("/app/go-hello is missing from the image built from git")
	}

	// A context pinned to a commit names it as the revision.
	out, err := exec.Command("git", "-C", app, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.TrimSpace(string(out))
	res = e.Build(t, kilntest.BuildOpt{
		Func: frontend.Build,
		FrontendAttrs: map[string]string{"filename": "kiln.yaml",
			"context": srv.URL + "/app.git#" + head},
	})
	labels := res.Image(t, "").Config.Config.Labels
	if got := labels["org.opencontainers.image.revision"]; got != head {
		t.Errorf("revision label = %q, want the pinned commit %s", got, head)
	}
}
