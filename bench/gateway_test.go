package bench

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// calls adds up, per kind, the time an in-process frontend spends waiting
// on the gateway. The progress stream cannot show it: reading the files
// of a result, for one, is no vertex.
type calls struct {
	mu    sync.Mutex
	count map[string]int
	took  map[string]time.Duration
}

// done records one call of kind that began at start.
func (c *calls) done(kind string, start time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count == nil {
		c.count, c.took = map[string]int{}, map[string]time.Duration{}
	}
	c.count[kind]++
	c.took[kind] += time.Since(start)
}

// String lists the kinds, the slowest first, as "ReadDir 12× 0.10s".
func (c *calls) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	kinds := make([]string, 0, len(c.count))
	for k := range c.count {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return cmp.Compare(c.took[b], c.took[a]) })
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d× %.2fs", k, c.count[k], c.took[k].Seconds())
	}
	return strings.Join(parts, ", ")
}

// timed returns fn with its gateway calls, and the reads of the results
// those calls return, recorded in c. The result fn returns is handed on
// with the gateway's own references, as the gateway expects.
func timed(fn gateway.BuildFunc, c *calls) gateway.BuildFunc {
	return func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		res, err := fn(ctx, &timedClient{Client: gc, calls: c})
		if res != nil {
			mapRefs(res, unwrap)
		}
		return res, err
	}
}

// timedClient is a gateway client that records how long its calls take.
type timedClient struct {
	gateway.Client
	calls *calls
}

func (t *timedClient) Solve(ctx context.Context, req gateway.SolveRequest) (*gateway.Result,
	error) {
	defer t.calls.done("Solve", time.Now())
	res, err := t.Client.Solve(ctx, req)
	if res != nil {
		mapRefs(res, func(r gateway.Reference) gateway.Reference {
			return &timedRef{Reference: r, calls: t.calls}
		})
	}
	return res, err
}

func (t *timedClient) ResolveImageConfig(ctx context.Context, ref string,
	opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	defer t.calls.done("ResolveImageConfig", time.Now())
	return t.Client.ResolveImageConfig(ctx, ref, opt)
}

func (t *timedClient) ResolveSourceMetadata(ctx context.Context, op *pb.SourceOp,
	opt sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	defer t.calls.done("ResolveSourceMetadata", time.Now())
	return t.Client.ResolveSourceMetadata(ctx, op, opt)
}

func (t *timedClient) NewContainer(ctx context.Context,
	req gateway.NewContainerRequest) (gateway.Container, error) {
	defer t.calls.done("NewContainer", time.Now())
	req.Mounts = slices.Clone(req.Mounts)
	for i := range req.Mounts {
		req.Mounts[i].Ref = unwrap(req.Mounts[i].Ref)
	}
	return t.Client.NewContainer(ctx, req)
}

// timedRef is a result reference that records its reads. A result is
// solved lazily, on its first read; that solve is recorded as Evaluate so
// that the reads' time is only theirs.
type timedRef struct {
	gateway.Reference
	calls     *calls
	evaluated sync.Once
}

// evaluate solves the result before its first read.
func (r *timedRef) evaluate(ctx context.Context) {
	r.evaluated.Do(func() {
		defer r.calls.done("Evaluate", time.Now())
		_ = r.Reference.Evaluate(ctx) // a failure shows again in the read
	})
}

func (r *timedRef) Evaluate(ctx context.Context) error {
	var err error
	r.evaluated.Do(func() {
		defer r.calls.done("Evaluate", time.Now())
		err = r.Reference.Evaluate(ctx)
	})
	return err
}

func (r *timedRef) ReadFile(ctx context.Context, req gateway.ReadRequest) ([]byte, error) {
	r.evaluate(ctx)
	defer r.calls.done("ReadFile", time.Now())
	return r.Reference.ReadFile(ctx, req)
}

func (r *timedRef) StatFile(ctx context.Context, req gateway.StatRequest) (*fstypes.Stat,
	error) {
	r.evaluate(ctx)
	defer r.calls.done("StatFile", time.Now())
	return r.Reference.StatFile(ctx, req)
}

func (r *timedRef) ReadDir(ctx context.Context, req gateway.ReadDirRequest) ([]*fstypes.Stat,
	error) {
	r.evaluate(ctx)
	defer r.calls.done("ReadDir", time.Now())
	return r.Reference.ReadDir(ctx, req)
}

// unwrap returns the gateway's own reference behind a timed one.
func unwrap(r gateway.Reference) gateway.Reference {
	if t, ok := r.(*timedRef); ok {
		return t.Reference
	}
	return r
}

// mapRefs replaces every reference of res with f of it.
func mapRefs(res *gateway.Result, f func(gateway.Reference) gateway.Reference) {
	if res.Ref != nil {
		res.Ref = f(res.Ref)
	}
	for k, r := range res.Refs {
		if r != nil {
			res.Refs[k] = f(r)
		}
	}
	for _, as := range res.Attestations {
		for i := range as {
			if as[i].Ref != nil {
				as[i].Ref = f(as[i].Ref)
			}
		}
	}
}
