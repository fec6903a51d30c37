package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/spf13/cobra"

	"github.com/kilnbuild/kiln/llb"
	"github.com/kilnbuild/kiln/lock"
	"github.com/kilnbuild/kiln/spec"
)

// newLockCmd returns "kiln lock", which pins the spec's base images in
// kiln.lock beside kiln.yaml.
func newLockCmd(stdout, stderr io.Writer) *cobra.Command {
	var file string
	var check bool
	var mirrors []string
	cmd := &cobra.Command{
		Use:   "lock [DIR]",
		Short: "Pin the base images of kiln.yaml by digest in kiln.lock",
		Long: "Ask the registries what the spec's base images (toolchain and runtime\n" +
			"base) point at now, and write their index and per-platform digests to\n" +
			"kiln.lock beside kiln.yaml. Builds then name every image by digest.\n" +
			"With --check, write nothing and exit 1 when kiln.lock is missing or stale.\n" +
			"Credentials come from the Docker config, as for docker pull.",
		Args: maxOneDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := parseMirrors(mirrors)
			if err != nil {
				return err
			}
			specPath, lockPath := lockPaths(args, file)
			s, images, err := specImages(specPath)
			if err != nil {
				return err
			}
			var refs []string
			for _, img := range images {
				refs = append(refs, img.Ref)
			}
			r := &lock.Resolver{Mirrors: m}
			fresh, err := r.Lock(cmd.Context(), refs)
			var failed lock.Errors
			if errors.As(err, &failed) {
				var errs spec.Errors
				for _, fe := range failed {
					i := slices.IndexFunc(images, func(img llb.ImageRef) bool {
						return img.Ref == fe.Ref
					})
					errs = append(errs, resolveError(s, images[i], fe.Err))
				}
				return errs
			}
			if err != nil {
				return err
			}
			// kiln.lock is shared by the specs of its folder: entries of
			// images this spec does not use are kept.
			existing, err := readLockFile(lockPath)
			if check {
				switch {
				case errors.Is(err, fs.ErrNotExist):
					return fmt.Errorf("%s does not exist; run 'kiln lock' to write it", lockPath)
				case err != nil:
					return err
				}
				for _, key := range slices.Sorted(maps.Keys(fresh.Images)) {
					img := fresh.Images[key]
					if have, ok := existing.Images[key]; !ok || have.Digest != img.Digest ||
						!maps.Equal(have.Platforms, img.Platforms) {
						return fmt.Errorf("%s is stale: the registry now gives other digests "+
							"for %s, or the spec names an image it does not have; run "+
							"'kiln lock' to update it", lockPath, key)
					}
				}
				fmt.Fprintf(stderr, "%s is up to date\n", lockPath)
				return nil
			}
			merged := fresh
			switch {
			case err == nil:
				merged = existing
				maps.Copy(merged.Images, fresh.Images)
			case !errors.Is(err, fs.ErrNotExist):
				// Its other specs' entries would be lost without a word.
				return fmt.Errorf("%w; fix it, or delete it and run 'kiln lock' for each "+
					"spec beside it", err)
			}
			if err := os.WriteFile(lockPath, merged.Marshal(), 0o644); err != nil {
				return err
			}
			for _, ref := range refs {
				key, _ := lock.Key(ref)
				fmt.Fprintf(stdout, "%s@%s\n", key, fresh.Images[key].Digest)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "path of the spec (default DIR/kiln.yaml)")
	cmd.Flags().BoolVar(&check, "check", false, "exit 1 when kiln.lock is stale; write nothing")
	cmd.Flags().StringArrayVar(&mirrors, "mirror", nil,
		"ask MIRROR instead of REGISTRY, as REGISTRY=MIRROR (e.g. docker.io=127.0.0.1:5000)")
	return cmd
}

// readLockFile reads and parses the lock file at path.
func readLockFile(path string) (*lock.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := lock.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Images == nil {
		f.Images = map[string]lock.Image{}
	}
	return f, nil
}

// maxOneDir accepts at most one positional DIR.
func maxOneDir(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return usageErrorf("%s takes at most one DIR, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// lockPaths returns the spec path and the lock path beside it.
func lockPaths(args []string, file string) (string, string) {
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	if file == "" {
		file = filepath.Join(dir, "kiln.yaml")
	}
	return file, filepath.Join(filepath.Dir(file), lock.FileName)
}

// parseMirrors reads REGISTRY=MIRROR pairs.
func parseMirrors(pairs []string) (map[string]string, error) {
	m := map[string]string{}
	for _, p := range pairs {
		reg, mirror, ok := strings.Cut(p, "=")
		if !ok || reg == "" || mirror == "" {
			return nil, usageErrorf("--mirror %q: write it as REGISTRY=MIRROR, such as "+
				"docker.io=127.0.0.1:5000", p)
		}
		m[reg] = mirror
	}
	return m, nil
}

// specImages parses the spec and lists the images a build of it pulls.
func specImages(path string) (*spec.Spec, []llb.ImageRef, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the spec: %w", err)
	}
	s, err := spec.Parse(filepath.Base(path), data)
	if err != nil {
		return nil, nil, err
	}
	images, err := llb.Images(s, platforms.DefaultSpec())
	return s, images, err
}

// resolveError places a failure to resolve img at the spec key that chose
// the image, with the registry's answer in plain words.
func resolveError(s *spec.Spec, img llb.ImageRef, err error) *spec.Error {
	msg := fmt.Sprintf("cannot resolve %s: %v", img.Ref, err)
	fix := "check that the registry is reachable and that you are logged in to it " +
		"(docker login), or ask a mirror with --mirror REGISTRY=MIRROR"
	var terr *transport.Error
	if errors.As(err, &terr) && (terr.StatusCode == http.StatusNotFound ||
		slices.ContainsFunc(terr.Errors, func(d transport.Diagnostic) bool {
			return d.Code == transport.ManifestUnknownErrorCode ||
				d.Code == transport.NameUnknownErrorCode
		})) {
		msg = fmt.Sprintf("the registry has no image %s", img.Ref)
		switch img.Key {
		case "toolchain":
			fix = "use a toolchain version the image has a tag for, such as \"1.26\""
		case "runtime.base":
			fix = "name an image that exists, or a distroless short name: static, base or cc"
		default:
			fix = "the preset's image is missing from the registry; check --mirror"
		}
	}
	return s.ErrorAt(img.Key, msg, fix)
}
