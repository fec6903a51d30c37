package spec

import "github.com/kilnbuild/kiln/schema"

//go:generate go run ./internal/genschema -o ../schema/kiln.schema.json

// SchemaURL is where the JSON schema of kiln.yaml is published. A spec
// names it in a "# yaml-language-server: $schema=<SchemaURL>" comment so
// that editors check and complete it.
const SchemaURL = "https://raw.githubusercontent.com/kilnbuild/kiln/main/schema/kiln.schema.json"

// Schema returns the JSON schema (draft 2020-12) of kiln.yaml as indented
// JSON. It is generated from the Go types of this package and their doc
// comments, and committed as schema/kiln.schema.json.
func Schema() []byte {
	return schema.JSON()
}
