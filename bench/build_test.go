package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
	"github.com/sirupsen/logrus"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"

	"github.com/kilnbuild/kiln/frontend"
)

// TestMain silences the client libraries' logrus warnings (such as the
// OCI exporter's note that the temporary folder has no fs-verity), which
// would interleave with the results.
func TestMain(m *testing.M) {
	logrus.SetLevel(logrus.ErrorLevel)
	os.Exit(m.Run())
}

// contender is one way of building the app: kiln or the Dockerfile.
type contender struct {
	// name heads the contender's column.
	name string
	// inProcess is set for a frontend that runs in the benchmark, whose
	// gateway calls are then timed.
	inProcess bool
	// solveOpt returns the solve options, without the export, and the
	// build function for the app in dir.
	solveOpt func(dir string) (client.SolveOpt, gateway.BuildFunc, error)
}

// kiln runs kiln's frontend in-process, as the kiln CLI does, on the
// app's kiln.yaml.
var kiln = contender{name: "kiln", inProcess: true, solveOpt: func(dir string) (client.SolveOpt,
	gateway.BuildFunc, error) {
	so, err := localMounts(map[string]string{"context": dir, "dockerfile": dir})
	so.FrontendAttrs = map[string]string{"filename": "kiln.yaml"}
	return so, frontend.Build, err
}}

// dockerfile runs BuildKit's built-in Dockerfile frontend in the daemon on
// testdata/Dockerfile.go-hello with the app as the context.
var dockerfile = contender{name: "Dockerfile", solveOpt: func(dir string) (client.SolveOpt,
	gateway.BuildFunc, error) {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		return client.SolveOpt{}, nil, err
	}
	so, err := localMounts(map[string]string{"context": dir, "dockerfile": testdata})
	fn := func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		return c.Solve(ctx, gateway.SolveRequest{
			Frontend:    "dockerfile.v0",
			FrontendOpt: map[string]string{"filename": "Dockerfile.go-hello"},
		})
	}
	return so, fn, err
}}

// localMounts returns solve options that send the named folders.
func localMounts(dirs map[string]string) (client.SolveOpt, error) {
	so := client.SolveOpt{LocalMounts: map[string]fsutil.FS{}}
	for name, dir := range dirs {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			return so, fmt.Errorf("local folder %s: %w", name, err)
		}
		so.LocalMounts[name] = fs
	}
	return so, nil
}

// step is one vertex of a build as the progress stream reported it.
type step struct {
	name     string
	cached   bool
	took     time.Duration
	from, to time.Time // zero when the vertex did not report both
}

// measured is one finished build.
type measured struct {
	// start is when the build was called.
	start time.Time
	// wall is the time from the call to the end of the export.
	wall time.Duration
	// idle is the part of wall in which no step was running: session
	// setup, and whatever a frontend does between solves, such as reading
	// files of a result.
	idle time.Duration
	// gaps are the times that make up idle.
	gaps []gap
	// steps are the build's vertices in the order they first appeared.
	steps []step
	// calls are the timed gateway calls of an in-process frontend.
	calls *calls
}

// ran reports whether the step ran in this build. The daemon reports a
// step that an earlier build ran, and that it still holds, with that
// build's times and as not cached; those times give it away.
func (m measured) ran(s step) bool {
	return !s.cached && !s.from.IsZero() && !s.from.Before(m.start)
}

// uncached returns the steps that ran, slowest first.
func (m measured) uncached() []step {
	var out []step
	for _, s := range m.steps {
		if m.ran(s) {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].took > out[j].took })
	return out
}

// build builds the app in dir with c and exports the image as an OCI
// layout into out. A non-nil progress receives BuildKit's plain progress.
func build(ctx context.Context, bk *client.Client, c contender, dir, out string,
	progress io.Writer) (measured, error) {
	so, fn, err := c.solveOpt(dir)
	if err != nil {
		return measured{}, err
	}
	so.Exports = []client.ExportEntry{{
		Type:      client.ExporterOCI,
		Attrs:     map[string]string{"tar": "false"},
		OutputDir: out,
	}}

	var m measured
	if c.inProcess {
		m.calls = &calls{}
		fn = timed(fn, m.calls)
	}
	ch := make(chan *client.SolveStatus)
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		m.steps = record(ctx, ch, progress)
		return nil
	})
	var start, end time.Time
	eg.Go(func() error {
		start = time.Now()
		_, err := bk.Build(ctx, so, "kiln-bench", fn, ch)
		end = time.Now()
		return err
	})
	if err := eg.Wait(); err != nil {
		return m, fmt.Errorf("%s build: %w", c.name, err)
	}
	m.start, m.wall = start, end.Sub(start)
	m.gaps = gaps(m.steps, start, end)
	for _, g := range m.gaps {
		m.idle += g.took
	}
	if _, err := os.Stat(filepath.Join(out, "index.json")); err != nil {
		return m, fmt.Errorf("%s build exported no image: %w", c.name, err)
	}
	return m, nil
}

