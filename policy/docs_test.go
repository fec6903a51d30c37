package policy_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	ruledocs "github.com/kilnbuild/kiln/docs/rules"
	"github.com/kilnbuild/kiln/policy"
)

// section returns the paragraph under "## name" in a page, with its lines
// joined by spaces.
func section(page, name string) string {
	_, rest, ok := strings.Cut(page, "\n## "+name+"\n")
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, "\n## ")
	return strings.Join(strings.Fields(rest), " ")
}

// TestPagesAgreeWithTheCatalogue keeps docs/rules/<id>.md and the rule
// data in step: the same ids, and each page repeats the rule's title,
// severity, scope, why and fix word for word.
func TestPagesAgreeWithTheCatalogue(t *testing.T) {
	if got, want := ruledocs.IDs(), policy.IDs(); !slices.Equal(got, want) {
		t.Fatalf("pages %q\nrules %q", got, want)
	}
	index := ruledocs.Index()
	for _, r := range policy.Rules() {
		page, ok := ruledocs.Page(r.ID)
		if !ok {
			t.Errorf("%s has no page", r.ID)
			continue
		}
		if first, _, _ := strings.Cut(page, "\n"); first != "# "+r.ID+": "+r.Title {
			t.Errorf("%s: first line %q, want the id and title", r.ID, first)
		}
		meta := "Severity: " + string(r.Severity) + " · Scope: " + string(r.Scope) + " "
		if !strings.Contains(page, "\n"+meta) {
			t.Errorf("%s: no line starting %q", r.ID, meta)
		}
		if got := section(page, "Why"); got != r.Why {
			t.Errorf("%s: the page says why:\n%s\nthe rule says:\n%s", r.ID, got, r.Why)
		}
		if got := section(page, "Fix"); got != r.Fix {
			t.Errorf("%s: the page says fix:\n%s\nthe rule says:\n%s", r.ID, got, r.Fix)
		}
		for _, s := range []string{"What kiln checks", "Example", "Allowing it"} {
			if section(page, s) == "" {
				t.Errorf("%s: no section %q", r.ID, s)
			}
		}
		if !strings.Contains(page, "rule: "+r.ID+"\n") {
			t.Errorf("%s: the allow example names another rule", r.ID)
		}
		row := regexp.MustCompile(`(?m)^\| \[` + regexp.QuoteMeta(r.ID) + `\]\(` +
			regexp.QuoteMeta(r.ID) + `\.md\) \| ` + string(r.Severity) + ` \| ` +
			string(r.Scope) + ` \| ` + regexp.QuoteMeta(r.Title) + ` \|$`)
		if !row.MatchString(index) {
			t.Errorf("%s: README.md has no row | [id](id.md) | severity | scope | title |",
				r.ID)
		}
	}
	if _, ok := ruledocs.Page("README"); ok {
		t.Error("README is not a rule")
	}
}
