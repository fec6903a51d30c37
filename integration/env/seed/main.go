// Command seed fills a local registry with look-alikes of the base images
// kiln uses: library/golang:1.26-trixie and the distroless static, base and
// cc images of Debian 13, under their real repository names. The images are
// assembled from Debian packages (through mmdebstrap) and the Go toolchain
// module, with reproducible layers, and skipped when the registry already
// holds them for the current recipe. integration/env/seed.sh runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kiln-env: "+format+"\n", args...)
}

func main() {
	mirror, security := aptMirrors("/")
	if m := os.Getenv("KILN_DEBIAN_MIRROR"); m != "" {
		mirror = m
	}
	if m := os.Getenv("KILN_DEBIAN_SECURITY_MIRROR"); m != "" {
		security = m
	}
	ca := os.Getenv("SSL_CERT_FILE")
	if ca == "" {
		ca = "/etc/ssl/certs/ca-certificates.crt"
	}
	var (
		reg = flag.String("registry", os.Getenv("KILN_REGISTRY"),
			"registry to seed, host:port (plain HTTP)")
		cache     = flag.String("cache", "", "cache folder (required)")
		caFile    = flag.String("ca-bundle", ca, "host CA bundle for the golang look-alike")
		only      = flag.String("only", "", "comma-separated repositories to seed (default all)")
		force     = flag.Bool("force", false, "rebuild and push even what is up to date")
		digests   = flag.String("digests", "", "file to write 'repo:tag digest' lines to")
		mirrorF   = flag.String("mirror", mirror, "Debian archive URI")
		securityF = flag.String("security-mirror", security, "Debian security archive URI")
	)
	flag.Parse()
	if *reg == "" || *cache == "" {
		logf("error: -registry (or KILN_REGISTRY) and -cache are required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := &seeder{
		reg:    &registry{host: *reg},
		deb:    &debian{mirror: *mirrorF, security: *securityF, cache: *cache},
		cache:  *cache,
		caFile: *caFile,
		force:  *force,
		pkgs:   map[string]map[string]*debPkg{},
	}
	if *only != "" {
		s.only = map[string]bool{}
		for _, r := range strings.Split(*only, ",") {
			s.only[strings.TrimSpace(r)] = true
		}
	}
	start := time.Now()
	if err := s.run(ctx); err != nil {
		logf("error: %v", err)
		os.Exit(1)
	}
	if *digests != "" {
		if err := os.WriteFile(*digests, []byte(strings.Join(s.results, "\n")+"\n"),
			0o644); err != nil {
			logf("error: %v", err)
			os.Exit(1)
		}
	}
	logf("registry %s seeded in %s", *reg, time.Since(start).Round(100*time.Millisecond))
}

// seeder builds the look-alikes that are missing or stale and pushes them.
type seeder struct {
	reg     *registry
	deb     *debian
	cache   string
	caFile  string
	force   bool
	only    map[string]bool
	mu      sync.Mutex
	pkgs    map[string]map[string]*debPkg // by architecture
	results []string
}

func (s *seeder) run(ctx context.Context) error {
	if err := s.reg.ping(ctx); err != nil {
		return err
	}
	for _, d := range distrolessFlavours {
		if s.only == nil || s.only[d.repo()] {
			if err := s.seedDistroless(ctx, d); err != nil {
				return fmt.Errorf("%s: %w", d.repo(), err)
			}
		}
	}
	if s.only == nil || s.only[golang.Repo] {
		if err := s.seedGolang(ctx); err != nil {
			return fmt.Errorf("%s: %w", golang.Repo, err)
		}
	}
	return nil
}

// upToDate reports whether every tag of repo carries recipe.
func (s *seeder) upToDate(ctx context.Context, repo string, tags []string,
	recipe string) (bool, error) {
	if s.force {
		return false, nil
	}
	var found []string
	for _, tg := range tags {
		dg, ok, err := s.reg.current(ctx, repo, tg, recipe)
		if err != nil || !ok {
			return false, err
		}
		found = append(found, fmt.Sprintf("%s:%s %s", repo, tg, dg))
	}
	s.results = append(s.results, found...)
	logf("%s:%s is up to date", repo, strings.Join(tags, ","))
	return true, nil
}

func (s *seeder) pushed(repo string, tags []string, dg v1.Hash, since time.Time) {
	for _, tg := range tags {
		s.results = append(s.results, fmt.Sprintf("%s:%s %s", repo, tg, dg))
	}
	logf("pushed %s:%s @%s (%s)", repo, strings.Join(tags, ","), dg,
		time.Since(since).Round(100*time.Millisecond))
}

// distrolessRecipe is the recipe value of flavour d.
func distrolessRecipe(d distroless) string {
	return recipeHash("distroless", d, distrolessTags, distrolessEnv, passwdContent,
		groupContent, nsswitchContent, distrolessDrop, binDirs)
}

// allDistrolessPackages is the union of the packages of every flavour.
func allDistrolessPackages() []string {
	seen := map[string]bool{}
	var all []string
	for _, d := range distrolessFlavours {
		for _, p := range d.Packages {
			if !seen[p] {
				seen[p] = true
				all = append(all, p)
			}
		}
	}
	return all
}

func (s *seeder) seedDistroless(ctx context.Context, d distroless) error {
	recipe := distrolessRecipe(d)
	for _, tg := range distrolessTags {
		tags := []string{tg.Tag}
		ok, err := s.upToDate(ctx, d.repo(), tags, recipe)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		start := time.Now()
		logf("seeding %s:%s ...", d.repo(), tg.Tag)
		var adds []mutate.IndexAddendum
		for _, p := range d.Platforms {
			layer, err := s.distrolessLayer(ctx, d, p, recipe)
			if err != nil {
				return err
			}
			cfg := newConfig(p)
			cfg.Config.Env = distrolessEnv
			cfg.Config.User = tg.User
			cfg.Config.WorkingDir = tg.WorkingDir
			img, err := buildImage(cfg, []v1.Layer{layer}, []string{
				"kiln-seed: Debian " + debianSuite + " " + strings.Join(d.Packages, " "),
			})
			if err != nil {
				return err
			}
			adds = append(adds, addendum(img, p))
		}
		idx := buildIndex(adds, recipe, "gcr.io/"+d.repo()+":"+tg.Tag)
		dg, err := s.reg.push(ctx, idx, d.repo(), tags...)
		if err != nil {
			return err
		}
		s.pushed(d.repo(), tags, dg, start)
	}
	return nil
}

// distrolessLayer returns the single layer of flavour d on p, from the
// layer cache when the same packages made it before.
func (s *seeder) distrolessLayer(ctx context.Context, d distroless, p platform,
	recipe string) (*fileLayer, error) {
	files, err := s.deb.debFiles(ctx, p, allDistrolessPackages())
	if err != nil {
		return nil, err
	}
	var used []string
	for _, name := range d.Packages {
		used = append(used, filepath.Base(files[name]))
	}
	kind := "distroless-" + d.Name + "-" + p.Arch
	return cachedLayer(filepath.Join(s.cache, "layers"), kind, hashKey(recipe, p, used),
		func() (*tree, error) {
			pkgs, err := s.readPackages(p, files)
			if err != nil {
				return nil, err
			}
			return assembleDistroless(d, p, pkgs)
		})
}

// readPackages reads (once per architecture) the .deb files.
func (s *seeder) readPackages(p platform, files map[string]string) (map[string]*debPkg,
	error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.pkgs[p.Arch]; m != nil {
		return m, nil
	}
	m := map[string]*debPkg{}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		pkg, err := readDeb(files[n])
		if err != nil {
			return nil, err
		}
		m[n] = pkg
	}
	s.pkgs[p.Arch] = m
	return m, nil
}

