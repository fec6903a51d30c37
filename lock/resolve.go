package lock

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Resolver asks registries what references point at.
type Resolver struct {
	// Mirrors maps a registry host (docker.io, gcr.io) to the host:port to
	// ask instead, as buildkitd's registry mirrors do.
	Mirrors map[string]string
}

// Resolve returns what ref points at now: its digest and, for an index,
// the manifest digest of every platform. Credentials come from the user's
// Docker config, as for docker pull.
func (r *Resolver) Resolve(ctx context.Context, ref string) (Image, error) {
	key, err := Key(ref)
	if err != nil {
		return Image{}, err
	}
	target, opts := r.rewrite(key)
	nref, err := name.ParseReference(target, opts...)
	if err != nil {
		return Image{}, fmt.Errorf("image reference %q is not valid: %w", target, err)
	}
	desc, err := remote.Get(nref, remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		return Image{}, fmt.Errorf("resolving %s: %w", key, err)
	}
	img := Image{Digest: digest.Digest(desc.Digest.String()),
		Platforms: map[string]digest.Digest{}}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return Image{}, fmt.Errorf("reading the index of %s: %w", key, err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return Image{}, fmt.Errorf("reading the index of %s: %w", key, err)
		}
		for _, d := range m.Manifests {
			if p := platformOf(d.Platform); p != "" && d.MediaType.IsImage() {
				img.Platforms[p] = digest.Digest(d.Digest.String())
			}
		}
		return img, nil
	}
	one, err := desc.Image()
	if err != nil {
		return Image{}, fmt.Errorf("reading %s: %w", key, err)
	}
	cfg, err := one.ConfigFile()
	if err != nil {
		return Image{}, fmt.Errorf("reading the config of %s: %w", key, err)
	}
	if p := platformOf(cfg.Platform()); p != "" {
		img.Platforms[p] = img.Digest
	}
	return img, nil
}

// Lock resolves every reference into a lock file. It tries them all: the
// error is an Errors with one RefError per reference that failed.
func (r *Resolver) Lock(ctx context.Context, refs []string) (*File, error) {
	f := &File{Version: Version, Images: map[string]Image{}}
	var errs Errors
	for _, ref := range refs {
		key, err := Key(ref)
		if err == nil {
			var img Image
			if img, err = r.Resolve(ctx, key); err == nil {
				f.Images[key] = img
				continue
			}
		}
		errs = append(errs, &RefError{Ref: ref, Err: err})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return f, nil
}

// RefError is the failure to resolve one reference.
type RefError struct {
	// Ref is the reference as given to Lock.
	Ref string
	// Err says why it failed.
	Err error
}

func (e *RefError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *RefError) Unwrap() error { return e.Err }

// Errors are the RefErrors of one Lock call.
type Errors []*RefError

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// rewrite points a normalized reference at its registry's mirror, if any;
// a loopback mirror is spoken to over plain HTTP.
func (r *Resolver) rewrite(key string) (string, []name.Option) {
	host, rest, _ := strings.Cut(key, "/")
	mirror, ok := r.Mirrors[host]
	if !ok {
		return key, nil
	}
	var opts []name.Option
	if h, _, err := net.SplitHostPort(mirror); err == nil {
		if ip := net.ParseIP(h); (ip != nil && ip.IsLoopback()) || h == "localhost" {
			opts = append(opts, name.Insecure)
		}
	}
	return mirror + "/" + rest, opts
}

// platformOf formats a platform for the lock; "" for none or unknown
// (attestation manifests).
func platformOf(p *v1.Platform) string {
	if p == nil || p.OS == "" || p.OS == "unknown" {
		return ""
	}
	return platforms.Format(ocispecs.Platform{OS: p.OS, Architecture: p.Architecture,
		Variant: p.Variant})
}
