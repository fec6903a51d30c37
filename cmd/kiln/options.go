package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
	bkbuild "github.com/moby/buildkit/cmd/buildctl/build"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/tonistiigi/fsutil"
)

// Frontend attribute names and local mount names that the kiln frontend
// reads through BuildKit's dockerui helper.
const (
	localContext    = "context"
	localSpec       = "dockerfile"
	attrFilename    = "filename"
	attrPlatform    = "platform"
	attrTarget      = "target"
	attrBuildArg    = "build-arg:"
	attrContext     = "context:"
	defaultSpecName = "kiln.yaml"
	sourceDateEpoch = "SOURCE_DATE_EPOCH"
)

// buildOptions holds the flags and the argument of "kiln build".
type buildOptions struct {
	file      string
	platforms []string
	tags      []string
	push      bool
	outputs   []string
	buildArgs []string
	contexts  []string
	target    string
	secrets   []string
	progress  string
	dir       string
}

// buildPlan is a build ready to run: the daemon, what to solve and where
// the result goes.
type buildPlan struct {
	// host is the BuildKit daemon address.
	host string
	// solve holds the local mounts, frontend attributes, exports and
	// session attachables.
	solve client.SolveOpt
	// progress is the display mode of the progress output on stderr.
	progress progressui.DisplayMode
	// stdoutTaken is set when an export writes its tarball to stdout, so
	// the image digest must go to stderr instead.
	stdoutTaken bool
	// specPath is the kiln.yaml being built, for messages.
	specPath string
}

// plan checks the options and turns them into a build plan. Mistakes in
// flag values are usage errors; a missing folder or kiln.yaml is not.
// getenv reads the environment (BUILDKIT_HOST, SOURCE_DATE_EPOCH and the
// values of --build-arg NAME); cwd anchors the search for the local test
// environment. A tar export to a file creates the file, so it comes last.
func (o *buildOptions) plan(getenv func(string) string, cwd string) (*buildPlan, error) {
	p := &buildPlan{host: buildkitHost(getenv, cwd)}
	attrs := map[string]string{}
	p.solve = client.SolveOpt{FrontendAttrs: attrs, LocalMounts: map[string]fsutil.FS{}}

	// Flag values that need no file system.
	mode, err := progressMode(o.progress)
	if err != nil {
		return nil, err
	}
	p.progress = mode
	if err := addBuildArgs(attrs, o.buildArgs, getenv); err != nil {
		return nil, err
	}
	if err := addPlatforms(attrs, o.platforms); err != nil {
		return nil, err
	}
	if o.target != "" {
		attrs[attrTarget] = o.target
	}
	for _, t := range o.tags {
		if _, err := reference.ParseNormalizedNamed(t); err != nil {
			return nil, usageErrorf("-t %q is not a valid image name: %v", t, err)
		}
	}

	// The build context, kiln.yaml and the named contexts.
	specPath, err := o.addLocals(&p.solve)
	if err != nil {
		return nil, err
	}
	p.specPath = specPath
	dir := o.dir
	if dir == "" {
		dir = "."
	}
	addGitInfo(attrs, dir, getenv)
	if err := addContexts(&p.solve, o.contexts); err != nil {
		return nil, err
	}
	if err := o.addSession(&p.solve); err != nil {
		return nil, err
	}

	// Exports, last: a tar export creates its file while it is parsed.
	epoch := getenv(sourceDateEpoch)
	if epoch != "" {
		if _, err := strconv.ParseInt(epoch, 10, 64); err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", epoch)
		}
		if _, ok := attrs[attrBuildArg+sourceDateEpoch]; !ok {
			attrs[attrBuildArg+sourceDateEpoch] = epoch
		}
	}
	exports, err := o.exports()
	if err != nil {
		return nil, err
	}
	p.solve.Exports = exports
	for _, e := range exports {
		p.stdoutTaken = p.stdoutTaken || writesStdout(e)
	}
	return p, nil
}

