package policy

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

// RangeFS is an FS that can also read part of a file. When the FS given
// to CheckArtifacts or BaseFromRootfs is a RangeFS, they parse executables
// and libraries by reading the blocks that hold their headers, dynamic
// section and symbol versions, instead of the whole file. The BuildKit
// gateway's ReadFile takes a range, so the frontend can offer it.
type RangeFS interface {
	FS
	// ReadFileRange returns up to length bytes of the regular file at path,
	// starting at offset; fewer only at the end of the file.
	ReadFileRange(ctx context.Context, path string, offset int64, length int) ([]byte, error)
}

// blockSize is the unit in which a RangeFS file is read and cached.
const blockSize = 64 << 10

// openFile returns a reader over the regular file f: block by block when
// fsys is a RangeFS, else from one read of the whole file.
func openFile(ctx context.Context, fsys FS, f File) (io.ReaderAt, error) {
	if rfs, ok := fsys.(RangeFS); ok {
		return &blockReader{ctx: ctx, fsys: rfs, path: f.Path, size: f.Size,
			blocks: map[int64][]byte{}}, nil
	}
	data, err := fsys.ReadFile(ctx, f.Path, int(f.Size))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", f.Path, err)
	}
	return bytes.NewReader(data), nil
}

// blockReader reads a file of a RangeFS in cached blocks.
type blockReader struct {
	ctx    context.Context
	fsys   RangeFS
	path   string
	size   int64
	blocks map[int64][]byte
}

// ReadAt reads len(p) bytes at off, as io.ReaderAt.
func (r *blockReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("reading %s: negative offset", r.path)
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= r.size {
			return n, io.EOF
		}
		b, err := r.block(pos / blockSize)
		if err != nil {
			return n, err
		}
		in := pos % blockSize
		if in >= int64(len(b)) {
			return n, io.EOF // the file is shorter than its listed size
		}
		n += copy(p[n:], b[in:])
	}
	return n, nil
}

// block returns block i of the file, reading it the first time.
func (r *blockReader) block(i int64) ([]byte, error) {
	if b, ok := r.blocks[i]; ok {
		return b, nil
	}
	b, err := r.fsys.ReadFileRange(r.ctx, r.path, i*blockSize, blockSize)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", r.path, err)
	}
	r.blocks[i] = b
	return b, nil
}
