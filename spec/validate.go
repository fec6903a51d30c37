package spec

import (
	"fmt"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Validate checks s and returns every problem, in document order, or nil.
// It never changes s and applies no defaults: a value left out is valid
// when a default or the preset supplies it. Before Expand, a value that
// references a build arg is checked for its references only.
func Validate(s *Spec) Errors {
	v := &validator{s: s}
	v.top()
	v.build()
	v.runtime()
	v.policy()
	v.references()
	sortErrors(v.errs)
	return v.errs
}

// validator collects the problems of one spec.
type validator struct {
	s    *Spec
	errs Errors
}

// add records a problem with the value at path.
func (v *validator) add(path, msg, fix string) {
	v.errs = append(v.errs, v.s.ErrorAt(path, msg, fix))
}

// addKey records a problem with the mapping key at path.
func (v *validator) addKey(path, msg, fix string) {
	v.errs = append(v.errs, newError(v.s.file, v.s.keyRange(path), path, msg, fix))
}

// missing records a required value that is not set.
func (v *validator) missing(path, fix string) {
	if _, set := v.s.pos[path]; set {
		v.add(path, "must not be empty", fix)
		return
	}
	v.add(path, "required key is missing", fix)
}

// literal reports whether value can be checked as written: it references
// no build arg, or the spec is already expanded.
func (v *validator) literal(value string) bool {
	return v.s.expanded || !strings.Contains(value, "$")
}

var (
	// dnsLabel matches an application name.
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// version matches a toolchain version such as 1.26, 22 or 1.85.0.
	version = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]*$`)
	// debPackage matches a Debian package name, optionally pinned.
	debPackage = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$`)
	// secretID matches the id of a build secret.
	secretID = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	// ruleID matches the id of a hardening rule.
	ruleID = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	// invalidNameChars matches runs of characters a name cannot hold.
	invalidNameChars = regexp.MustCompile(`[^a-z0-9]+`)
)

// languageAliases maps names people use for a language to its preset.
var languageAliases = map[string]Language{
	"golang": Go, "nodejs": Node, "javascript": Node, "js": Node, "typescript": Node,
	"ts": Node, "python3": Python, "py": Python, "rs": Rust, "kotlin": Java, "jvm": Java,
	"binary": Static, "prebuilt": Static,
}

// top checks the top-level keys.
func (v *validator) top() {
	s := v.s
	nameFix := "use lowercase letters, digits and hyphens, starting and ending with " +
		"a letter or digit, at most 63 characters"
	switch {
	case s.Name == "":
		v.missing("name", "add a name such as \"name: my-app\"; "+nameFix)
	case !dnsLabel.MatchString(s.Name):
		fix := nameFix
		if sug := suggestName(s.Name); sug != "" {
			fix = fmt.Sprintf("%s, such as %q", nameFix, sug)
		}
		v.add("name", fmt.Sprintf("%q is not a valid name", s.Name), fix)
	}

	known := languageNames()
	switch {
	case s.Language == "":
		v.missing("language", "add \"language: go\"; one of "+strings.Join(known, ", "))
	case !slices.Contains(Languages(), s.Language):
		fix := didYouMean(string(s.Language), known)
		if l, ok := languageAliases[strings.ToLower(string(s.Language))]; ok {
			fix = fmt.Sprintf("did you mean %q?", l)
		}
		v.add("language", fmt.Sprintf("unknown language %q", s.Language), fix)
	}

	if s.Toolchain != "" {
		switch {
		case s.Language == Static:
			v.add("toolchain", "language static uses no toolchain", "remove toolchain")
		case v.literal(s.Toolchain) && !version.MatchString(s.Toolchain):
			v.add("toolchain", fmt.Sprintf("%q is not a version", s.Toolchain),
				"write a version such as \"1.26\"")
		}
	}
	if s.Source != "" && v.literal(s.Source) {
		v.relative("source", s.Source, "the build context")
	}
	for _, kv := range s.Args.Sorted() {
		p := entryPath("args", kv.Key)
		switch {
		case isStandardArg(kv.Key):
			v.addKey(p, kv.Key+" is set by BuildKit from the platform",
				"remove it from args; reference it as ${"+kv.Key+"} without declaring it")
		case !argName.MatchString(kv.Key):
			v.addKey(p, fmt.Sprintf("%q is not a valid build arg name", kv.Key),
				"use letters, digits and underscores, not starting with a digit")
		}
	}
}

// languageNames returns the known languages as strings.
func languageNames() []string {
	var out []string
	for _, l := range Languages() {
		out = append(out, string(l))
	}
	return out
}

// suggestName turns an invalid name into a valid one, or "".
func suggestName(name string) string {
	sug := invalidNameChars.ReplaceAllString(strings.ToLower(name), "-")
	sug = strings.Trim(sug, "-")
	if len(sug) > 63 {
		sug = strings.TrimRight(sug[:63], "-")
	}
	if !dnsLabel.MatchString(sug) {
		return ""
	}
	return sug
}

