package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// standardArgs are the build arguments BuildKit derives from the build and
// target platforms. A spec may reference them without declaring them.
var standardArgs = []string{
	"BUILDARCH", "BUILDOS", "BUILDPLATFORM", "BUILDVARIANT",
	"TARGETARCH", "TARGETOS", "TARGETPLATFORM", "TARGETVARIANT",
}

// StandardArgs returns the names of the build arguments that BuildKit sets
// from the platforms (TARGETOS, TARGETARCH, ...), sorted.
func StandardArgs() []string {
	return slices.Clone(standardArgs)
}

// isStandardArg reports whether name is one of StandardArgs.
func isStandardArg(name string) bool {
	return slices.Contains(standardArgs, name)
}

// argName matches the name of a build argument or environment variable.
var argName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Expand returns a copy of s with every $NAME and ${NAME} in its
// expandable fields replaced, and $$ replaced by a single $. The values
// are args, then the defaults declared under args. args must hold every
// standard argument the spec references; an argument in args that is
// neither declared nor standard is an error. The copy is validated again,
// since expanded values must still be valid. On failure the error is an
// Errors and the returned Spec is nil.
//
// The expandable fields are toolchain, source, build.packages, the values
// of build.env, build.secrets[].target, build.output and every string
// under runtime except the keys of env and labels. name, language, args,
// build.run and policy are never expanded: build.run is expanded by the
// shell, which gets the build arguments as environment variables.
func (s *Spec) Expand(args map[string]string) (*Spec, error) {
	var errs Errors
	for _, name := range slices.Sorted(maps.Keys(args)) {
		if _, ok := s.Args[name]; ok || isStandardArg(name) {
			continue
		}
		msg := fmt.Sprintf("build arg %s is not declared", name)
		fix := fmt.Sprintf("declare it under args (args: {%s: \"\"}), or stop passing "+
			"--build-arg %s", name, name)
		if c := s.closestArg(name); c != "" {
			fix = fmt.Sprintf("did you mean --build-arg %s? Otherwise %s", c, fix)
		}
		errs = append(errs, newError(s.file, s.keys["args"], "args", msg, fix))
	}

	lookup := func(name string) (string, bool) {
		if v, ok := args[name]; ok {
			return v, true
		}
		v, ok := s.Args[name]
		return v, ok
	}
	out := s.clone()
	for _, f := range out.expandable() {
		text, problems := expandString(f.value, lookup)
		for _, p := range problems {
			if isStandardArg(p.name) {
				p.msg = fmt.Sprintf("standard build arg %s has no value", p.name)
				p.fix = "pass it to Expand; the frontend sets it from the platform"
			}
			errs = append(errs, s.refError(f, p))
		}
		f.set(text)
	}
	out.Runtime.User = normalizeUser(string(out.Runtime.User))
	out.expanded = true

	if len(errs) == 0 {
		errs = Validate(out)
	}
	sortErrors(errs)
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// field is a string value of a spec in which ${NAME} may appear.
type field struct {
	path  string
	value string
	set   func(string)
}

// expandable lists the fields of s that Expand expands, with their paths.
// set writes into s itself.
func (s *Spec) expandable() []field {
	var fs []field
	str := func(path string, p *string) {
		fs = append(fs, field{path, *p, func(v string) { *p = v }})
	}
	list := func(path string, l []string) {
		for i := range l {
			str(indexPath(path, i), &l[i])
		}
	}
	vars := func(path string, m Vars) {
		for _, kv := range m.Sorted() {
			k := kv.Key
			fs = append(fs, field{entryPath(path, k), kv.Value, func(v string) { m[k] = v }})
		}
	}

	str("toolchain", &s.Toolchain)
	str("source", &s.Source)
	list("build.packages", s.Build.Packages)
	vars("build.env", s.Build.Env)
	for i := range s.Build.Secrets {
		str(indexPath("build.secrets", i)+".target", &s.Build.Secrets[i].Target)
	}
	str("build.output", &s.Build.Output)

	r := &s.Runtime
	str("runtime.base", &r.Base)
	str("runtime.user", (*string)(&r.User))
	list("runtime.entrypoint", r.Entrypoint)
	list("runtime.cmd", r.Cmd)
	str("runtime.workdir", &r.Workdir)
	vars("runtime.env", r.Env)
	for i := range r.Copy {
		str(indexPath("runtime.copy", i)+".from", &r.Copy[i].From)
		str(indexPath("runtime.copy", i)+".to", &r.Copy[i].To)
	}
	list("runtime.writable", r.Writable)
	if r.Healthcheck != nil {
		list("runtime.healthcheck.exec", r.Healthcheck.Exec)
	}
	str("runtime.stop_signal", &r.StopSignal)
	vars("runtime.labels", r.Labels)
	return fs
}

// varProblem is a bad reference in a string: its byte offset and length,
// the name it references and what is wrong.
type varProblem struct {
	offset, length int
	name           string
	msg, fix       string
}

// expandString replaces $NAME, ${NAME} and $$ in text. lookup returns the
// value of a name and whether it is declared. Bad and undeclared
// references are left as written and reported.
func expandString(text string, lookup func(string) (string, bool)) (string, []varProblem) {
	var b strings.Builder
	var problems []varProblem
	for i := 0; i < len(text); {
		if text[i] != '$' {
			b.WriteByte(text[i])
			i++
			continue
		}
		ref, name, ok := scanRef(text[i:])
		switch {
		case ref == "$$":
			b.WriteByte('$')
		case !ok:
			b.WriteString(ref)
			problems = append(problems, badRef(i, ref))
		default:
			if v, declared := lookup(name); declared {
				b.WriteString(v)
				break
			}
			b.WriteString(ref)
			problems = append(problems, varProblem{
				offset: i, length: len(ref), name: name,
				msg: fmt.Sprintf("%s is not a declared build arg", ref),
				fix: fmt.Sprintf("declare it under args (args: {%s: \"default\"}), "+
					"or write $$ for a literal dollar sign", name),
			})
		}
		i += len(ref)
	}
	return b.String(), problems
}

// scanRef reads the reference at the start of text, which starts with a
// dollar sign. It returns the text of the reference, the name it
// references and whether it is a well-formed reference ($$ is).
func scanRef(text string) (ref, name string, ok bool) {
	rest := text[1:]
	switch {
	case strings.HasPrefix(rest, "$"):
		return "$$", "", true
	case strings.HasPrefix(rest, "{"):
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return text, "", false
		}
		name = rest[1:end]
		return text[:end+2], name, argName.MatchString(name)
	}
	n := 0
	for n < len(rest) && (rest[n] == '_' || isAlnum(rest[n]) && (n > 0 || !isDigit(rest[n]))) {
		n++
	}
	return text[:n+1], rest[:n], n > 0
}

