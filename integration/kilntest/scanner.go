package kilntest

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// The annotations and the predicate type BuildKit gives SBOM attestations
// in an image index.
const (
	annotationRefType      = "vnd.docker.reference.type"
	annotationRefDigest    = "vnd.docker.reference.digest"
	refTypeAttestation     = "attestation-manifest"
	annotationPredicate    = "in-toto.io/predicate-type"
	predicateTypeSPDX      = "https://spdx.dev/Document"
	predicateTypeSLSA1     = "https://slsa.dev/provenance/v1"
	scannerImageRepository = "kilnbuild/sbom-scanner"
)

var scannerImage struct {
	once sync.Once
	ref  string
	err  string
}

// ScannerImage builds the SBOM scanner image from scanner/Dockerfile with
// BuildKit's Dockerfile frontend and pushes it to the local registry as
// kilnbuild/sbom-scanner:dev. A build passes the returned reference as
// the frontend option attest:sbom=generator=<ref> (--sbom=generator=<ref>),
// in place of Docker's default scanner, which cannot be pulled here. It
// runs once per test process.
func (e *Env) ScannerImage(t testing.TB) string {
	t.Helper()
	si := &scannerImage
	si.once.Do(func() {
		ref := e.Registry + "/" + scannerImageRepository + ":dev"
		dir := filepath.Join(e.Root, "scanner")
		res, err := e.TryBuild(t, BuildOpt{
			Frontend:  "dockerfile.v0",
			LocalDirs: map[string]string{"context": dir, "dockerfile": dir},
			Push:      []string{ref},
		})
		if err != nil {
			si.err = err.Error() + "\n" + res.Progress
			return
		}
		si.ref = ref
	})
	if si.err != "" {
		t.Fatalf("building the SBOM scanner image: %s", si.err)
	}
	return si.ref
}

// SPDXPackages returns the sorted, distinct names of the packages in the
// SBOM that BuildKit attached to the image for platform ("linux/amd64";
// empty accepts only a single image) in the OCI layout at layoutDir. It
// finds the attestation manifest that the index annotates as referring to
// that image and reads its first SPDX statement, the one that describes the
// image itself (statements of extra sources, such as the build context,
// follow it), and checks that the statement's subjects, if any, include the
// image.
func SPDXPackages(t testing.TB, layoutDir, platform string) []string {
	t.Helper()
	p, img, layers := attestationLayers(t, layoutDir, platform)
	var types []string
	for _, l := range layers {
		types = append(types, l.Annotations[annotationPredicate])
		if l.Annotations[annotationPredicate] != predicateTypeSPDX {
			continue
		}
		names, err := spdxStatementPackages(p, l.Digest, img)
		if err != nil {
			t.Fatalf("attestation layer %s: %v", l.Digest, err)
		}
		return names
	}
	t.Fatalf("%s: the attestations of %s hold no SPDX statement (predicate types %q)",
		layoutDir, img, types)
	return nil
}

// ProvenanceDependencies returns the digests ("sha256:...") of the
// resolved dependencies that the SLSA provenance attached to the image for
// platform lists, as URI -> digest.
func ProvenanceDependencies(t testing.TB, layoutDir, platform string) map[string]string {
	t.Helper()
	p, img, layers := attestationLayers(t, layoutDir, platform)
	for _, l := range layers {
		if l.Annotations[annotationPredicate] != predicateTypeSLSA1 {
			continue
		}
		var st struct {
			Predicate struct {
				BuildDefinition struct {
					ResolvedDependencies []struct {
						URI    string            `json:"uri"`
						Digest map[string]string `json:"digest"`
					} `json:"resolvedDependencies"`
				} `json:"buildDefinition"`
			} `json:"predicate"`
		}
		if err := readBlobJSON(p, l.Digest, &st); err != nil {
			t.Fatalf("attestation layer %s: %v", l.Digest, err)
		}
		deps := map[string]string{}
		for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
			deps[d.URI] = "sha256:" + d.Digest["sha256"]
		}
		return deps
	}
	t.Fatalf("%s: the attestations of %s hold no SLSA v1 provenance", layoutDir, img)
	return nil
}

