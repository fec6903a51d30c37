// Package schema holds the JSON schema of kiln.yaml (draft 2020-12).
//
// kiln.schema.json is generated from the Go types of package spec and
// their doc comments by "go generate ./spec"; do not edit it by hand. A
// spec points editors at it with a "# yaml-language-server: $schema=URL"
// comment, where URL is spec.SchemaURL.
package schema

import (
	_ "embed"
	"slices"
)

//go:embed kiln.schema.json
var schemaJSON []byte

// JSON returns the JSON schema of kiln.yaml as indented JSON.
func JSON() []byte {
	return slices.Clone(schemaJSON)
}