// badRef describes a malformed reference found at offset.
func badRef(offset int, ref string) varProblem {
	p := varProblem{offset: offset, length: len(ref)}
	switch {
	case ref == "$":
		p.msg = "a lone $ is not a variable reference"
		p.fix = "write $$ for a literal dollar sign, or $NAME / ${NAME} for a build arg"
	case !strings.HasSuffix(ref, "}"):
		p.msg = "${ is not closed"
		p.fix = "close it with }, or write $$ for a literal dollar sign"
	default:
		p.msg = fmt.Sprintf("%s is not a plain variable reference", ref)
		p.fix = "write ${NAME} with a declared name; shell forms such as ${NAME:-default} " +
			"are not supported, so put the default under args"
	}
	return p
}

// closestArg returns the declared or standard build arg whose name is
// closest to name, ignoring case, or "" when none is close.
func (s *Spec) closestArg(name string) string {
	if name == "" {
		return ""
	}
	byLower := map[string]string{}
	for _, n := range append(slices.Sorted(maps.Keys(s.Args)), standardArgs...) {
		byLower[strings.ToLower(n)] = n
	}
	return byLower[Closest(name, slices.Sorted(maps.Keys(byLower)))]
}

// refError places a reference problem found in f at its exact column when
// the value is a single line, and at the value otherwise.
func (s *Spec) refError(f field, p varProblem) *Error {
	if c := s.closestArg(p.name); c != "" && !isStandardArg(p.name) {
		p.fix = fmt.Sprintf("did you mean ${%s}? Otherwise %s", c, p.fix)
	}
	e := s.ErrorAt(f.path, p.msg, p.fix)
	if col := s.inner[f.path]; col > 0 && !strings.Contains(f.value, "\n") {
		e.Column = col + utf8.RuneCountInString(f.value[:p.offset])
		e.EndLine = e.Line
		e.EndColumn = e.Column + utf8.RuneCountInString(f.value[p.offset:p.offset+p.length])
	}
	return e
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
