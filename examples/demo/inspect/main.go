// Command inspect prints a short summary of an image exported as an OCI
// layout by "kiln build -o type=oci,tar=false,dest=DIR", then runs its
// entrypoint once inside BuildKit as the image's user: in the background as
// a server, then with -healthcheck and with "-get /" to query it.
//
// Usage: inspect [-run=false] DIR
//
// The run needs BUILDKIT_HOST; examples/demo.sh calls this program.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/sirupsen/logrus"
)

// The labels kiln writes with the runtime base image's name and digest.
const (
	labelBaseName   = "org.opencontainers.image.base.name"
	labelBaseDigest = "org.opencontainers.image.base.digest"
)

func main() {
	runIt := flag.Bool("run", true, "run the entrypoint inside BuildKit after the summary")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: inspect [-run=false] OCI-LAYOUT-DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	// containerd's content store warns on stderr when the file system
	// lacks fs-verity; that says nothing about the image.
	logrus.SetLevel(logrus.ErrorLevel)
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := inspect(flag.Arg(0), *runIt, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "inspect: %v\n", err)
		os.Exit(1)
	}
}

// inspect opens the layout, prints the summary and, when runIt is set,
// runs the entrypoint in BuildKit.
func inspect(dir string, runIt bool, w io.Writer) error {
	img, desc, err := openImage(dir)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading the image config: %w", err)
	}
	if err := summarize(w, img, desc, cfg); err != nil {
		return err
	}
	if !runIt {
		return nil
	}
	host := os.Getenv("BUILDKIT_HOST")
	if host == "" {
		return fmt.Errorf("BUILDKIT_HOST is not set; run this through 'make demo'")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return runInBuildKit(ctx, w, host, dir, desc.Digest, &cfg.Config)
}

// openImage returns the one image of an OCI layout (skipping attestation
// manifests) and its descriptor in index.json.
func openImage(dir string) (v1.Image, v1.Descriptor, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("opening the OCI layout %s: %w", dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, v1.Descriptor{}, fmt.Errorf("reading %s/index.json: %w", dir, err)
	}
	var found []v1.Descriptor
	for _, d := range m.Manifests {
		if d.MediaType.IsImage() &&
			d.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
			found = append(found, d)
		}
	}
	if len(found) != 1 {
		return nil, v1.Descriptor{}, fmt.Errorf("%s holds %d images; this demo shows one "+
			"(build a single platform)", dir, len(found))
	}
	img, err := idx.Image(found[0].Digest)
	return img, found[0], err
}

// summarize prints digest, sizes, layers, user, entrypoint, ports, health
// check and base image.
func summarize(w io.Writer, img v1.Image, desc v1.Descriptor, cfg *v1.ConfigFile) error {
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("listing layers: %w", err)
	}
	sizes := make([]int64, len(layers))
	var total int64
	for i, l := range layers {
		if sizes[i], err = l.Size(); err != nil {
			return fmt.Errorf("layer %d: %w", i+1, err)
		}
		total += sizes[i]
	}
	steps := layerSteps(cfg.History, len(layers))

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "image\t%s (%s/%s)\n", desc.Digest, cfg.OS, cfg.Architecture)
	fmt.Fprintf(tw, "size\t%s compressed in %d layers\n", human(total), len(layers))
	for i, s := range sizes {
		fmt.Fprintf(tw, "  layer %d\t%9s  %s\n", i+1, human(s), steps[i])
	}
	c := cfg.Config
	fmt.Fprintf(tw, "user\t%s\n", orNone(c.User))
	command := slices.Concat(c.Entrypoint, c.Cmd)
	ports := slices.Sorted(maps.Keys(c.ExposedPorts))
	fmt.Fprintf(tw, "entrypoint\t%s\n", orNone(strings.Join(command, " ")))
	fmt.Fprintf(tw, "ports\t%s\n", orNone(strings.Join(ports, " ")))
	if hc := c.Healthcheck; hc != nil && len(hc.Test) > 1 {
		fmt.Fprintf(tw, "healthcheck\t%s every %s\n", strings.Join(hc.Test[1:], " "),
			hc.Interval)
	}
	fmt.Fprintf(tw, "base\t%s\n", orNone(c.Labels[labelBaseName]))
	// kiln.lock pins the multi-platform index; the label names the manifest
	// of this image's platform inside it.
	fmt.Fprintf(tw, "\t%s (%s manifest)\n", orNone(c.Labels[labelBaseDigest]),
		cfg.OS+"/"+cfg.Architecture)
	return tw.Flush()
}

// layerSteps names each layer by the history entry that made it: "base"
// for the base image's layers, the step for the ones kiln added.
func layerSteps(history []v1.History, n int) []string {
	out := make([]string, 0, n)
	for _, h := range history {
		if h.EmptyLayer {
			continue
		}
		step := "base image"
		if h.Comment == "kiln" || strings.HasPrefix(h.CreatedBy, "kiln:") {
			step = h.CreatedBy
		}
		out = append(out, step)
	}
	for len(out) < n {
		out = append(out, "")
	}
	return out[:n]
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// human formats a byte count with a binary unit.
func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, u := float64(n)/unit, "KiB"
	for _, next := range []string{"MiB", "GiB"} {
		if f < unit {
			break
		}
		f, u = f/unit, next
	}
	return fmt.Sprintf("%.1f %s", f, u)
}

// base returns the program name of an entrypoint, for messages.
func base(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return path.Base(args[0])
}
