package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// registry is the plain-HTTP registry that receives the look-alikes.
type registry struct {
	host string // 127.0.0.1:PORT
}

// tag returns the reference of repo:tag in the registry.
func (r *registry) tag(repo, tag string) (name.Tag, error) {
	return name.NewTag(r.host+"/"+repo+":"+tag, name.Insecure)
}

func (r *registry) opts(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithJobs(4)}
}

// ping checks that a registry answers at host.
func (r *registry) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.host+"/v2/", nil)
	if err != nil {
		return fmt.Errorf("bad KILN_REGISTRY %q: %v", r.host, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the registry at %s is unreachable (%v); start one (Debian package"+
			" docker-registry) and set KILN_REGISTRY=127.0.0.1:PORT", r.host, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("%s does not look like a registry: GET /v2/ gave %s", r.host,
			resp.Status)
	}
	return nil
}

// current reports whether repo:tag exists as an image index built from
// recipe, and returns its digest.
func (r *registry) current(ctx context.Context, repo, tag, recipe string) (v1.Hash, bool,
	error) {
	ref, err := r.tag(repo, tag)
	if err != nil {
		return v1.Hash{}, false, err
	}
	desc, err := remote.Get(ref, r.opts(ctx)...)
	if err != nil {
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			return v1.Hash{}, false, nil
		}
		return v1.Hash{}, false, fmt.Errorf("looking up %s: %w", ref, err)
	}
	if !desc.MediaType.IsIndex() {
		return desc.Digest, false, nil
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return desc.Digest, false, nil
	}
	return desc.Digest, im.Annotations[recipeAnnotation] == recipe, nil
}

// push writes idx under repo with every tag of tags and returns its digest.
func (r *registry) push(ctx context.Context, idx v1.ImageIndex, repo string,
	tags ...string) (v1.Hash, error) {
	for i, tg := range tags {
		ref, err := r.tag(repo, tg)
		if err != nil {
			return v1.Hash{}, err
		}
		if i == 0 {
			err = remote.WriteIndex(ref, idx, r.opts(ctx)...)
		} else {
			err = remote.Tag(ref, idx, r.opts(ctx)...)
		}
		if err != nil {
			return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
		}
	}
	return idx.Digest()
}
