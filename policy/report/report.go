// Package report writes the result of kiln's hardening checks for people
// and tools: compiler-style text, a JSON document, or SARIF 2.1.0 for code
// scanning services such as GitHub's.
//
// It is separate from package policy so that the frontend, which reports
// through BuildKit, does not link the SARIF library.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kilnbuild/kiln/policy"
)

// Format is an output format.
type Format string

// The formats.
const (
	// Text is one compiler-style line per violation.
	Text Format = "text"
	// JSON is a JSON document with every violation.
	JSON Format = "json"
	// SARIF is a SARIF 2.1.0 log with rule metadata.
	SARIF Format = "sarif"
)

// Formats returns the formats, in the order help text lists them.
func Formats() []Format {
	return []Format{Text, JSON, SARIF}
}

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	if !slices.Contains(Formats(), f) {
		return "", fmt.Errorf("unknown format %q; use text, json or sarif", s)
	}
	return f, nil
}

// Report is the result of checking one spec.
type Report struct {
	// File is the spec's file name. SARIF locations point into it, so it
	// should be relative to the repository root.
	File string
	// Counted are the violations that count, as policy.Apply returns them.
	Counted []policy.Violation
	// Allowed are the violations that policy.allow excuses.
	Allowed []policy.Violation
	// Version is kiln's version, for SARIF's tool.driver.version; may be
	// empty.
	Version string
}

// all returns the counted and allowed violations in one sorted list.
func (r Report) all() []policy.Violation {
	vs := slices.Concat(r.Counted, r.Allowed)
	policy.Sort(vs)
	return vs
}

// Write writes r to w in format f.
func Write(w io.Writer, f Format, r Report) error {
	switch f {
	case Text:
		return WriteText(w, r)
	case JSON:
		return WriteJSON(w, r)
	case SARIF:
		return WriteSARIF(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}

// WriteText writes one line per violation, allowed ones included and
// marked, in the form "kiln.yaml:12:9: error[runtime-user-root]: ...".
func WriteText(w io.Writer, r Report) error {
	var b strings.Builder
	for _, v := range r.all() {
		b.WriteString(v.String())
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonReport is the JSON document WriteJSON writes.
type jsonReport struct {
	File       string          `json:"file"`
	Counted    int             `json:"counted"`
	Allowed    int             `json:"allowed"`
	Violations []jsonViolation `json:"violations"`
}

// jsonViolation is one violation in the JSON document.
type jsonViolation struct {
	Rule     string     `json:"rule"`
	Severity string     `json:"severity"`
	Scope    string     `json:"scope"`
	Title    string     `json:"title"`
	Message  string     `json:"message"`
	File     string     `json:"file"`
	Key      string     `json:"key,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
	Allowed  bool       `json:"allowed"`
	Reason   string     `json:"reason,omitempty"`
	Help     string     `json:"help"`
}

// jsonRange is a YAML range in the JSON document.
type jsonRange struct {
	Line      int `json:"line"`
	Column    int `json:"column"`
	EndLine   int `json:"endLine"`
	EndColumn int `json:"endColumn"`
}

// WriteJSON writes r as an indented JSON document:
//
//	{"file": "kiln.yaml", "counted": 1, "allowed": 0, "violations": [
//	  {"rule": "runtime-user-root", "severity": "error", "scope": "spec",
//	   "title": "...", "message": "...", "file": "kiln.yaml",
//	   "key": "runtime.user", "range": {"line": 4, ...}, "allowed": false,
//	   "help": "https://..."}]}
func WriteJSON(w io.Writer, r Report) error {
	out := jsonReport{File: r.File, Counted: len(r.Counted), Allowed: len(r.Allowed),
		Violations: []jsonViolation{}}
	for _, v := range r.all() {
		jv := jsonViolation{
			Rule: v.Rule.ID, Severity: string(v.Rule.Severity), Scope: string(v.Rule.Scope),
			Title: v.Rule.Title, Message: v.Message, File: v.File, Key: v.Key,
			Allowed: v.Allowed, Reason: v.Reason, Help: v.Rule.HelpURI(),
		}
		if r := v.Range; !r.IsZero() {
			jv.Range = &jsonRange{r.Line, r.Column, r.EndLine, r.EndColumn}
		}
		out.Violations = append(out.Violations, jv)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
