package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kilnbuild/kiln/spec"
)

// Violation is one broken rule: which rule, where and what to do.
type Violation struct {
	// Rule is the rule that is broken.
	Rule Rule
	// Message names what is wrong, what was found and the fix.
	Message string
	// Key is the spec key path that caused the violation, such as
	// runtime.user; empty when no key is responsible.
	Key string
	// Range is the YAML range of Key, or of its nearest enclosing key that
	// the file sets; zero when Key is empty or the spec has no positions.
	Range spec.Range
	// File is the spec's file name for spec rules, and the absolute path in
	// the image for rootfs and artifact rules.
	File string
	// Allowed is set by Apply when policy.allow excuses the violation.
	Allowed bool
	// Reason is the reason policy.allow gives, when Allowed.
	Reason string
}

// String formats v like a compiler message: "kiln.yaml:12:9:
// error[runtime-user-root]: ..." for spec rules and "/bin/sh:
// error[rootfs-shell]: ..." for the others. An allowed violation shows
// "allowed" instead of the severity, and the reason at the end.
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.where())
	b.WriteString(": ")
	if v.Allowed {
		b.WriteString("allowed")
	} else {
		b.WriteString(string(v.Rule.Severity))
	}
	fmt.Fprintf(&b, "[%s]: %s", v.Rule.ID, v.Message)
	if v.Allowed {
		fmt.Fprintf(&b, " (allowed: %s)", v.Reason)
	}
	return b.String()
}

// where returns the place of v: FILE:LINE:COL for spec rules, the path for
// the others.
func (v Violation) where() string {
	if v.Rule.Scope != ScopeSpec {
		return cmp.Or(v.File, "/")
	}
	file := cmp.Or(v.File, "kiln.yaml")
	if v.Range.IsZero() {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, v.Range.Line, v.Range.Column)
}

// specViolation returns a violation of rule id at the spec key path.
func specViolation(s *spec.Spec, id, key, msg string) Violation {
	return Violation{
		Rule: mustRule(id), Message: msg, Key: key,
		Range: rangeOf(s, key), File: s.Filename(),
	}
}

// fileViolation returns a violation of rule id at a path in the image.
func fileViolation(id, file, msg string) Violation {
	return Violation{Rule: mustRule(id), Message: msg, File: file}
}

// rangeOf returns the range of key in s or of its nearest enclosing key.
func rangeOf(s *spec.Spec, key string) spec.Range {
	if key == "" {
		return spec.Range{}
	}
	return s.ErrorAt(key, "", "").Range()
}

// Sort orders vs in place the way every Check function returns them:
// spec rules first, in document order, then the others by path, then by
// rule id, so that reports that merge several checks are deterministic.
func Sort(vs []Violation) {
	slices.SortStableFunc(vs, compareViolations)
}

// compareViolations orders two violations for Sort.
func compareViolations(a, b Violation) int {
	aSpec, bSpec := a.Rule.Scope == ScopeSpec, b.Rule.Scope == ScopeSpec
	switch {
	case aSpec && !bSpec:
		return -1
	case !aSpec && bSpec:
		return 1
	case aSpec && a.Range.IsZero() != b.Range.IsZero():
		if a.Range.IsZero() {
			return 1
		}
		return -1
	case aSpec:
		return cmp.Or(
			cmp.Compare(a.Range.Line, b.Range.Line),
			cmp.Compare(a.Range.Column, b.Range.Column),
			strings.Compare(a.Rule.ID, b.Rule.ID),
			strings.Compare(a.Key, b.Key),
			strings.Compare(a.Message, b.Message),
		)
	}
	return cmp.Or(
		strings.Compare(a.File, b.File),
		strings.Compare(a.Rule.ID, b.Rule.ID),
		strings.Compare(a.Key, b.Key),
		strings.Compare(a.Message, b.Message),
	)
}
