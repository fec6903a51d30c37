package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/kilnbuild/kiln/frontend"
)

// newBuildCmd returns "kiln build".
func newBuildCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [flags] [DIR]",
		Short: "Build DIR/kiln.yaml into an image",
		Long: "Build the kiln.yaml in DIR (default: the current folder) with DIR as the build\n" +
			"context. kiln's frontend runs in this process against the BuildKit daemon named\n" +
			"by BUILDKIT_HOST. The image digest is printed on stdout; progress goes to stderr.",
		Example: "  kiln build -o type=oci,dest=app.tar .\n" +
			"  kiln build -t registry.example/app:1.0 --push examples/go-hello\n" +
			"  kiln build --platform linux/amd64,linux/arm64 -o type=oci,tar=false,dest=out .",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("kiln build takes one folder, got %q", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.dir = args[0]
			}
			return runBuild(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "path of the spec (default DIR/kiln.yaml)")
	f.StringSliceVar(&o.platforms, "platform", nil,
		"target platforms, such as linux/amd64,linux/arm64 (default: the daemon's)")
	f.StringArrayVarP(&o.tags, "tag", "t", nil, "image name; without -o, export an image")
	f.BoolVar(&o.push, "push", false, "push the image named by -t to its registry")
	f.StringArrayVarP(&o.outputs, "output", "o", nil,
		"export, as for buildctl: type=oci,dest=out.tar | type=oci,tar=false,dest=DIR |\n"+
			"type=local,dest=DIR | type=image,name=NAME,push=true")
	f.StringArrayVar(&o.buildArgs, "build-arg", nil,
		"set a build argument the spec declares: NAME=VALUE (NAME alone: from the environment)")
	f.StringArrayVar(&o.contexts, "build-context", nil,
		"replace an image or add a context: NAME=docker-image://REF|oci-layout://DIR[:TAG]|"+
			"URL|DIR")
	f.StringVar(&o.target, "target", "", "stage to build: toolchain, deps, build or runtime")
	f.StringArrayVar(&o.secrets, "secret", nil,
		"secret for the build step: id=ID,src=FILE or id=ID,env=VARIABLE")
	f.StringVar(&o.progress, "progress", "auto", "progress output: auto, plain, tty, quiet "+
		"or rawjson")
	return cmd
}

// runBuild plans the build, runs the frontend in-process with BuildKit's
// progress display on stderr, and prints the image digest.
func runBuild(ctx context.Context, o *buildOptions, stdout, stderr io.Writer) error {
	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	p, err := o.plan(os.Getenv, cwd)
	if err != nil {
		return err
	}
	c, err := client.New(ctx, p.host)
	if err != nil {
		return fmt.Errorf("connecting to BuildKit at %s: %w", p.host, err)
	}
	defer c.Close()

	// One goroutine solves, the other draws the progress until the status
	// channel closes; the display keeps drawing after a failure so the
	// failed step's logs are shown.
	display, err := progressui.NewDisplay(stderr, p.progress)
	if err != nil {
		return usageErrorf("--progress %s: %v", p.progress, err)
	}
	ch := make(chan *client.SolveStatus)
	var resp *client.SolveResponse
	var warnings []client.VertexWarning
	start := time.Now()
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		var err error
		resp, err = c.Build(ectx, p.solve, "kiln", frontend.Build, ch)
		return err
	})
	eg.Go(func() error {
		var err error
		warnings, err = display.UpdateFrom(context.WithoutCancel(ectx), ch)
		return err
	})
	err = eg.Wait()
	printWarnings(stderr, warnings)
	if err != nil {
		return explainConnect(err, p.host)
	}

	dgst := resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	if p.progress != progressui.QuietMode {
		fmt.Fprintf(stderr, "kiln: built %s in %s\n", p.specPath,
			time.Since(start).Round(100*time.Millisecond))
		if len(p.solve.Exports) == 0 {
			fmt.Fprintln(stderr, "kiln: no -o or -t given: the result stays in "+
				"BuildKit's cache")
		}
	}
	if dgst == "" {
		return nil
	}
	out := stdout
	if p.stdoutTaken {
		out = stderr
	}
	_, err = fmt.Fprintln(out, dgst)
	return err
}

// printWarnings lists the build warnings (from the frontend's policy
// checks, for example) after the progress output.
func printWarnings(w io.Writer, warnings []client.VertexWarning) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintf(w, "kiln: %d warning(s):\n", len(warnings))
	for _, warn := range warnings {
		fmt.Fprintf(w, "  - %s\n", warn.Short)
		for _, d := range warn.Detail {
			fmt.Fprintf(w, "    %s\n", d)
		}
		if warn.URL != "" {
			fmt.Fprintf(w, "    more: %s\n", warn.URL)
		}
	}
}
