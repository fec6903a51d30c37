package policy

import (
	"slices"
	"strings"
)

// Severity ranks a rule by the harm a violation does; the catalogue and the
// SARIF rule metadata show it. A report of violations shows the level of
// the policy mode instead (InMode): error in enforce mode, where each
// fails the build, and warning in warn mode.
type Severity string

// The severities.
const (
	// SeverityError marks a rule whose violation makes the image unsafe or
	// unable to run.
	SeverityError Severity = "error"
	// SeverityWarning marks a rule whose violation is risky but can be
	// right for some images.
	SeverityWarning Severity = "warning"
)

// Scope says what a rule looks at, and so when it can run.
type Scope string

// The scopes.
const (
	// ScopeSpec rules read kiln.yaml and run before the build.
	ScopeSpec Scope = "spec"
	// ScopeRootfs rules read the runtime root file system after the
	// runtime stage is built.
	ScopeRootfs Scope = "rootfs"
	// ScopeArtifact rules parse the executables the runtime image ships.
	ScopeArtifact Scope = "artifact"
)

// Rule is one hardening rule.
type Rule struct {
	// ID is the stable kebab-case id used in messages and policy.allow.
	ID string
	// Title says in a few words what the rule catches.
	Title string
	// Why says why it matters.
	Why string
	// Fix says how to fix a violation in general; each violation's message
	// gives the specific fix.
	Fix string
	// Severity ranks the rule.
	Severity Severity
	// Scope says what the rule looks at.
	Scope Scope
}

// DocsBase is the address of the folder that holds the rule pages.
const DocsBase = "https://github.com/kilnbuild/kiln/blob/main/docs/rules/"

// HelpURI returns the address of the rule's page, docs/rules/<id>.md.
func (r Rule) HelpURI() string {
	return DocsBase + r.ID + ".md"
}

// Rules returns every rule, sorted by id. The slice is a copy.
func Rules() []Rule {
	return slices.Clone(catalogue)
}

// Lookup returns the rule with the given id.
func Lookup(id string) (Rule, bool) {
	i, ok := slices.BinarySearchFunc(catalogue, id, func(r Rule, id string) int {
		return strings.Compare(r.ID, id)
	})
	if !ok {
		return Rule{}, false
	}
	return catalogue[i], true
}

// IDs returns the id of every rule, sorted.
func IDs() []string {
	ids := make([]string, len(catalogue))
	for i, r := range catalogue {
		ids[i] = r.ID
	}
	return ids
}

// mustRule returns the rule with id; the catalogue is fixed, so a missing
// id is a bug in this package.
func mustRule(id string) Rule {
	r, ok := Lookup(id)
	if !ok {
		panic("policy: no rule " + id)
	}
	return r
}