// progressMode checks --progress.
func progressMode(s string) (progressui.DisplayMode, error) {
	switch m := progressui.DisplayMode(s); m {
	case progressui.AutoMode, progressui.PlainMode, progressui.TtyMode,
		progressui.QuietMode, progressui.RawJSONMode:
		return m, nil
	}
	return "", usageErrorf("--progress %q is not one of auto, plain, tty, quiet, rawjson", s)
}

// argName is a valid build argument name.
var argName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// addBuildArgs adds --build-arg NAME=VALUE; a lone NAME takes its value
// from the environment, as docker build does.
func addBuildArgs(attrs map[string]string, args []string, getenv func(string) string) error {
	for _, a := range args {
		name, value, ok := strings.Cut(a, "=")
		if !argName.MatchString(name) {
			return usageErrorf("--build-arg %q: %q is not a valid argument name; "+
				"write NAME=VALUE with a name of letters, digits and underscores", a, name)
		}
		if !ok {
			if value = getenv(name); value == "" {
				return usageErrorf("--build-arg %s has no value and %s is not set in the "+
					"environment; write %s=VALUE", name, name, name)
			}
		}
		attrs[attrBuildArg+name] = value
	}
	return nil
}

// addPlatforms checks --platform values and passes them, normalized, as
// one comma-separated list.
func addPlatforms(attrs map[string]string, list []string) error {
	var out []string
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := platforms.Parse(s)
		if err != nil {
			return usageErrorf("--platform %q: %v", s, err)
		}
		out = append(out, platforms.Format(platforms.Normalize(p)))
	}
	if len(out) > 0 {
		attrs[attrPlatform] = strings.Join(out, ",")
	}
	return nil
}

// addLocals mounts DIR as the build context and the folder of kiln.yaml as
// the spec source, and returns the path of kiln.yaml.
func (o *buildOptions) addLocals(so *client.SolveOpt) (string, error) {
	dir := o.dir
	if dir == "" {
		dir = "."
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("build context %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("build context %s is not a folder; give the folder that "+
			"holds the sources (and usually kiln.yaml)", dir)
	}
	file := o.file
	if file == "" {
		file = filepath.Join(dir, defaultSpecName)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	fi, err = os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("%s not found: no such file; write a kiln.yaml there "+
			"(see docs/spec.md) or point -f at yours", abs)
	case err != nil:
		return "", fmt.Errorf("reading %s: %w", abs, err)
	case fi.IsDir():
		return "", fmt.Errorf("%s is a folder; -f takes the path of the kiln.yaml file", abs)
	}
	ctxFS, err := fsutil.NewFS(dir)
	if err != nil {
		return "", fmt.Errorf("build context %s: %w", dir, err)
	}
	specFS, err := fsutil.NewFS(filepath.Dir(abs))
	if err != nil {
		return "", fmt.Errorf("folder of %s: %w", abs, err)
	}
	so.LocalMounts[localContext] = ctxFS
	so.LocalMounts[localSpec] = specFS
	so.FrontendAttrs[attrFilename] = filepath.Base(abs)
	return abs, nil
}

// addContexts adds --build-context NAME=SOURCE. SOURCE is an image
// (docker-image://REF), a git or HTTP URL, or a local folder, which is
// sent to BuildKit as one more local mount.
func addContexts(so *client.SolveOpt, list []string) error {
	for i, c := range list {
		name, src, ok := strings.Cut(c, "=")
		if !ok || name == "" || src == "" {
			return usageErrorf("--build-context %q: write NAME=SOURCE, such as "+
				"golang:1.26-trixie=docker-image://registry.example/golang:1.26-trixie", c)
		}
		if _, err := reference.ParseNormalizedNamed(name); err != nil {
			return usageErrorf("--build-context %q: %q is not a valid context name: %v",
				c, name, err)
		}
		switch {
		case strings.HasPrefix(src, "docker-image://"), strings.HasPrefix(src, "git@"),
			strings.HasPrefix(src, "git://"), strings.HasPrefix(src, "https://"),
			strings.HasPrefix(src, "http://"):
			so.FrontendAttrs[attrContext+name] = src
		case strings.HasPrefix(src, "oci-layout://"):
			if err := addOCILayoutContext(so, i, name, src); err != nil {
				return err
			}
		case strings.Contains(src, "://"):
			return usageErrorf("--build-context %q: kiln reads docker-image://, oci-layout://, "+
				"git and http(s) sources, or a local folder", c)
		default:
			fi, err := os.Stat(src)
			if err != nil || !fi.IsDir() {
				return usageErrorf("--build-context %q: %s is not a folder", c, src)
			}
			fs, err := fsutil.NewFS(src)
			if err != nil {
				return fmt.Errorf("--build-context %q: %w", c, err)
			}
			local := "kiln-context-" + strconv.Itoa(i)
			so.LocalMounts[local] = fs
			so.FrontendAttrs[attrContext+name] = "local:" + local
		}
	}
	return nil
}

