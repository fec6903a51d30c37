// Command sbom-scanner generates SBOMs for BuildKit's `attest:sbom` option
// (`docker buildx build --sbom=generator=<image>`), cataloging with syft.
//
// BuildKit runs the image's entrypoint in a container with the root
// filesystem to describe mounted read-only at $BUILDKIT_SCAN_SOURCE, the
// optional extra filesystems (the build context, earlier stages) as folders
// of $BUILDKIT_SCAN_SOURCE_EXTRAS, and an empty $BUILDKIT_SCAN_DESTINATION.
// The scanner writes one in-toto statement per filesystem there, named
// after the mounted folder with a .spdx.json suffix, whose predicate is an
// SPDX 2.3 JSON document. BuildKit reads every file of that folder as a
// statement and treats the one named like the source folder ("sbom") as
// the SBOM of the image itself.
//
// Every other BUILDKIT_SCAN_<KEY> variable is a parameter, from the
// `key=value` pairs of `--sbom` other than generator. The only one read is
// catalogers: a syft cataloger selection such as "+sbom-cataloger" (add),
// "-java" (remove) or "go" (keep only those tagged go), separated by spaces
// or commas. Unknown parameters are reported and ignored.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The variables BuildKit sets for the scanner; see BuildKit's
// frontend/attestations/sbom package.
const (
	envSource      = "BUILDKIT_SCAN_SOURCE"
	envExtras      = "BUILDKIT_SCAN_SOURCE_EXTRAS"
	envDestination = "BUILDKIT_SCAN_DESTINATION"
	envParamPrefix = "BUILDKIT_SCAN_"
)

// coreName names the statement of the source when its folder has no usable
// name; it is the name BuildKit gives the core SBOM.
const coreName = "sbom"

// config is one scan request, read from the environment.
type config struct {
	// source is the root filesystem of the image.
	source string
	// extras is the folder holding one folder per extra filesystem, or "".
	extras string
	// destination is the folder the statements are written to.
	destination string
	// catalogers is the syft cataloger selection from the catalogers
	// parameter.
	catalogers []string
}

func main() {
	cfg, warnings, err := readConfig(os.Environ())
	for _, w := range warnings {
		fmt.Fprintln(os.Stderr, "sbom-scanner: warning:", w)
	}
	if err == nil {
		err = run(context.Background(), cfg, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sbom-scanner:", err)
		os.Exit(1)
	}
}

// readConfig reads the scan request from environ ("KEY=value" entries). It
// returns warnings for parameters it ignores.
func readConfig(environ []string) (config, []string, error) {
	var cfg config
	var warnings []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case envSource:
			cfg.source = v
		case envExtras:
			cfg.extras = v
		case envDestination:
			cfg.destination = v
		default:
			param, ok := strings.CutPrefix(k, envParamPrefix)
			if !ok {
				continue
			}
			if strings.EqualFold(param, "catalogers") {
				cfg.catalogers = strings.FieldsFunc(v, func(r rune) bool {
					return r == ',' || r == ' '
				})
				continue
			}
			warnings = append(warnings, fmt.Sprintf(
				"ignoring unknown parameter %q (from --sbom=%s=...); known: catalogers",
				param, strings.ToLower(param)))
		}
	}
	sort.Strings(warnings)

	var missing []string
	for _, m := range []struct{ name, value string }{
		{envSource, cfg.source}, {envDestination, cfg.destination},
	} {
		if m.value == "" {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return cfg, warnings, fmt.Errorf("%s not set: this program is an SBOM generator "+
			"that BuildKit runs for --sbom=generator=<image>", strings.Join(missing, " and "))
	}
	return cfg, warnings, nil
}

// run scans the source and every extra filesystem and writes their
// statements, reporting one line per statement to log.
func run(ctx context.Context, cfg config, log io.Writer) error {
	targets, err := cfg.targets()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.destination, 0o755); err != nil {
		return fmt.Errorf("creating the destination: %w", err)
	}
	for _, t := range targets {
		out := filepath.Join(cfg.destination, t.name+".spdx.json")
		n, err := scanToFile(ctx, t, cfg.catalogers, out)
		if err != nil {
			return fmt.Errorf("scanning %s: %w", t.dir, err)
		}
		fmt.Fprintf(log, "%s: %d packages, written to %s\n", t.dir, n, out)
	}
	return nil
}

// targets lists the filesystems to scan: the source first, then each
// folder of extras in name order.
func (c config) targets() ([]target, error) {
	name := filepath.Base(filepath.Clean(c.source))
	if name == "/" || name == "." {
		name = coreName
	}
	out := []target{{dir: c.source, name: name, image: true}}
	if c.extras == "" {
		return out, nil
	}
	entries, err := os.ReadDir(c.extras)
	if err != nil {
		return nil, fmt.Errorf("reading the extra sources: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if e.Name() == name {
			return nil, fmt.Errorf("extra source %s has the name of the source", e.Name())
		}
		out = append(out, target{dir: filepath.Join(c.extras, e.Name()), name: e.Name()})
	}
	return out, nil
}
