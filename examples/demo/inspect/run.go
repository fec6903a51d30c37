package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
)

// storeID names the OCI layout in the session; imageName is the name the
// image source gets in BuildKit (any valid name: the digest selects it).
const (
	storeID   = "kiln-demo"
	imageName = "docker.io/library/kiln-demo"
)

// runInBuildKit loads the image from the OCI layout into BuildKit (the
// layout is served through the session as a content store), starts the
// entrypoint in the background in a container on the image's root file
// system, as the image's user, in a network namespace of its own, and then
// runs the entrypoint again with -healthcheck and with "-get /".
func runInBuildKit(ctx context.Context, w io.Writer, host, dir string, dgst v1.Hash,
	cfg *v1.Config) error {
	if len(cfg.Entrypoint) == 0 {
		return fmt.Errorf("the image has no entrypoint to run")
	}
	store, err := local.NewStore(dir)
	if err != nil {
		return fmt.Errorf("opening %s as a content store: %w", dir, err)
	}
	c, err := client.New(ctx, host)
	if err != nil {
		return fmt.Errorf("connecting to BuildKit at %s: %w", host, err)
	}
	defer c.Close()

	so := client.SolveOpt{OCIStores: map[string]content.Store{storeID: store}}
	_, err = c.Build(ctx, so, "kiln-demo", func(ctx context.Context,
		gc gateway.Client) (*gateway.Result, error) {
		st := llb.OCILayout(imageName+"@"+dgst.String(),
			llb.OCIStore(gc.BuildOpts().SessionID, storeID))
		def, err := st.Marshal(ctx)
		if err != nil {
			return nil, err
		}
		res, err := gc.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
		if err != nil {
			return nil, err
		}
		ref, err := res.SingleRef()
		if err != nil {
			return nil, err
		}
		return gateway.NewResult(), runProbes(ctx, w, gc, ref, cfg)
	}, nil)
	return err
}

// runProbes starts the server and queries it with the binary itself: the
// image has no shell and no curl.
func runProbes(ctx context.Context, w io.Writer, gc gateway.Client, ref gateway.Reference,
	cfg *v1.Config) error {
	ctr, err := gc.NewContainer(ctx, gateway.NewContainerRequest{
		Mounts:  []gateway.Mount{{Dest: "/", MountType: pb.MountType_BIND, Ref: ref}},
		NetMode: pb.NetMode_NONE,
	})
	if err != nil {
		return fmt.Errorf("creating the container: %w", err)
	}
	defer ctr.Release(context.WithoutCancel(ctx))

	user := cfg.User
	fmt.Fprintf(w, "\nrun inside BuildKit as %s (no network but loopback):\n", user)
	var serverLog bytes.Buffer
	server := nopCloser{&serverLog}
	bin := cfg.Entrypoint[0]
	if _, err := ctr.Start(ctx, gateway.StartRequest{Args: cfg.Entrypoint, User: user,
		Env: cfg.Env, Cwd: cwd(cfg), Stdout: server, Stderr: server}); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	fmt.Fprintf(w, "  %-28s started in the background\n", bin)

	// The server needs a moment to listen; the health check is retried
	// as a container runtime would.
	var out string
	var code int
	for try := 0; try < 50; try++ {
		out, code, err = exec(ctx, ctr, cfg, bin, "-healthcheck")
		if err != nil || code == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %-28s exit %d: %s\n", bin+" -healthcheck", code, out)
	if code != 0 {
		return fmt.Errorf("%s is not healthy; its log:\n%s", base(cfg.Entrypoint),
			serverLog.String())
	}
	out, code, err = exec(ctx, ctr, cfg, bin, "-get", "/")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %-28s exit %d: %s\n", bin+" -get /", code, out)
	if code != 0 {
		return fmt.Errorf("GET / failed")
	}
	return nil
}

// exec runs bin with args in the container as the image's user and
// returns its trimmed output and exit code.
func exec(ctx context.Context, ctr gateway.Container, cfg *v1.Config,
	bin string, args ...string) (string, int, error) {
	var buf bytes.Buffer
	out := nopCloser{&buf}
	p, err := ctr.Start(ctx, gateway.StartRequest{Args: append([]string{bin}, args...),
		User: cfg.User, Env: cfg.Env, Cwd: cwd(cfg), Stdout: out, Stderr: out})
	if err != nil {
		return "", 0, fmt.Errorf("starting %s %s: %w", bin, strings.Join(args, " "), err)
	}
	code := 0
	if err := p.Wait(); err != nil {
		var exit *gwpb.ExitError
		if !errors.As(err, &exit) {
			return "", 0, fmt.Errorf("running %s %s: %w", bin, strings.Join(args, " "), err)
		}
		code = int(exit.ExitCode)
	}
	return strings.TrimSpace(buf.String()), code, nil
}

func cwd(cfg *v1.Config) string {
	if cfg.WorkingDir == "" {
		return "/"
	}
	return cfg.WorkingDir
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