// addSession attaches the secrets and the registry credentials of the
// docker configuration (for pulls from private registries and --push).
func (o *buildOptions) addSession(so *client.SolveOpt) error {
	so.Session = append(so.Session, dockerAuth())
	if len(o.secrets) == 0 {
		return nil
	}
	secrets, err := bkbuild.ParseSecret(o.secrets)
	if err != nil {
		return usageErrorf("--secret: %v", err)
	}
	so.Session = append(so.Session, secrets)
	return nil
}

// exports parses -o with BuildKit's own parser and applies -t and --push:
// -t alone means an image export named after the tags; tags name every
// image, oci and docker export; --push pushes every image export. With
// SOURCE_DATE_EPOCH set, image layers are rewritten to that time.
func (o *buildOptions) exports() ([]client.ExportEntry, error) {
	exports, err := bkbuild.ParseOutput(o.outputs)
	if err != nil {
		return nil, usageErrorf("-o: %v", err)
	}
	names := strings.Join(o.tags, ",")
	if len(exports) == 0 && len(o.tags) > 0 {
		exports = []client.ExportEntry{{Type: client.ExporterImage,
			Attrs: map[string]string{}}}
	}
	pushed := false
	for i := range exports {
		e := &exports[i]
		if !producesImage(e.Type) {
			continue
		}
		if _, ok := e.Attrs["name"]; !ok && names != "" {
			e.Attrs["name"] = names
		}
		if o.push && e.Type == client.ExporterImage {
			e.Attrs["push"] = "true"
			pushed = true
		}
		// The frontend always gives the exporter an epoch (SOURCE_DATE_EPOCH
		// or the runtime base's time), so rewriting clamps every layer's
		// file times to it and the same inputs give the same digest.
		if _, ok := e.Attrs["rewrite-timestamp"]; !ok {
			e.Attrs["rewrite-timestamp"] = "true"
		}
	}
	if o.push && !pushed {
		if names == "" {
			return nil, usageErrorf("--push needs -t NAME or -o type=image,name=NAME")
		}
		exports = append(exports, client.ExportEntry{Type: client.ExporterImage,
			Attrs: map[string]string{"name": names, "push": "true"}})
	}
	if len(o.tags) > 0 && !anyImage(exports) {
		return nil, usageErrorf("-t names an image, but no -o export of type image, oci " +
			"or docker was given")
	}
	return exports, nil
}

// producesImage reports whether an exporter writes an image with a name.
func producesImage(typ string) bool {
	return typ == client.ExporterImage || typ == client.ExporterOCI ||
		typ == client.ExporterDocker
}

func anyImage(exports []client.ExportEntry) bool {
	for _, e := range exports {
		if producesImage(e.Type) {
			return true
		}
	}
	return false
}

// writesStdout reports whether an export streams its tarball to stdout
// (a tar export without dest). BuildKit's parser gives such an export a
// writer function that returns os.Stdout; asking for it has no effect.
func writesStdout(e client.ExportEntry) bool {
	if e.Output == nil {
		return false
	}
	w, err := e.Output(nil)
	return err == nil && isStdout(w)
}

func isStdout(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f == os.Stdout
}
