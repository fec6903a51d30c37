package spec_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kilnbuild/kiln/spec"
	"github.com/kilnbuild/kiln/spec/internal/schemagen"
)

func TestSchemaIsCurrent(t *testing.T) {
	want, err := schemagen.Generate(".")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(spec.Schema(), want) {
		t.Fatal("schema/kiln.schema.json is stale: run \"go generate ./spec\" and commit it")
	}
	onDisk, err := os.ReadFile("../schema/kiln.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, want) {
		t.Fatal("schema/kiln.schema.json is stale: run \"go generate ./spec\" and commit it")
	}
}

func TestSchemaDescribesEveryKey(t *testing.T) {
	var doc struct {
		Schema     string                     `json:"$schema"`
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(spec.Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %q, want draft 2020-12", doc.Schema)
	}
	check := func(owner string, props map[string]json.RawMessage) {
		for key, raw := range props {
			var p struct{ Description string }
			if err := json.Unmarshal(raw, &p); err != nil || p.Description == "" {
				t.Errorf("%s.%s has no description: add a doc comment to the field", owner, key)
			}
		}
	}
	check("Spec", doc.Properties)
	for name, def := range doc.Defs {
		check(name, def.Properties)
	}
	if len(doc.Properties) != 8 {
		t.Errorf("the schema has %d top-level keys, want 8", len(doc.Properties))
	}
}

// compileSchema compiles the committed schema with a JSON schema validator.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(spec.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(spec.SchemaURL, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(spec.SchemaURL)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validateYAML checks a YAML document against the schema.
func validateYAML(t *testing.T, sch *jsonschema.Schema, data []byte) error {
	t.Helper()
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func TestSchemaAcceptsTheExamples(t *testing.T) {
	sch := compileSchema(t)
	for _, file := range []string{"testdata/go-service.kiln.yaml", "testdata/static.kiln.yaml"} {
		if err := validateYAML(t, sch, mustRead(t, file)); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	extended := head + "x-note: hi\nruntime:\n  x-owner: me\n  user: \"1000:1000\"\n"
	if err := validateYAML(t, sch, []byte(extended)); err != nil {
		t.Errorf("x- keys: %v", err)
	}
}

func TestSchemaRejectsWhatParseRejects(t *testing.T) {
	sch := compileSchema(t)
	for _, yaml := range []string{
		head + "runtime:\n  entrypont: [/app/x]\n",
		"name: app\nlanguage: cobol\n",
		"language: go\n",
		head + "toolchain: 1.20\n",
		head + "runtime:\n  ports: [70000]\n",
		head + "runtime:\n  healthcheck: curl localhost\n",
		head + "runtime:\n  copy: [{from: /out/x, to: /x, mode: 755}]\n",
		head + "policy:\n  mode: strict\n",
	} {
		if validateYAML(t, sch, []byte(yaml)) == nil {
			t.Errorf("the schema accepts:\n%s", yaml)
		}
		if _, err := spec.Parse("kiln.yaml", []byte(yaml)); err == nil {
			t.Errorf("Parse accepts:\n%s", yaml)
		}
	}
}