func (s *seeder) seedGolang(ctx context.Context) error {
	g := golang
	hostCA, err := os.ReadFile(s.caFile)
	if err != nil {
		return fmt.Errorf("reading the host CA bundle: %w (set SSL_CERT_FILE)", err)
	}
	recipe := recipeHash("golang", g, sha256Hex(hostCA))
	if ok, err := s.upToDate(ctx, g.Repo, g.Tags, recipe); err != nil || ok {
		return err
	}
	start := time.Now()
	logf("seeding %s:%s ...", g.Repo, strings.Join(g.Tags, ","))
	rootfs, err := s.deb.bootstrap(ctx, "golang", g.Platform, g.Packages)
	if err != nil {
		return err
	}
	rootfsID, err := dirID(rootfs)
	if err != nil {
		return err
	}
	goroot, sum, err := goModDownload(ctx, g.toolchainModule(g.Platform))
	if err != nil {
		return err
	}
	layers := filepath.Join(s.cache, "layers")
	var base, gol *fileLayer
	var baseErr, golErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		kind := "golang-debian-" + g.Platform.Arch
		base, baseErr = cachedLayer(layers, kind, hashKey(recipe, rootfsID), func() (*tree,
			error) {
			logf("writing the Debian layer of %s", g.Repo)
			return golangBaseTree(rootfs, hostCA)
		})
	}()
	go func() {
		defer wg.Done()
		kind := "golang-go-" + g.Platform.Arch
		gol, golErr = cachedLayer(layers, kind, hashKey(recipe, sum), func() (*tree, error) {
			logf("writing the Go %s layer of %s", g.GoVersion, g.Repo)
			return goTree(goroot)
		})
	}()
	wg.Wait()
	if baseErr != nil {
		return baseErr
	}
	if golErr != nil {
		return golErr
	}
	cfg := newConfig(g.Platform)
	cfg.Config.Env = g.Env
	cfg.Config.Cmd = g.Cmd
	cfg.Config.WorkingDir = g.WorkDir
	img, err := buildImage(cfg, []v1.Layer{base, gol}, []string{
		"kiln-seed: Debian " + debianSuite + " minbase " + strings.Join(g.Packages, " "),
		"kiln-seed: Go " + g.GoVersion + " at /usr/local/go, GOPATH /go",
	})
	if err != nil {
		return err
	}
	idx := buildIndex([]mutate.IndexAddendum{addendum(img, g.Platform)}, recipe,
		"docker.io/"+g.Repo+":"+g.Tags[0])
	dg, err := s.reg.push(ctx, idx, g.Repo, g.Tags...)
	if err != nil {
		return err
	}
	s.pushed(g.Repo, g.Tags, dg, start)
	return nil
}

