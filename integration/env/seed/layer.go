package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// writeTar writes t as a reproducible tar stream: entries in layer order,
// every mtime set to epoch, owners as numbers only, hardlinks as links to
// the first name of their group.
func writeTar(t *tree, w io.Writer) error {
	tw := tar.NewWriter(w)
	written := map[*linkGroup]string{}
	for _, name := range t.names() {
		e := t.entries[name]
		h := tar.Header{
			Name:     name,
			Typeflag: e.hdr.Typeflag,
			Mode:     e.hdr.Mode,
			Uid:      e.hdr.Uid,
			Gid:      e.hdr.Gid,
			ModTime:  epoch,
			Format:   tar.FormatPAX,
		}
		switch e.hdr.Typeflag {
		case tar.TypeDir:
			h.Name += "/"
		case tar.TypeSymlink:
			h.Linkname = e.hdr.Linkname
		case tar.TypeReg:
			if first, ok := written[e.link]; ok && e.link != nil {
				h.Typeflag, h.Linkname = tar.TypeLink, first
				break
			}
			if e.link != nil {
				written[e.link] = name
			}
			h.Size = e.hdr.Size
		default:
			return fmt.Errorf("%s: unsupported entry type %q", name, e.hdr.Typeflag)
		}
		if err := tw.WriteHeader(&h); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if err := copyContent(tw, e, h.Size); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return tw.Close()
}

// copyContent writes the size bytes of e's content to w.
func copyContent(w io.Writer, e *entry, size int64) error {
	var r io.Reader = bytes.NewReader(e.data)
	if e.src != "" {
		f, err := os.Open(e.src)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	n, err := io.Copy(w, r)
	if err == nil && n != size {
		err = fmt.Errorf("size changed from %d to %d while writing", size, n)
	}
	return err
}

// layerInfo is what a written layer blob is known by; it is stored next to
// the cached blob so a later run needs no rehashing.
type layerInfo struct {
	Digest v1.Hash `json:"digest"`
	DiffID v1.Hash `json:"diffID"`
	Size   int64   `json:"size"`
}

// writeLayerFile writes t as a gzip-compressed layer to file p and returns
// its digests. Go's gzip writer with a zero header is deterministic.
func writeLayerFile(t *tree, p string) (layerInfo, error) {
	f, err := os.Create(p)
	if err != nil {
		return layerInfo{}, err
	}
	defer f.Close()
	blob := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, blob)}
	zw, err := gzip.NewWriterLevel(cw, gzip.DefaultCompression)
	if err != nil {
		return layerInfo{}, err
	}
	diff := sha256.New()
	if err := writeTar(t, io.MultiWriter(zw, diff)); err != nil {
		return layerInfo{}, err
	}
	if err := zw.Close(); err != nil {
		return layerInfo{}, err
	}
	if err := f.Close(); err != nil {
		return layerInfo{}, err
	}
	return layerInfo{Digest: sumOf(blob), DiffID: sumOf(diff), Size: cw.n}, nil
}

func sumOf(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

type countWriter struct {
	w io.Writer
	n int64
}

// Write writes p to the underlying writer and counts the bytes.
func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// fileLayer is a v1.Layer backed by a gzip blob on disk with known digests.
type fileLayer struct {
	path string
	info layerInfo
}

// Digest returns the digest of the compressed blob.
func (l *fileLayer) Digest() (v1.Hash, error) { return l.info.Digest, nil }

// DiffID returns the digest of the uncompressed tar stream.
func (l *fileLayer) DiffID() (v1.Hash, error) { return l.info.DiffID, nil }

// Compressed opens the blob.
func (l *fileLayer) Compressed() (io.ReadCloser, error) { return os.Open(l.path) }

// Uncompressed opens the blob and decompresses it.
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &gunzipCloser{zr, f}, nil
}

// Size returns the size of the compressed blob.
func (l *fileLayer) Size() (int64, error) { return l.info.Size, nil }

// MediaType returns the OCI gzip layer media type.
func (l *fileLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }

type gunzipCloser struct {
	*gzip.Reader
	f *os.File
}

// Close closes the decompressor and the file.
func (g *gunzipCloser) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

// cachedLayer returns the layer stored as kind-hash in dir, building it with
// build and storing it first when it is not there; a new layer replaces the
// stored layers of the same kind.
func cachedLayer(dir, kind, hash string, build func() (*tree, error)) (*fileLayer, error) {
	blob := filepath.Join(dir, kind+"-"+hash+".tar.gz")
	meta := blob + ".json"
	if b, err := os.ReadFile(meta); err == nil {
		var info layerInfo
		if json.Unmarshal(b, &info) == nil {
			if fi, err := os.Stat(blob); err == nil && fi.Size() == info.Size {
				return &fileLayer{path: blob, info: info}, nil
			}
		}
	}
	t, err := build()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp := blob + ".tmp"
	info, err := writeLayerFile(t, tmp)
	if err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, blob); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(info)
	if err := os.WriteFile(meta, b, 0o644); err != nil {
		return nil, err
	}
	pruneSiblings(dir, kind, kind+"-"+hash+".tar.gz")
	return &fileLayer{path: blob, info: info}, nil
}

// hashKey returns a short hex key derived from the JSON form of parts.
func hashKey(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			panic(err)
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// pruneSiblings removes the entries of dir named kind-HASH (with a 16-digit
// hex HASH and any suffix) except those whose name starts with keep.
func pruneSiblings(dir, kind, keep string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		n := e.Name()
		rest, ok := strings.CutPrefix(n, kind+"-")
		if !ok || strings.HasPrefix(n, keep) || len(rest) < 16 || !isHex(rest[:16]) {
			continue
		}
		if len(rest) > 16 && rest[16] != '.' {
			continue // another kind whose name extends this one
		}
		os.RemoveAll(filepath.Join(dir, n))
	}
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}
