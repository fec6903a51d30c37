// Package rules embeds the pages that explain kiln's hardening rules,
// docs/rules/<id>.md, and their index README.md, so that the kiln command
// can print them (kiln explain) without the repository at hand.
package rules

import (
	"embed"
	"strings"
)

//go:embed *.md
var pages embed.FS

// Page returns the Markdown page of the rule with the given id.
func Page(id string) (string, bool) {
	if id == "" || strings.ContainsAny(id, "/.") || strings.EqualFold(id, "README") {
		return "", false
	}
	b, err := pages.ReadFile(id + ".md")
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Index returns README.md, which lists every rule.
func Index() string {
	b, err := pages.ReadFile("README.md")
	if err != nil {
		return ""
	}
	return string(b)
}

// IDs returns the ids of the rules that have a page, sorted.
func IDs() []string {
	entries, err := pages.ReadDir(".")
	if err != nil {
		return nil
	}
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".md"); ok && id != "README" {
			ids = append(ids, id)
		}
	}
	return ids
}