// record reads the progress stream until it closes and returns its
// vertices, copying the stream to a plain display on progress when set.
func record(ctx context.Context, ch <-chan *client.SolveStatus,
	progress io.Writer) []step {
	var display chan *client.SolveStatus
	done := make(chan struct{})
	if progress != nil {
		display = make(chan *client.SolveStatus)
		go func() {
			defer close(done)
			d, err := progressui.NewDisplay(progress, progressui.PlainMode)
			if err == nil {
				_, _ = d.UpdateFrom(context.WithoutCancel(ctx), display)
			}
			for range display { // drain if the display gave up
			}
		}()
	}

	var order []digest.Digest
	seen := map[digest.Digest]*client.Vertex{}
	for s := range ch {
		for _, v := range s.Vertexes {
			if seen[v.Digest] == nil {
				order = append(order, v.Digest)
			}
			seen[v.Digest] = v
		}
		if display != nil {
			display <- s
		}
	}
	if display != nil {
		close(display)
		<-done
	}

	steps := make([]step, 0, len(order))
	for _, d := range order {
		v := seen[d]
		s := step{name: v.Name, cached: v.Cached}
		if v.Started != nil && v.Completed != nil {
			s.from, s.to = *v.Started, *v.Completed
			s.took = s.to.Sub(s.from)
		}
		steps = append(steps, s)
	}
	return steps
}

// gap is a time in a build in which no step was running.
type gap struct {
	took          time.Duration
	before, after string // the step that ended last before it, and the next
}

// gaps returns the times from start to end in which none of the steps was
// running, in order.
func gaps(steps []step, start, end time.Time) []gap {
	var spans []step
	for _, s := range steps {
		from, to := later(s.from, start), earlier(s.to, end)
		if !s.from.IsZero() && !s.to.IsZero() && to.After(from) {
			spans = append(spans, step{name: s.name, from: from, to: to})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })

	// Walk the spans in order of start, keeping the latest end seen.
	var out []gap
	cur := step{name: "(the call)", to: start}
	for _, s := range spans {
		if s.from.After(cur.to) {
			out = append(out, gap{took: s.from.Sub(cur.to), before: cur.name, after: s.name})
		}
		if s.to.After(cur.to) {
			cur = s
		}
	}
	if end.After(cur.to) {
		out = append(out, gap{took: end.Sub(cur.to), before: cur.name, after: "(the end)"})
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// pruneAll waits until no other build runs on the daemon, then removes its
// whole build cache, cache mounts and pulled images included, so that the
// next build starts cold.
func pruneAll(ctx context.Context, bk *client.Client, logf func(string, ...any)) error {
	waitIdle(ctx, bk, logf)
	if err := bk.Prune(ctx, nil, client.PruneAll); err != nil {
		return fmt.Errorf("pruning the build cache: %w", err)
	}
	return nil
}

// waitIdle waits up to two minutes for the daemon to have no active build,
// so that a measurement does not share the daemon with someone else's
// build. It logs when it had to wait or gave up.
func waitIdle(ctx context.Context, bk *client.Client, logf func(string, ...any)) {
	const limit = 2 * time.Minute
	start := time.Now()
	for {
		n, err := activeBuilds(ctx, bk)
		if err != nil {
			logf("cannot list active builds, not waiting: %v", err)
			return
		}
		if n == 0 {
			if waited := time.Since(start); waited > time.Second {
				logf("waited %.0fs for other builds on the daemon to finish",
					waited.Seconds())
			}
			return
		}
		if time.Since(start) > limit {
			logf("%d other builds still run after %s; measuring anyway", n, limit)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// activeBuilds counts the builds that run on the daemon now.
func activeBuilds(ctx context.Context, bk *client.Client) (int, error) {
	cl, err := bk.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{
		ActiveOnly: true,
		EarlyExit:  true,
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		ev, err := cl.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if ev.Type == controlapi.BuildHistoryEventType_STARTED {
			n++
		}
	}
}
