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

// readLock reads kiln.lock from beside the spec, in the same local source
// as the spec itself. It returns nil when there is no lock file.
func readLock(ctx context.Context, c client.Client, bc *dockerui.Client,
	specFile string) (*lock.File, error) {
	dir := path.Dir(specFile)
	name := path.Join(dir, lock.FileName)
	st := bkllb.Local(dockerui.DefaultLocalNameDockerfile,
		bkllb.FollowPaths([]string{name}),
		bkllb.SessionID(bc.BuildOpts().SessionID),
		bkllb.SharedKeyHint(name),
		bkllb.Differ(bkllb.DiffNone, false),
		dockerui.WithInternalName("load "+name),
	)
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB()})
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
	f, err := lock.Parse(data)
	if err != nil {
		return nil, err
	}
	return f, nil
}
