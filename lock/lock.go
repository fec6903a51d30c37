// Package lock reads, writes and fills kiln.lock: the digests that the base
// images of a spec resolved to, so that a build names every image by
// digest and builds the same bytes tomorrow.
//
// The file is JSON with sorted keys, one entry per image reference:
//
//	{
//	  "version": 1,
//	  "images": {
//	    "docker.io/library/golang:1.26-trixie": {
//	      "digest": "sha256:…",
//	      "platforms": {"linux/amd64": "sha256:…"}
//	    }
//	  }
//	}
//
// digest is what the reference pointed at (an index for multi-platform
// images); platforms maps each platform to its image manifest digest.
package lock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// FileName is the lock file's name, beside kiln.yaml.
const FileName = "kiln.lock"

// Version is the lock format version this package writes.
const Version = 1

// File is the content of kiln.lock.
type File struct {
	// Version of the format; 1.
	Version int `json:"version"`
	// Images maps a normalized image reference to what it resolved to.
	Images map[string]Image `json:"images"`
}

// Image is one locked reference.
type Image struct {
	// Digest is the digest the reference resolved to: the image index for
	// a multi-platform image, else the manifest.
	Digest digest.Digest `json:"digest"`
	// Platforms maps "os/arch[/variant]" to the image manifest digest.
	Platforms map[string]digest.Digest `json:"platforms,omitempty"`
}

// ErrMissing reports that the lock has no entry for a reference or
// platform; the fix is to run `kiln lock`.
var ErrMissing = errors.New("not in kiln.lock")

// Parse reads a lock file.
func Parse(data []byte) (*File, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s is not a valid lock file: %w; delete it and run "+
			"'kiln lock' to write it again", FileName, err)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%s has version %d, this kiln reads version %d; run "+
			"'kiln lock' to write it again", FileName, f.Version, Version)
	}
	for ref, img := range f.Images {
		if err := img.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %s: digest %q: %w", FileName, ref, img.Digest, err)
		}
		for p, d := range img.Platforms {
			if err := d.Validate(); err != nil {
				return nil, fmt.Errorf("%s: %s: %s: digest %q: %w", FileName, ref, p, d, err)
			}
		}
	}
	return &f, nil
}

// Marshal writes the lock as indented JSON with sorted keys and a final
// newline, so the same content always gives the same bytes.
func (f *File) Marshal() []byte {
	out := File{Version: Version, Images: f.Images}
	if out.Images == nil {
		out.Images = map[string]Image{}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		panic(err) // only strings and maps of strings: cannot fail
	}
	return append(b, '\n')
}

// Key normalizes an image reference the way the lock stores it:
// docker.io/library/golang:1.26-trixie for "golang:1.26-trixie".
func Key(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q is not valid: %w", ref, err)
	}
	return reference.TagNameOnly(named).String(), nil
}

// Lookup returns the manifest digest of ref for platform p. It returns an
// error wrapping ErrMissing when the lock lacks the reference or platform.
func (f *File) Lookup(ref string, p ocispecs.Platform) (digest.Digest, error) {
	key, err := Key(ref)
	if err != nil {
		return "", err
	}
	img, ok := f.Images[key]
	if !ok {
		return "", fmt.Errorf("%s: %w; run 'kiln lock' to add it", key, ErrMissing)
	}
	if len(img.Platforms) == 0 {
		return img.Digest, nil
	}
	want := platforms.Only(p)
	for _, name := range slices.Sorted(maps.Keys(img.Platforms)) {
		lp, err := platforms.Parse(name)
		if err == nil && want.Match(lp) && lp.OS == p.OS && lp.Architecture == p.Architecture {
			return img.Platforms[name], nil
		}
	}
	return "", fmt.Errorf("%s for %s: %w (it has %s); run 'kiln lock' to add it", key,
		platforms.Format(p), ErrMissing,
		strings.Join(slices.Sorted(maps.Keys(img.Platforms)), ", "))
}

// Has reports whether the lock pins ref for at least one platform.
func (f *File) Has(ref string) bool {
	if f == nil {
		return false
	}
	key, err := Key(ref)
	if err != nil {
		return false
	}
	_, ok := f.Images[key]
	return ok
}
