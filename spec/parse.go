package spec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Parse decodes a kiln.yaml file strictly and validates it. filename is
// used in messages only. On failure the error is an Errors listing every
// problem in document order, and the returned Spec, when not nil, is the
// part that could be decoded: use it for positions only.
//
// Parse applies no defaults; see WithDefaults.
func Parse(filename string, data []byte) (*Spec, error) {
	if filename == "" {
		filename = defaultFilename
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a byte order mark is not a key

	// Problems with the file as a whole stop here: there is nothing to
	// decode.
	if errs := checkFile(filename, data); len(errs) > 0 {
		return nil, errs
	}
	root, errs := parseYAML(filename, data)
	if root == nil {
		return nil, errs
	}

	// Decode, then validate what could be decoded. A value that failed to
	// decode is reported once, by the decoder.
	s, decodeErrs, bad := decode(filename, root)
	errs = append(errs, decodeErrs...)
	for _, e := range Validate(s) {
		if !underAny(e.Key, bad) {
			errs = append(errs, e)
		}
	}
	sortErrors(errs)
	return s, errs.err()
}

// dockerfileLine matches the first instruction of a Dockerfile.
var dockerfileLine = regexp.MustCompile(`(?i)^(FROM|ARG)\s+\S`)

// checkFile reports a file that is empty or is a Dockerfile.
func checkFile(file string, data []byte) Errors {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") || text == "---" {
			continue
		}
		if dockerfileLine.MatchString(text) {
			r := Range{Line: line, Column: 1, EndLine: line, EndColumn: len(text) + 1}
			msg := fmt.Sprintf("this is a Dockerfile (%q), but kiln reads a kiln.yaml spec",
				firstWords(text, 2))
			fix := "write a kiln.yaml (name, language, runtime: see docs/spec.md)," +
				" or build this file with the Dockerfile frontend"
			return Errors{newError(file, r, "", msg, fix)}
		}
		return nil
	}
	base := filepath.Base(file)
	msg := base + " is empty"
	fix := "start with \"name: my-app\" and \"language: go\" (see docs/spec.md)"
	start := Range{Line: 1, Column: 1, EndLine: 1, EndColumn: 1}
	return Errors{newError(file, start, "", msg, fix)}
}

// firstWords returns at most n space-separated words of s.
func firstWords(s string, n int) string {
	words := strings.Fields(s)
	return strings.Join(words[:min(n, len(words))], " ")
}

// parseYAML parses data into the root node of its only document.
func parseYAML(file string, data []byte) (ast.Node, Errors) {
	// The parser accepts some tabs in indentation that YAML forbids and
	// other tools reject; report them all before anything else.
	if tabs := checkTabs(file, data); len(tabs) > 0 {
		return nil, tabs
	}
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, Errors{syntaxError(file, err)}
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d.Body != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		return nil, checkFile(file, nil)
	}
	var errs Errors
	if len(docs) > 1 {
		r := rangeOf(docs[1].Body)
		errs = append(errs, newError(file, r, "", "the file holds more than one YAML document",
			"keep one document: remove the \"---\" separator and what follows it"))
	}
	root := docs[0].Body
	if _, ok := root.(*ast.MappingNode); !ok {
		errs = append(errs, newError(file, rangeOf(root), "",
			"the top level is "+describe(root)+", not a mapping of keys",
			"start with \"name: my-app\" and \"language: go\" (see docs/spec.md)"))
		return nil, errs
	}
	return root, errs
}

// syntaxError turns a YAML parser error into an Error at its position.
func syntaxError(file string, err error) *Error {
	msg := err.Error()
	var r Range
	var ye yaml.Error
	if errors.As(err, &ye) {
		msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			r = Range{Line: tk.Position.Line, Column: tk.Position.Column}
			r.EndLine, r.EndColumn = tk.Position.Line, tk.Position.Column+1
		}
	}
	return newError(file, r, "", "YAML syntax error: "+msg,
		"check the indentation, quotes and brackets near here")
}

// checkTabs reports every line indented with a tab, which YAML forbids.
// Inside a block scalar (| or >) a tab after the block's indentation is
// text, such as the body of a heredoc in build.run.
func checkTabs(file string, data []byte) Errors {
	var errs Errors
	blocks := blockIndents(string(data))
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if indent == line {
			continue // a blank line: its whitespace does not indent anything
		}
		col := strings.IndexByte(indent, '\t')
		if n, ok := blocks[i+1]; ok && col >= n {
			continue
		}
		if col >= 0 {
			r := Range{Line: i + 1, Column: col + 1, EndLine: i + 1, EndColumn: col + 2}
			errs = append(errs, newError(file, r, "", "a tab is used for indentation",
				"YAML indents with spaces only: replace the tab with spaces"))
		}
	}
	return errs
}

// blockIndents maps each line of block scalar text to the indentation of
// its block: the spaces before the block's first line of text.
func blockIndents(src string) map[int]int {
	out := map[int]int{}
	tks := lexer.Tokenize(src)
	for i, tk := range tks {
		if tk.Type != token.LiteralType && tk.Type != token.FoldedType || i+1 >= len(tks) {
			continue
		}
		text := tks[i+1]
		if text.Type != token.StringType || tk.Position == nil {
			continue
		}
		// The text starts on the line after the indicator and spans the
		// lines of its origin (the text token's own position is not its
		// first line when the block ends the file).
		first := strings.SplitN(strings.TrimLeft(text.Origin, "\n"), "\n", 2)[0]
		indent := len(first) - len(strings.TrimLeft(first, " "))
		for l := 1; l <= max(1, strings.Count(text.Origin, "\n")); l++ {
			out[tk.Position.Line+l] = indent
		}
	}
	return out
}

// underAny reports whether key is one of paths or lies inside one of them.
func underAny(key string, paths []string) bool {
	for _, p := range paths {
		if key == p || strings.HasPrefix(key, p+".") || strings.HasPrefix(key, p+"[") {
			return true
		}
	}
	return false
}
