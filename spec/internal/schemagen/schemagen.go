// Package schemagen builds the JSON schema of kiln.yaml from the Go types
// of package spec, with their doc comments as descriptions.
package schemagen

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/kilnbuild/kiln/spec"
)

// specPackage is the import path of package spec, which doc comments are
// looked up under.
const specPackage = "github.com/kilnbuild/kiln/spec"

// Generate returns the schema as indented JSON ending in a newline. dir is
// the folder of package spec's source, relative to the working directory
// and normally "."; its doc comments become the descriptions.
func Generate(dir string) ([]byte, error) {
	r := &jsonschema.Reflector{
		ExpandedStruct: true,
		Mapper:         mapType,
	}
	if err := r.AddGoComments(specPackage, dir); err != nil {
		return nil, fmt.Errorf("reading doc comments: %w", err)
	}
	for k, text := range r.CommentMap {
		r.CommentMap[k] = unwrap(text)
	}
	s := r.Reflect(&spec.Spec{})
	s.ID = spec.SchemaURL
	s.Title = "kiln.yaml"
	allowExtensions(s)
	for _, def := range s.Definitions {
		allowExtensions(def)
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the schema: %w", err)
	}
	return append(out, '\n'), nil
}

// unwrap joins the lines of each paragraph of a doc comment, so editors
// can wrap the description to their own width.
func unwrap(text string) string {
	paras := strings.Split(strings.TrimSpace(text), "\n\n")
	for i, p := range paras {
		paras[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paras, "\n\n")
}

// allowExtensions lets an object of spec keys hold "x-" keys, which kiln
// ignores.
func allowExtensions(s *jsonschema.Schema) {
	if s.Properties == nil || s.Properties.Len() == 0 {
		return
	}
	s.PatternProperties = map[string]*jsonschema.Schema{"^x-": jsonschema.TrueSchema}
}

// Patterns of the values whose schema is a string of a given form.
const (
	userPattern     = `^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`
	durationPattern = `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`
)

// mapType returns the schema of the spec types whose YAML form differs
// from their Go form, or nil for the others.
func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[spec.Language]():
		var enum []any
		for _, l := range spec.Languages() {
			enum = append(enum, string(l))
		}
		return &jsonschema.Schema{Type: "string", Enum: enum}
	case reflect.TypeFor[spec.PolicyMode]():
		modes := []any{string(spec.Enforce), string(spec.Warn)}
		return &jsonschema.Schema{Type: "string", Enum: modes}
	case reflect.TypeFor[spec.User]():
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
			{Type: "integer", Minimum: "0", Maximum: "2147483647"},
			{Type: "string", Pattern: userPattern},
		}}
	case reflect.TypeFor[spec.Port]():
		return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
			{Type: "integer", Minimum: "1", Maximum: "65535"},
			{Type: "string", Pattern: `^[0-9]+(/(tcp|udp|sctp))?$`},
		}}
	case reflect.TypeFor[spec.FileMode]():
		return &jsonschema.Schema{Type: "string", Pattern: `^[0-7]{3,4}$`}
	case reflect.TypeFor[spec.Duration]():
		return &jsonschema.Schema{Type: "string", Pattern: durationPattern}
	}
	return nil
}