// build checks the build step.
func (v *validator) build() {
	s := v.s
	b := s.Build
	if s.Language == Static {
		if !reflect.ValueOf(b).IsZero() {
			v.add("build", "language static has no build step",
				"remove build and copy prebuilt files from the source folder with "+
					"runtime.copy, or choose a language preset")
		}
		return
	}
	for i, p := range b.Packages {
		if v.literal(p) && !debPackage.MatchString(p) {
			v.add(indexPath("build.packages", i),
				fmt.Sprintf("%q is not a Debian package name", p),
				"write a name such as libsqlite3-dev, optionally pinned as name=version")
		}
	}
	v.envNames("build.env", b.Env)
	for i, cmd := range b.Run {
		if strings.TrimSpace(cmd) == "" {
			v.add(indexPath("build.run", i), "the command is empty", "remove it")
		}
	}
	v.secrets(b.Secrets)
	if b.Output != "" && v.literal(b.Output) {
		v.absolute("build.output", b.Output, false)
	}
}

// secrets checks the build secrets.
func (v *validator) secrets(secrets []Secret) {
	seen := map[string]bool{}
	for i, sec := range secrets {
		p := indexPath("build.secrets", i)
		switch {
		case sec.ID == "":
			v.missing(p+".id", "add the id you pass as --secret id=ID")
		case !secretID.MatchString(sec.ID):
			v.add(p+".id", fmt.Sprintf("%q is not a valid secret id", sec.ID),
				"use letters, digits, dots, dashes and underscores")
		case seen[sec.ID]:
			v.add(p+".id", fmt.Sprintf("secret %q is listed twice", sec.ID), "remove one")
		}
		seen[sec.ID] = true
		if sec.Target != "" && v.literal(sec.Target) {
			v.absolute(p+".target", sec.Target, false)
		}
	}
}

// policy checks the policy settings.
func (v *validator) policy() {
	p := v.s.Policy
	if p.Mode != "" && p.Mode != Enforce && p.Mode != Warn {
		v.add("policy.mode", fmt.Sprintf("unknown policy mode %q", p.Mode),
			didYouMean(string(p.Mode), []string{string(Enforce), string(Warn)}))
	}
	seen := map[string]bool{}
	for i, a := range p.Allow {
		at := indexPath("policy.allow", i)
		switch {
		case a.Rule == "":
			v.missing(at+".rule", "name the rule to allow, such as \"rule: runtime-user-root\"")
		case !ruleID.MatchString(a.Rule):
			v.add(at+".rule", fmt.Sprintf("%q is not a rule id", a.Rule),
				"rule ids are lowercase words joined by hyphens, such as runtime-user-root")
		case seen[a.Rule]:
			v.add(at+".rule", fmt.Sprintf("rule %q is allowed twice", a.Rule),
				"keep one entry per rule")
		}
		seen[a.Rule] = true
		if strings.TrimSpace(a.Reason) == "" {
			v.add(at+".reason", "every exception needs a written reason",
				"say why the rule cannot hold for this image, such as "+
					"reason: \"legacy agent needs CAP_NET_RAW\"")
		}
	}
}

// references checks that every ${NAME} in the expandable fields is well
// formed and names a declared or standard build arg.
func (v *validator) references() {
	if v.s.expanded {
		return
	}
	declared := func(name string) (string, bool) {
		_, ok := v.s.Args[name]
		return "", ok || isStandardArg(name)
	}
	for _, f := range v.s.expandable() {
		if !strings.Contains(f.value, "$") {
			continue
		}
		_, problems := expandString(f.value, declared)
		for _, p := range problems {
			v.errs = append(v.errs, v.s.refError(f, p))
		}
	}
}

// absolute checks that p is a clean absolute path; root says whether "/"
// itself is acceptable.
func (v *validator) absolute(at, p string, root bool) {
	switch {
	case !strings.HasPrefix(p, "/"):
		v.add(at, fmt.Sprintf("%q is a relative path", p),
			fmt.Sprintf("use an absolute path, such as %q", path.Join("/", p)))
	case hasDotDot(p):
		v.add(at, fmt.Sprintf("%q contains ..", p),
			fmt.Sprintf("write the path without .., such as %q", path.Clean(p)))
	case !root && path.Clean(p) == "/":
		v.add(at, "the path is the root folder /", "name a folder below /, such as /app")
	}
}

// relative checks that p is a relative path that stays inside where,
// such as "the build context".
func (v *validator) relative(at, p, where string) {
	switch {
	case strings.HasPrefix(p, "/"):
		v.add(at, fmt.Sprintf("%q is an absolute path, but it must be a path in %s", p, where),
			fmt.Sprintf("write it relative to %s, such as %q", where, strings.TrimLeft(p, "/")))
	case path.Clean(p) == ".." || strings.HasPrefix(path.Clean(p), "../"):
		v.add(at, fmt.Sprintf("%q leaves %s", p, where), "use a path inside "+where)
	}
}

// hasDotDot reports whether p has a ".." element.
func hasDotDot(p string) bool {
	return slices.Contains(strings.Split(p, "/"), "..")
}

// envNames checks that the keys of env are valid variable names.
func (v *validator) envNames(at string, env Vars) {
	for _, kv := range env.Sorted() {
		if !argName.MatchString(kv.Key) {
			v.addKey(entryPath(at, kv.Key), fmt.Sprintf("%q is not a valid environment "+
				"variable name", kv.Key), "use letters, digits and underscores, not "+
				"starting with a digit, such as APP_PORT")
		}
	}
}
