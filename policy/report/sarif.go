package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/kilnbuild/kiln/policy"
)

// InformationURI is the address SARIF logs give for kiln.
const InformationURI = "https://github.com/kilnbuild/kiln"

// WriteSARIF writes r as a SARIF 2.1.0 log with one run. The run lists
// every rule of the catalogue (id, title, why, fix, help URI, default
// level) so that a code scanning service can show rules that did not fire.
// Each violation is a result at the spec file: spec rules with the YAML
// region, the others with the path in the image in the message. An
// allowed violation carries an accepted in-source suppression whose
// justification is the policy.allow reason.
func WriteSARIF(w io.Writer, r Report) error {
	run := sarif.NewRunWithInformationURI("kiln", InformationURI)
	if r.Version != "" {
		run.Tool.Driver.WithVersion(r.Version)
	}
	// kiln counts columns in characters, not UTF-16 code units.
	run.WithColumnKind("unicodeCodePoints")
	for _, rule := range policy.Rules() {
		addRule(run, rule)
	}
	for _, v := range r.all() {
		addResult(run, r.File, v)
	}
	log := sarif.NewReport()
	log.AddRun(run)
	if err := log.PrettyWrite(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// addRule describes rule in the run's tool driver.
func addRule(run *sarif.Run, rule policy.Rule) {
	help := fmt.Sprintf("%s\n\nFix: %s\n\nSee %s", rule.Why, rule.Fix, rule.HelpURI())
	md := fmt.Sprintf("%s\n\n**Fix:** %s\n\n[%s](%s)", rule.Why, rule.Fix, rule.ID,
		rule.HelpURI())
	props := sarif.NewPropertyBag().WithTags([]string{"security", "kiln-" + string(rule.Scope)})
	run.AddRule(rule.ID).
		WithName(ruleName(rule.ID)).
		WithDescription(rule.Title).
		WithFullDescription(sarif.NewMultiformatMessageString().WithText(rule.Why)).
		WithHelp(sarif.NewMultiformatMessageString().WithText(help).WithMarkdown(md)).
		WithHelpURI(rule.HelpURI()).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().
			WithLevel(level(rule.Severity))).
		WithProperties(props)
}

// addResult adds v to the run as a result located in the spec file.
func addResult(run *sarif.Run, file string, v policy.Violation) {
	res := run.CreateResultForRule(v.Rule.ID).
		WithLevel(level(v.Rule.Severity)).
		WithMessage(sarif.NewTextMessage(message(v)))
	loc := sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(fileURI(file)))
	if rg := v.Range; !rg.IsZero() {
		loc.WithRegion(sarif.NewRegion().
			WithStartLine(rg.Line).WithStartColumn(rg.Column).
			WithEndLine(rg.EndLine).WithEndColumn(rg.EndColumn))
	}
	res.AddLocation(sarif.NewLocationWithPhysicalLocation(loc))
	if v.Allowed {
		res.AddSuppression(sarif.NewSuppression().WithKind("inSource").
			WithStatus("accepted").WithJustification(v.Reason))
	}
}

// message is the result text: the violation's message, prefixed with the
// path in the image for rootfs and artifact rules.
func message(v policy.Violation) string {
	if v.Rule.Scope == policy.ScopeSpec || v.File == "" || strings.HasPrefix(v.Message, v.File) {
		return v.Message
	}
	return v.File + ": " + v.Message
}

// level maps a severity to a SARIF level.
func level(s policy.Severity) string {
	if s == policy.SeverityError {
		return sarif.LevelError
	}
	return sarif.LevelWarning
}

// ruleName turns a rule id into the PascalCase name SARIF viewers show,
// such as RuntimeUserRoot.
func ruleName(id string) string {
	var b strings.Builder
	for _, w := range strings.Split(id, "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// fileURI returns the artifact URI of the spec: a relative reference with
// forward slashes, or a file: URI for an absolute path.
func fileURI(file string) string {
	if file == "" {
		file = "kiln.yaml"
	}
	if filepath.IsAbs(file) {
		return "file://" + filepath.ToSlash(file)
	}
	return filepath.ToSlash(file)
}
