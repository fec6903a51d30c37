package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// addOCILayoutContext adds --build-context NAME=oci-layout://DIR[:TAG][@DIGEST]:
// the image is read from an OCI layout folder on this machine, which the
// daemon reads through the session as a content store. Without a digest
// the image is found in DIR/index.json by its tag (default: the only image,
// or "latest").
func addOCILayoutContext(so *client.SolveOpt, i int, name, src string) error {
	dir, tag, dgst, err := parseOCILayoutRef(strings.TrimPrefix(src, "oci-layout://"))
	if err != nil {
		return usageErrorf("--build-context %s=%s: %v", name, src, err)
	}
	if dgst == "" {
		if dgst, err = layoutDigest(dir, tag); err != nil {
			return usageErrorf("--build-context %s=%s: %v", name, src, err)
		}
	}
	store, err := local.NewStore(dir)
	if err != nil {
		return fmt.Errorf("--build-context %s=%s: opening the layout: %w", name, src, err)
	}
	id := "kiln-context-" + strconv.Itoa(i)
	if so.OCIStores == nil {
		so.OCIStores = map[string]content.Store{}
	}
	so.OCIStores[id] = store
	so.FrontendAttrs[attrContext+name] = "oci-layout://" + id + "@" + dgst.String()
	return nil
}

// parseOCILayoutRef splits DIR[:TAG][@DIGEST]. A colon belongs to the tag
// only after the last slash, so DIR may be any path without one there.
func parseOCILayoutRef(s string) (dir, tag string, dgst digest.Digest, err error) {
	if before, after, ok := strings.Cut(s, "@"); ok {
		if dgst, err = digest.Parse(after); err != nil {
			return "", "", "", fmt.Errorf("%q is not a digest: %w", after, err)
		}
		s = before
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		s, tag = s[:i], s[i+1:]
	}
	if s == "" {
		return "", "", "", fmt.Errorf("the layout folder is missing")
	}
	return s, tag, dgst, nil
}

// layoutDigest finds the image tagged tag in the index of an OCI layout.
func layoutDigest(dir, tag string) (digest.Digest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ocispecs.ImageIndexFile))
	if err != nil {
		return "", fmt.Errorf("not an OCI layout: %w", err)
	}
	var idx ocispecs.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return "", fmt.Errorf("reading %s: %w", ocispecs.ImageIndexFile, err)
	}
	if tag == "" && len(idx.Manifests) == 1 {
		return idx.Manifests[0].Digest, nil
	}
	want := tag
	if want == "" {
		want = "latest"
	}
	var tags []string
	for _, m := range idx.Manifests {
		t := m.Annotations[ocispecs.AnnotationRefName]
		if t == want || strings.HasSuffix(t, ":"+want) {
			return m.Digest, nil
		}
		if t != "" {
			tags = append(tags, t)
		}
	}
	return "", fmt.Errorf("no image tagged %q in %s (tags: %s); add :TAG or @DIGEST",
		want, dir, strings.Join(tags, ", "))
}
