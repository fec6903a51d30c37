package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kilnbuild/kiln/spec"
)

// Apply sorts vs into the violations that count and the ones that
// s.Policy.Allow excuses. An allow entry excuses every violation of its
// rule when it names a known rule and gives a non-empty reason; the
// excused violations come back with Allowed and Reason set. An entry that
// names an unknown rule is an error placed at its YAML range, with the
// closest rule id as the fix. vs is not changed.
//
// Apply does not look at policy.mode: in enforce mode the caller fails the
// build when counted is not empty; in warn mode it reports them.
func Apply(s *spec.Spec, vs []Violation) (counted, allowed []Violation, errs spec.Errors) {
	reasons := map[string]string{}
	for i, a := range s.Policy.Allow {
		if _, ok := Lookup(a.Rule); !ok {
			if a.Rule != "" {
				errs = append(errs, unknownRule(s, i, a.Rule))
			}
			continue
		}
		if r := strings.TrimSpace(a.Reason); r != "" {
			if _, dup := reasons[a.Rule]; !dup {
				reasons[a.Rule] = r
			}
		}
	}
	for _, v := range vs {
		if r, ok := reasons[v.Rule.ID]; ok {
			v.Allowed, v.Reason = true, r
			allowed = append(allowed, v)
			continue
		}
		counted = append(counted, v)
	}
	return counted, allowed, errs
}

// unknownRule returns the error for policy.allow[i] naming an unknown rule.
func unknownRule(s *spec.Spec, i int, id string) *spec.Error {
	fix := "run kiln rules for the list of rule ids"
	if c := Suggest(id); c != "" {
		fix = fmt.Sprintf("did you mean %q?", c)
	}
	return s.ErrorAt(fmt.Sprintf("policy.allow[%d].rule", i),
		fmt.Sprintf("unknown rule %q", id), fix)
}

// Suggest returns the rule id closest to a misspelt one, such as
// runtime-user-root for "runtime-user-rot" or rootfs-setuid for "setuid",
// or "" when no id is close.
func Suggest(id string) string {
	return closest(id, IDs())
}

// closest returns the candidate nearest to word, or "" when none is near
// enough to be a likely typo. It also accepts a word that only drops or
// adds a prefix or suffix, such as "user-root" for "runtime-user-root".
func closest(word string, candidates []string) string {
	if c := spec.Closest(word, candidates); c != "" {
		return c
	}
	for _, c := range candidates {
		if len(word) >= 6 && (strings.HasSuffix(c, word) || strings.HasPrefix(c, word)) {
			return c
		}
	}
	return ""
}

// LabelAllowed is the image label that records the exceptions a build
// used, so that a reviewer can see them in the image itself.
const LabelAllowed = "com.github.kilnbuild.kiln.policy.allowed"

// allowedEntry is one exception in the LabelAllowed value.
type allowedEntry struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// AllowedLabel returns the value of LabelAllowed for the allowed
// violations of a build: a JSON array of {"rule", "reason"}, one entry per
// rule, sorted by rule id, so the same exceptions give the same bytes. It
// returns "" when nothing was allowed.
func AllowedLabel(allowed []Violation) string {
	reasons := map[string]string{}
	for _, v := range allowed {
		if v.Allowed {
			reasons[v.Rule.ID] = v.Reason
		}
	}
	if len(reasons) == 0 {
		return ""
	}
	entries := make([]allowedEntry, 0, len(reasons))
	for _, id := range slices.Sorted(maps.Keys(reasons)) {
		entries = append(entries, allowedEntry{Rule: id, Reason: reasons[id]})
	}
	b, err := json.Marshal(entries)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return string(b)
}

// InMode returns counted violations as the policy mode reports them: in
// enforce mode each is an error, since each fails the build, and in warn
// mode each is a warning, since none does, whatever its rule's severity.
// An empty mode is enforce, the default.
func InMode(vs []Violation, mode spec.PolicyMode) []Violation {
	sev := SeverityError
	if mode == spec.Warn {
		sev = SeverityWarning
	}
	out := slices.Clone(vs)
	for i := range out {
		out[i].Rule.Severity = sev
	}
	return out
}
