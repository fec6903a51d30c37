package frontend

import (
	"context"
	"fmt"
	"path"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"

	"github.com/kilnbuild/kiln/lock"
)

// specFiles asks dockerui to transfer kiln.lock with the spec: for a local
// spec, BuildKit sends only the files named here, and these replace the
// list dockerui would use, so the spec and its .dockerignore are named too.
// A spec in a git or HTTP context comes with its whole source anyway.
func specFiles(bc *dockerui.Client) bkllb.LocalOption {
	name := bc.BuildOpts().Opts["filename"]
	if name == "" {
		name = dockerui.DefaultDockerfileName
	}
	return bkllb.FollowPaths([]string{name, name + ".dockerignore",
		path.Join(path.Dir(name), lock.FileName)})
}

// readLock reads kiln.lock from beside the spec, in the source the spec was
// read from (the dockerfile local, a replacement of it, or a git context).
// It returns nil when there is no lock file.
func readLock(ctx context.Context, c client.Client, src *dockerui.Source) (*lock.File, error) {
	dir := path.Dir(src.Filename)
	name := path.Join(dir, lock.FileName)
	if src.SourceMap == nil || src.SourceMap.Definition == nil {
		return nil, fmt.Errorf("reading %s: the spec's source is unknown", name)
	}
	// The same definition as the spec's: BuildKit solves it once.
	res, err := c.Solve(ctx, client.SolveRequest{Definition: src.SourceMap.Definition.ToPB()})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	entries, err := ref.ReadDir(ctx, client.ReadDirRequest{Path: dir,
		IncludePattern: lock.FileName})
	if err != nil || len(entries) == 0 {
		return nil, nil //nolint:nilerr // no folder or no file: there is no lock
	}
	data, err := ref.ReadFile(ctx, client.ReadRequest{Filename: name})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return lock.Parse(data)
}
