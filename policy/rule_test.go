package policy_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/policy"
)

func TestCatalogue(t *testing.T) {
	rules := policy.Rules()
	if len(rules) != 19 {
		t.Errorf("the catalogue has %d rules, want the 19 of issue 5", len(rules))
	}
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	scopes := map[policy.Scope]bool{}
	for i, r := range rules {
		if i > 0 && rules[i-1].ID >= r.ID {
			t.Errorf("%s comes after %s: not sorted or duplicated", r.ID, rules[i-1].ID)
		}
		if !kebab.MatchString(r.ID) {
			t.Errorf("%q is not a kebab-case id", r.ID)
		}
		if r.Title == "" || r.Why == "" || r.Fix == "" {
			t.Errorf("%s: title, why and fix must all be set", r.ID)
		}
		if strings.HasSuffix(r.Title, ".") || !strings.HasSuffix(r.Why, ".") ||
			!strings.HasSuffix(r.Fix, ".") {
			t.Errorf("%s: a title has no full stop, why and fix are sentences", r.ID)
		}
		if r.Severity != policy.SeverityError && r.Severity != policy.SeverityWarning {
			t.Errorf("%s: severity %q", r.ID, r.Severity)
		}
		scopes[r.Scope] = true
		want := "https://github.com/kilnbuild/kiln/blob/main/docs/rules/" + r.ID + ".md"
		if r.HelpURI() != want {
			t.Errorf("%s: HelpURI %s, want %s", r.ID, r.HelpURI(), want)
		}
		got, ok := policy.Lookup(r.ID)
		if !ok || got != r {
			t.Errorf("Lookup(%q) = %v, %v", r.ID, got, ok)
		}
	}
	for _, s := range []policy.Scope{policy.ScopeSpec, policy.ScopeRootfs, policy.ScopeArtifact} {
		if !scopes[s] {
			t.Errorf("no rule has scope %s", s)
		}
	}
	if _, ok := policy.Lookup("no-such-rule"); ok {
		t.Error("Lookup found an unknown id")
	}
	rules[0].ID = "changed"
	if policy.Rules()[0].ID == "changed" {
		t.Error("Rules returns the catalogue itself, not a copy")
	}
	if !slices.IsSorted(policy.IDs()) {
		t.Error("IDs are not sorted")
	}
}

func TestViolationString(t *testing.T) {
	root, _ := policy.Lookup(policy.RuntimeUserRoot)
	shell, _ := policy.Lookup(policy.RootfsShell)
	tests := []struct {
		v    policy.Violation
		want string
	}{
		{policy.Violation{Rule: root, Message: "m", File: "app/kiln.yaml", Key: "runtime.user"},
			"app/kiln.yaml: error[runtime-user-root]: m"},
		{policy.Violation{Rule: shell, Message: "m", File: "/bin/sh"},
			"/bin/sh: error[rootfs-shell]: m"},
		{policy.Violation{Rule: shell, Message: "m", File: "/bin/sh", Allowed: true,
			Reason: "debug image"}, "/bin/sh: allowed[rootfs-shell]: m (allowed: debug image)"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestApply(t *testing.T) {
	s := parse(t, header+"runtime: {user: 0, ports: [80]}\n"+
		"policy:\n  allow:\n"+
		"    - {rule: runtime-user-root, reason: \"legacy agent needs CAP_NET_RAW\"}\n"+
		"    - {rule: runtime-user-rot, reason: typo}\n"+
		"    - {rule: no-such-thing-at-all, reason: unknown}\n")
	shell, _ := policy.Lookup(policy.RootfsShell)
	vs := append(policy.CheckSpec(s),
		policy.Violation{Rule: shell, File: "/bin/sh", Message: "m"})
	counted, allowed, errs := policy.Apply(s, vs)

	if got := ids(counted); !slices.Equal(got, []string{"rootfs-shell@/bin/sh"}) {
		t.Errorf("counted %q", got)
	}
	if len(allowed) != 1 || allowed[0].Rule.ID != policy.RuntimeUserRoot ||
		!allowed[0].Allowed || allowed[0].Reason != "legacy agent needs CAP_NET_RAW" {
		t.Errorf("allowed %+v", allowed)
	}
	if vs[0].Allowed {
		t.Error("Apply changed its input")
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	want := []string{
		`kiln.yaml:7:14: policy.allow[1].rule: unknown rule "runtime-user-rot"; ` +
			`did you mean "runtime-user-root"?`,
		`kiln.yaml:8:14: policy.allow[2].rule: unknown rule "no-such-thing-at-all"; ` +
			"run kiln rules for the list of rule ids",
	}
	if !slices.Equal(msgs, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}

func TestApplySuggestsAFullID(t *testing.T) {
	s := parse(t, header+"policy:\n  allow:\n    - {rule: setuid, reason: r}\n")
	_, _, errs := policy.Apply(s, nil)
	if len(errs) != 1 || !strings.Contains(errs[0].Fix, `"rootfs-setuid"`) {
		t.Errorf("got %v, want a suggestion of rootfs-setuid", errs)
	}
}

func TestAllowedLabel(t *testing.T) {
	if got := policy.AllowedLabel(nil); got != "" {
		t.Errorf("nothing allowed: %q", got)
	}
	shell, _ := policy.Lookup(policy.RootfsShell)
	root, _ := policy.Lookup(policy.RuntimeUserRoot)
	vs := []policy.Violation{
		{Rule: shell, File: "/bin/sh", Allowed: true, Reason: "debug \"image\""},
		{Rule: root, Allowed: true, Reason: "needs CAP_NET_RAW"},
		{Rule: shell, File: "/bin/bash", Allowed: true, Reason: "debug \"image\""},
		{Rule: root, Allowed: false},
	}
	want := `[{"rule":"rootfs-shell","reason":"debug \"image\""},` +
		`{"rule":"runtime-user-root","reason":"needs CAP_NET_RAW"}]`
	if got := policy.AllowedLabel(vs); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
