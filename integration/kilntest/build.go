package kilntest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"
)

// BuildOpt says what to build and what to run in the result.
type BuildOpt struct {
	// Frontend is the frontend to call, e.g. "dockerfile.v0" or "gateway.v0".
	Frontend string
	// FrontendAttrs are its options (filename, source, build-arg:*, ...).
	FrontendAttrs map[string]string
	// LocalDirs maps local names ("context", "dockerfile") to folders.
	LocalDirs map[string]string
	// Runs are processes started, in order, in a container whose root is the
	// built image. A Background run keeps going while later runs start.
	Runs []Run
	// NoExport skips the OCI export (for builds expected to fail).
	NoExport bool
	// ExportAttrs are added to the OCI export's attributes, such as
	// rewrite-timestamp=true.
	ExportAttrs map[string]string
	// Push names the images to push to instead of the OCI export.
	Push []string
	// Func, when set, runs in-process instead of Frontend, as the kiln CLI
	// runs the frontend.
	Func gateway.BuildFunc
}

// Run is one process started in the built image.
type Run struct {
	// Args is the command line; Args[0] is a path inside the image.
	Args []string
	// User is "uid:gid"; empty means the image's root.
	User string
	// Env is the process environment.
	Env []string
	// Background leaves the process running for later runs.
	Background bool
	// Retries is how many more times a failing run is started, 200ms
	// apart, for a check that waits on a Background server.
	Retries int
}

// Result is a finished build.
type Result struct {
	// Layout is the OCI image layout folder the image was exported to.
	Layout string
	// Outputs holds the combined stdout and stderr of each foreground Run.
	Outputs []string
	// Progress is the plain progress output of the build.
	Progress string
}

// Build runs the frontend on buildkitd, runs opt.Runs in the result, and
// exports the image as an OCI layout under a temporary folder.
func (e *Env) Build(t testing.TB, opt BuildOpt) *Result {
	t.Helper()
	res, err := e.TryBuild(t, opt)
	if err != nil {
		t.Fatalf("build failed: %v\n%s", err, res.Progress)
	}
	return res
}

// TryBuild is Build that returns the build error instead of failing the test.
func (e *Env) TryBuild(t testing.TB, opt BuildOpt) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	c := e.Client(t)

	mounts := map[string]fsutil.FS{}
	for name, dir := range opt.LocalDirs {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			t.Fatalf("local dir %s: %v", name, err)
		}
		mounts[name] = fs
	}
	out := &Result{Layout: filepath.Join(t.TempDir(), "oci")}
	so := client.SolveOpt{LocalMounts: mounts}
	if opt.Func != nil {
		so.FrontendAttrs = opt.FrontendAttrs
	}
	switch {
	case len(opt.Push) > 0:
		so.Exports = []client.ExportEntry{{
			Type:  client.ExporterImage,
			Attrs: map[string]string{"name": strings.Join(opt.Push, ","), "push": "true"},
		}}
	case !opt.NoExport:
		so.Exports = []client.ExportEntry{{
			Type:      client.ExporterOCI,
			Attrs:     withAttrs(map[string]string{"tar": "false"}, opt.ExportAttrs),
			OutputDir: out.Layout,
		}}
	}

	var progress bytes.Buffer
	ch := make(chan *client.SolveStatus)
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		d, err := progressui.NewDisplay(&progress, progressui.PlainMode)
		if err != nil {
			return err
		}
		warnings, err := d.UpdateFrom(context.WithoutCancel(ctx), ch)
		// Warnings last, as buildx and kiln build print them.
		for _, w := range warnings {
			fmt.Fprintf(&progress, "WARNING: %s\n", w.Short)
		}
		return err
	})
	eg.Go(func() error {
		_, err := c.Build(ctx, so, "kilntest", func(ctx context.Context,
			gc gateway.Client) (*gateway.Result, error) {
			var r *gateway.Result
			var err error
			if opt.Func != nil {
				r, err = opt.Func(ctx, gc)
			} else {
				r, err = gc.Solve(ctx, gateway.SolveRequest{
					Frontend:    opt.Frontend,
					FrontendOpt: opt.FrontendAttrs,
					Evaluate:    true,
				})
			}
			if err != nil {
				return nil, err
			}
			if len(opt.Runs) > 0 {
				outs, err := runAll(ctx, gc, r, opt.Runs)
				out.Outputs = outs
				if err != nil {
					return nil, err
				}
			}
			return r, nil
		}, ch)
		return err
	})
	err := eg.Wait()
	out.Progress = progress.String()
	return out, err
}

// withAttrs returns base with extra added.
func withAttrs(base, extra map[string]string) map[string]string {
	for k, v := range extra {
		base[k] = v
	}
	return base
}

// runAll starts each run in one container over the single result ref.
func runAll(ctx context.Context, gc gateway.Client, r *gateway.Result,
	runs []Run) ([]string, error) {
	ref, err := r.SingleRef()
	if err != nil {
		return nil, fmt.Errorf("runs need a single-platform result: %w", err)
	}
	ctr, err := gc.NewContainer(ctx, gateway.NewContainerRequest{
		Mounts: []gateway.Mount{{Dest: "/", MountType: pb.MountType_BIND, Ref: ref}},
	})
	if err != nil {
		return nil, err
	}
	defer ctr.Release(context.WithoutCancel(ctx))

	var outs []string
	for _, run := range runs {
		var out string
		var err error
		for try := 0; try <= run.Retries; try++ {
			if try > 0 {
				time.Sleep(200 * time.Millisecond)
			}
			if out, err = start(ctx, ctr, run); err == nil {
				break
			}
		}
		if !run.Background {
			outs = append(outs, out)
		}
		if err != nil {
			return outs, err
		}
	}
	return outs, nil
}

// start runs one process; a Background one is left running.
func start(ctx context.Context, ctr gateway.Container, run Run) (string, error) {
	var buf bytes.Buffer
	w := nopCloser{&buf}
	p, err := ctr.Start(ctx, gateway.StartRequest{
		Args: run.Args, User: run.User, Env: run.Env, Cwd: "/",
		Stdout: w, Stderr: w,
	})
	if err != nil {
		return "", fmt.Errorf("starting %v: %w", run.Args, err)
	}
	if run.Background {
		return "", nil
	}
	if err := p.Wait(); err != nil {
		return buf.String(), fmt.Errorf("running %v: %w\n%s", run.Args, err, buf.String())
	}
	return buf.String(), nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Image opens the single image of the exported layout. A multi-platform
// layout gives the manifest for platform ("linux/arm64"); empty means the
// only one.
func (r *Result) Image(t testing.TB, platform string) *Image {
	t.Helper()
	return OpenLayout(t, r.Layout, platform)
}

// OpenLayout opens the image in an OCI layout folder, for platform when the
// layout holds an index of several.
func OpenLayout(t testing.TB, dir, platform string) *Image {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatalf("opening OCI layout %s: %v", dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatalf("reading index of %s: %v", dir, err)
	}
	img, err := pickImage(idx, platform)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return newImage(t, img)
}

func platformString(os, arch, variant string) string {
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}
