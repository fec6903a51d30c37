package report_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kilnbuild/kiln/policy"
	"github.com/kilnbuild/kiln/policy/report"
)

// sarifSchema returns the SARIF 2.1.0 JSON schema that the go-sarif module
// ships, as the text of a Go constant in its source. Reading it from the
// module cache keeps the test on the library's own copy of the schema
// rather than one committed here.
func sarifSchema(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}",
		"github.com/owenrumney/go-sarif/v3").Output()
	if err != nil {
		t.Skipf("cannot locate the go-sarif module: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)),
		"pkg", "report", "v210", "sarif", "schema.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(src), "const schema = `")
	text, _, ok2 := strings.Cut(rest, "`")
	if !ok || !ok2 || !strings.Contains(text, "sarif-schema-2.1.0.json") {
		t.Fatal("go-sarif no longer ships the SARIF 2.1.0 schema as before; update the test")
	}
	return text
}

// compileSchema compiles the SARIF schema with santhosh-tekuri/jsonschema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(sarifSchema(t)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestSARIFMatchesTheSchema(t *testing.T) {
	sch := compileSchema(t)
	var b bytes.Buffer
	if err := report.WriteSARIF(&b, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("the SARIF log does not match the 2.1.0 schema:\n%v", err)
	}

	// The library's own validation (another validator, same schema) agrees.
	log, err := sarif.FromBytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Validate(); err != nil {
		t.Errorf("go-sarif rejects the log: %v", err)
	}

	// The check has teeth: a level SARIF does not know is rejected.
	broken := bytes.Replace(b.Bytes(), []byte(`"level": "error"`), []byte(`"level": "fatal"`), 1)
	inst, err = jsonschema.UnmarshalJSON(bytes.NewReader(broken))
	if err != nil {
		t.Fatal(err)
	}
	if sch.Validate(inst) == nil {
		t.Error("the schema accepted an unknown level")
	}
}

// TestSARIFForCodeScanning checks what code scanning services rely on
// beyond the schema: rule metadata with help URIs, results that point at
// their rule, locations in the spec file with 1-based regions, and the
// written exception as a suppression.
func TestSARIFForCodeScanning(t *testing.T) {
	var b bytes.Buffer
	if err := report.WriteSARIF(&b, sampleReport(t)); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
						Short   struct {
							Text string `json:"text"`
						} `json:"shortDescription"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					Physical struct {
						Artifact struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Suppressions []struct {
					Kind          string `json:"kind"`
					Justification string `json:"justification"`
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "kiln" {
		t.Fatalf("version %q, %d runs", log.Version, len(log.Runs))
	}
	run := log.Runs[0]
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
		rule, _ := policy.Lookup(r.ID)
		if r.HelpURI != rule.HelpURI() || r.Short.Text != rule.Title {
			t.Errorf("rule %s: help %q, title %q", r.ID, r.HelpURI, r.Short.Text)
		}
	}
	if !slices.Equal(ids, policy.IDs()) {
		t.Errorf("rules %q, want the whole catalogue", ids)
	}
	suppressed := 0
	for _, res := range run.Results {
		if res.RuleIndex < 0 || ids[res.RuleIndex] != res.RuleID {
			t.Errorf("result %s has rule index %d", res.RuleID, res.RuleIndex)
		}
		if len(res.Locations) != 1 ||
			res.Locations[0].Physical.Artifact.URI != "examples/agent/kiln.yaml" {
			t.Errorf("result %s: locations %+v", res.RuleID, res.Locations)
		}
		if rg := res.Locations[0].Physical.Region; res.RuleID != policy.RootfsShell &&
			(rg == nil || rg.StartLine < 1 || rg.StartColumn < 1) {
			t.Errorf("result %s: region %+v", res.RuleID, rg)
		}
		if len(res.Suppressions) > 0 {
			suppressed++
			s := res.Suppressions[0]
			if res.RuleID != policy.BaseNotMinimal || s.Kind != "inSource" ||
				!strings.Contains(s.Justification, "Debian package") {
				t.Errorf("suppression on %s: %+v", res.RuleID, s)
			}
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed results, want 1", suppressed)
	}
}
