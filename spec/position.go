package spec

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Pos returns the range of the value at path in the file, such as
// "runtime.user", "build.run[0]", "build.env.CGO_ENABLED" or
// `runtime.labels["org.opencontainers.image.title"]`. The empty path is the
// whole document. Pos returns the zero Range when the file does not set the
// value or the spec did not come from Parse.
func (s *Spec) Pos(path string) Range {
	return s.pos[path]
}

// Filename returns the file name given to Parse.
func (s *Spec) Filename() string {
	return s.file
}

// ErrorAt returns an Error for the value at path, placed at the value's
// range or, when the file does not set it, at the nearest enclosing value
// that it does set. Later stages, such as policy rules, use it to report
// problems in the same form as Parse.
func (s *Spec) ErrorAt(path, msg, fix string) *Error {
	return newError(s.file, s.nearest(path), path, msg, fix)
}

// nearest returns the range of path or of its nearest ancestor in the file.
func (s *Spec) nearest(path string) Range {
	for p := path; ; p = parentPath(p) {
		if r, ok := s.pos[p]; ok {
			return r
		}
		if p == "" {
			return Range{}
		}
	}
}

// keyRange returns the range of the mapping key at path, or of the value
// when the key is unknown.
func (s *Spec) keyRange(path string) Range {
	if r, ok := s.keys[path]; ok {
		return r
	}
	return s.nearest(path)
}

// simpleKey matches mapping keys that need no quoting in a key path.
var simpleKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// fieldPath returns the path of a spec field named key inside parent.
func fieldPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// entryPath returns the path of the user-named key inside the mapping at
// parent, quoting keys that contain dots or other punctuation.
func entryPath(parent, key string) string {
	if simpleKey.MatchString(key) {
		return fieldPath(parent, key)
	}
	return parent + "[" + strconv.Quote(key) + "]"
}

// indexPath returns the path of item i of the list at parent.
func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// parentPath returns the path that encloses path, or "" for a top-level key.
func parentPath(path string) string {
	if strings.HasSuffix(path, `"]`) {
		if i := strings.LastIndex(path, `["`); i >= 0 {
			return path[:i]
		}
	}
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "["); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[:i]
	}
	return ""
}

// rangeOf returns the span of text that n covers.
func rangeOf(n ast.Node) Range {
	start := n.GetToken()
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		start = m.Values[0].Key.GetToken()
	}
	if mv, ok := n.(*ast.MappingValueNode); ok {
		start = mv.Key.GetToken()
	}
	if start == nil || start.Position == nil {
		return Range{}
	}
	line, col := endOf(n)
	return Range{
		Line: start.Position.Line, Column: start.Position.Column,
		EndLine: line, EndColumn: col,
	}
}

// endOf returns the line and the column just after the last character of n.
func endOf(n ast.Node) (int, int) {
	switch x := n.(type) {
	case *ast.MappingNode:
		if x.IsFlowStyle || len(x.Values) == 0 {
			return tokenEnd(x.End)
		}
		return endOf(x.Values[len(x.Values)-1])
	case *ast.SequenceNode:
		if x.IsFlowStyle || len(x.Values) == 0 {
			return tokenEnd(x.End)
		}
		return endOf(x.Values[len(x.Values)-1])
	case *ast.MappingValueNode:
		return endOf(x.Value)
	case *ast.AnchorNode:
		return endOf(x.Value)
	case *ast.AliasNode:
		return endOf(x.Value)
	case *ast.TagNode:
		return endOf(x.Value)
	case *ast.LiteralNode:
		return literalEnd(x)
	}
	return tokenEnd(n.GetToken())
}

// tokenEnd returns the position just after the text of tk.
func tokenEnd(tk *token.Token) (int, int) {
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	line, col := tk.Position.Line, tk.Position.Column
	if tk.Type == token.ImplicitNullType {
		return line, col
	}
	text := strings.TrimSpace(tk.Origin)
	if text == "" {
		text = tk.Value
	}
	lines := strings.Split(text, "\n")
	if len(lines) == 1 {
		return line, col + utf8.RuneCountInString(text)
	}
	// Origin keeps the indentation of continuation lines, so the length of
	// the last line is its end column minus one.
	last := lines[len(lines)-1]
	return line + len(lines) - 1, utf8.RuneCountInString(last) + 1
}

// literalEnd returns the end of a block scalar (| or >) and its content.
func literalEnd(n *ast.LiteralNode) (int, int) {
	if n.Value == nil || n.Value.Token == nil {
		return tokenEnd(n.Start)
	}
	content := strings.TrimRight(n.Value.Token.Origin, "\n")
	if content == "" {
		return tokenEnd(n.Start)
	}
	lines := strings.Split(content, "\n")
	last := lines[len(lines)-1]
	return n.Start.Position.Line + len(lines), utf8.RuneCountInString(last) + 1
}

// textStart returns the column where the text of a single-line scalar
// starts (after an opening quote), or 0 for any other node.
func textStart(n ast.Node) int {
	tk := n.GetToken()
	if tk == nil || tk.Position == nil || strings.Contains(strings.TrimSpace(tk.Origin), "\n") {
		return 0
	}
	switch tk.Type {
	case token.StringType:
		return tk.Position.Column
	case token.SingleQuoteType, token.DoubleQuoteType:
		return tk.Position.Column + 1
	}
	return 0
}