// dirID identifies one bootstrap of a cached root file system, so a layer
// made from an earlier bootstrap of the same recipe is not reused.
func dirID(dir string) (string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		return dir + fi.ModTime().String(), nil
	}
	return fmt.Sprintf("%s:%d:%d", dir, st.Ino, fi.ModTime().UnixNano()), nil
}

// newConfig returns an image config for p with the fixed creation time.
func newConfig(p platform) *v1.ConfigFile {
	return &v1.ConfigFile{
		Architecture: p.Arch,
		Variant:      p.Variant,
		OS:           "linux",
		Created:      v1.Time{Time: epoch},
		RootFS:       v1.RootFS{Type: "layers"},
	}
}

// buildImage assembles an OCI image from a config and layers, one history
// entry per layer.
func buildImage(cfg *v1.ConfigFile, layers []v1.Layer, history []string) (v1.Image,
	error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, err
	}
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		adds[i] = mutate.Addendum{Layer: l, History: v1.History{
			Created: v1.Time{Time: epoch}, CreatedBy: history[i]}}
	}
	return mutate.Append(img, adds...)
}

// addendum places img in an index under platform p.
func addendum(img v1.Image, p platform) mutate.IndexAddendum {
	return mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
		Platform: &v1.Platform{OS: "linux", Architecture: p.Arch, Variant: p.Variant}}}
}

// buildIndex makes the OCI index of a look-alike, annotated with its
// recipe and the image it stands in for.
func buildIndex(adds []mutate.IndexAddendum, recipe, real string) v1.ImageIndex {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	idx = mutate.AppendManifests(idx, adds...)
	return mutate.Annotations(idx, map[string]string{
		recipeAnnotation: recipe,
		"org.opencontainers.image.description": "kiln test look-alike of " + real +
			", assembled from Debian " + debianSuite + " packages",
	}).(v1.ImageIndex)
}
