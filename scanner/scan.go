package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/cataloging/filecataloging"
	"github.com/anchore/syft/syft/cataloging/pkgcataloging"
	"github.com/anchore/syft/syft/format/spdxjson"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/directorysource"

	// syft's RPM cataloger reads newer RPM databases through database/sql
	// and needs a driver registered as "sqlite"; this one is pure Go.
	_ "modernc.org/sqlite"
)

// The in-toto statement type and the predicate type BuildKit expects of an
// SBOM; BuildKit rejects a statement with any other predicate type.
const (
	statementType = "https://in-toto.io/Statement/v1"
	predicateSPDX = "https://spdx.dev/Document"
	spdxVersion   = "2.3"
)

// target is one filesystem to scan.
type target struct {
	// dir is the root of the filesystem.
	dir string
	// name names the statement file and the SPDX document.
	name string
	// image says dir is an image root filesystem, so only what is
	// installed counts, not manifests such as go.mod that merely declare
	// dependencies. Extra sources may be source trees and get syft's
	// defaults for directories, which catalog both.
	image bool
}

// statement is the in-toto statement BuildKit reads from the destination.
// Its subject is empty: BuildKit then makes the image the subject.
type statement struct {
	Type          string          `json:"_type"`
	PredicateType string          `json:"predicateType"`
	Subject       []struct{}      `json:"subject"`
	Predicate     json.RawMessage `json:"predicate"`
}

// scanToFile catalogs t and writes its statement to out. It returns the
// number of packages found.
func scanToFile(ctx context.Context, t target, selection []string, out string) (int, error) {
	doc, n, err := scan(ctx, t, selection)
	if err != nil {
		return 0, err
	}
	b, err := json.Marshal(statement{
		Type:          statementType,
		PredicateType: predicateSPDX,
		Subject:       []struct{}{},
		Predicate:     doc,
	})
	if err != nil {
		return 0, fmt.Errorf("encoding the statement: %w", err)
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return 0, err
	}
	return n, nil
}

// scan catalogs t with syft and returns its SPDX JSON document and the
// number of packages in it.
func scan(ctx context.Context, t target, selection []string) ([]byte, int, error) {
	// Base makes the paths in the SBOM absolute within the scanned root, as
	// they are in the image, and keeps symbolic links inside it.
	src, err := directorysource.New(directorysource.Config{
		Path:  t.dir,
		Base:  t.dir,
		Alias: source.Alias{Name: t.name},
	})
	if err != nil {
		return nil, 0, err
	}
	defer src.Close()

	req := cataloging.NewSelectionRequest()
	if t.image {
		req = req.WithDefaults(pkgcataloging.ImageTag, filecataloging.FileTag)
	}
	req = req.WithExpression(selection...)
	s, err := syft.CreateSBOM(ctx, src, syft.DefaultCreateSBOMConfig().WithCatalogerSelection(req))
	if err != nil {
		return nil, 0, fmt.Errorf("cataloging: %w", err)
	}

	enc, err := spdxjson.NewFormatEncoderWithConfig(spdxjson.EncoderConfig{
		Version: spdxVersion,
	})
	if err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	if err := enc.Encode(&buf, *s); err != nil {
		return nil, 0, fmt.Errorf("encoding SPDX: %w", err)
	}
	return buf.Bytes(), s.Artifacts.Packages.PackageCount(), nil
}
