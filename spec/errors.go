package spec

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// defaultFilename names the spec in messages when the caller gave no name.
const defaultFilename = "kiln.yaml"

// Range is a span of kiln.yaml text. Lines and columns count from 1 and
// columns count characters, not bytes. EndColumn is the column just after
// the last character. The zero Range means "no position known".
type Range struct {
	// Line of the first character.
	Line int
	// Column of the first character.
	Column int
	// EndLine is the line of the last character.
	EndLine int
	// EndColumn is the column just after the last character.
	EndColumn int
}

// IsZero reports whether r carries no position.
func (r Range) IsZero() bool { return r.Line == 0 }

// Error is one problem in a spec: where it is, which key, what is wrong and
// how to fix it.
type Error struct {
	// File is the spec's file name as given to Parse.
	File string
	// Line and Column locate the start of the offending text; zero when the
	// problem has no place in the file (a --build-arg, for example).
	Line, Column int
	// EndLine and EndColumn locate the end of the offending text.
	EndLine, EndColumn int
	// Key is the key path of the offending value, such as runtime.user or
	// build.run[2]; empty for problems with the whole file.
	Key string
	// Msg says what is wrong.
	Msg string
	// Fix says how to fix it; may be empty.
	Fix string
}

// Error formats e as "FILE:LINE:COL: KEY: MSG; FIX". The position, the key
// and the fix are left out when they are unknown or empty.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(cmp.Or(e.File, defaultFilename))
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Range returns the span of text e points at.
func (e *Error) Range() Range {
	return Range{Line: e.Line, Column: e.Column, EndLine: e.EndLine, EndColumn: e.EndColumn}
}

// Errors is every problem found in a spec, in document order.
type Errors []*Error

// Error formats the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems as a slice of errors, for errors.Is and
// errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// AsErrors returns the spec problems carried by err: err itself when it is
// Errors or *Error, or the ones it wraps. It returns nil when err carries
// none.
func AsErrors(err error) Errors {
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return nil
}

// err returns es as an error, or a nil error (not a nil Errors) when es is
// empty.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// sortErrors orders es by position; errors without a position go last.
func sortErrors(es Errors) {
	slices.SortStableFunc(es, func(a, b *Error) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// newError returns an Error for key at r.
func newError(file string, r Range, key, msg, fix string) *Error {
	return &Error{
		File: file, Line: r.Line, Column: r.Column, EndLine: r.EndLine, EndColumn: r.EndColumn,
		Key: key, Msg: msg, Fix: fix,
	}
}