// attestationLayers finds the image for platform in the OCI layout and
// the layers of the attestation manifest that the index says refers to it.
func attestationLayers(t testing.TB, layoutDir, platform string) (layout.Path, v1.Hash,
	[]v1.Descriptor) {
	t.Helper()
	p, err := layout.FromPath(layoutDir)
	if err != nil {
		t.Fatalf("opening OCI layout %s: %v", layoutDir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatalf("reading index of %s: %v", layoutDir, err)
	}
	var found indexEntries
	if err := found.collect(idx); err != nil {
		t.Fatalf("%s: %v", layoutDir, err)
	}
	img, err := found.image(platform)
	if err != nil {
		t.Fatalf("%s: %v", layoutDir, err)
	}
	att, ok := found.attestations[img]
	if !ok {
		t.Fatalf("%s: no attestation manifest refers to image %s", layoutDir, img)
	}
	var m v1.Manifest
	if err := readBlobJSON(p, att.Digest, &m); err != nil {
		t.Fatalf("reading attestation manifest %s: %v", att.Digest, err)
	}
	return p, img, m.Layers
}

// indexEntries are the image manifests of an index, nested indexes
// included, and the attestation manifests by the image they refer to.
type indexEntries struct {
	images       []v1.Descriptor
	attestations map[v1.Hash]v1.Descriptor
}

func (f *indexEntries) collect(idx v1.ImageIndex) error {
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	if f.attestations == nil {
		f.attestations = map[v1.Hash]v1.Descriptor{}
	}
	for _, d := range m.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return err
			}
			if err := f.collect(child); err != nil {
				return err
			}
		case d.Annotations[annotationRefType] == refTypeAttestation:
			ref, err := v1.NewHash(d.Annotations[annotationRefDigest])
			if err != nil {
				return fmt.Errorf("attestation manifest %s: %w", d.Digest, err)
			}
			f.attestations[ref] = d
		case d.MediaType.IsImage():
			f.images = append(f.images, d)
		}
	}
	return nil
}

// image picks the digest of the image for platform; an empty platform
// accepts only a single image.
func (f *indexEntries) image(platform string) (v1.Hash, error) {
	var match []v1.Hash
	var seen []string
	for _, d := range f.images {
		if d.Platform == nil {
			seen = append(seen, "?")
			if platform == "" {
				match = append(match, d.Digest)
			}
			continue
		}
		p := platformString(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant)
		seen = append(seen, p)
		if platform == "" || p == platform ||
			d.Platform.OS+"/"+d.Platform.Architecture == platform {
			match = append(match, d.Digest)
		}
	}
	if len(match) != 1 {
		return v1.Hash{}, fmt.Errorf("want one image for platform %q, found %d (platforms %v)",
			platform, len(match), seen)
	}
	return match[0], nil
}

// spdxStatementPackages reads the in-toto statement in blob dg, checks
// that its subject is img, and returns the names of its SPDX packages.
func spdxStatementPackages(p layout.Path, dg, img v1.Hash) ([]string, error) {
	var st struct {
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate struct {
			SPDXVersion string `json:"spdxVersion"`
			Packages    []struct {
				Name string `json:"name"`
			} `json:"packages"`
		} `json:"predicate"`
	}
	if err := readBlobJSON(p, dg, &st); err != nil {
		return nil, err
	}
	if st.PredicateType != predicateTypeSPDX || st.Predicate.SPDXVersion == "" {
		return nil, fmt.Errorf("not an SPDX statement (predicate type %q, SPDX version %q)",
			st.PredicateType, st.Predicate.SPDXVersion)
	}
	// BuildKit names subjects only when the export names the image; an
	// unnamed OCI export leaves them out and the index links the two.
	isImage := len(st.Subject) == 0
	for _, s := range st.Subject {
		isImage = isImage || s.Digest[img.Algorithm] == img.Hex
	}
	if !isImage {
		return nil, fmt.Errorf("the statement's subject is not image %s", img)
	}
	var names []string
	for _, pkg := range st.Predicate.Packages {
		names = append(names, pkg.Name)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// readBlobJSON decodes blob dg of the layout into v.
func readBlobJSON(p layout.Path, dg v1.Hash, v any) error {
	rc, err := p.Blob(dg)
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
