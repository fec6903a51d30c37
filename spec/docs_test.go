package spec_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/spec"
)

// fencedBlock matches a fenced code block in Markdown, with an optional
// HTML comment on the line before it.
var fencedBlock = regexp.MustCompile("(?s)(?:<!-- ([a-z-]+) -->\n)?```[a-z]*\n(.*?)```")

// docBlocks returns the code blocks of docs/spec.md and the ones marked
// with an HTML comment, by mark.
func docBlocks(t *testing.T) ([]string, map[string]string) {
	t.Helper()
	doc := string(mustRead(t, "../docs/spec.md"))
	var all []string
	marked := map[string]string{}
	for _, m := range fencedBlock.FindAllStringSubmatch(doc, -1) {
		all = append(all, m[2])
		if m[1] != "" {
			marked[m[1]] = m[2]
		}
	}
	return all, marked
}

func TestDocExamplesParse(t *testing.T) {
	blocks, _ := docBlocks(t)
	n := 0
	for _, b := range blocks {
		if !strings.HasPrefix(b, "# syntax=") || !strings.Contains(b, "\nname: ") {
			continue
		}
		n++
		s, err := spec.Parse("kiln.yaml", []byte(b))
		if err != nil {
			t.Errorf("docs/spec.md example does not parse:\n%s\n%v", b, err)
			continue
		}
		if _, err := s.Expand(platform); err != nil {
			t.Errorf("docs/spec.md example does not expand:\n%s\n%v", b, err)
		}
	}
	if n < 2 {
		t.Errorf("found %d complete examples in docs/spec.md, want at least 2", n)
	}
}

func TestDocErrorExample(t *testing.T) {
	_, marked := docBlocks(t)
	input, output := marked["errors-example-input"], marked["errors-example-output"]
	if input == "" || output == "" {
		t.Fatal("docs/spec.md lost its marked error example")
	}
	_, err := spec.Parse("kiln.yaml", []byte(input))
	if err == nil || err.Error()+"\n" != output {
		t.Errorf("docs/spec.md shows\n%s\nbut Parse reports\n%v", output, err)
	}
}
