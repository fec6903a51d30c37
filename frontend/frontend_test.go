package frontend

import (
	"maps"
	"testing"
)

// TestFilterArgs keeps the user's --build-arg values and drops the ones
// BuildKit, buildx and kiln set for themselves, so that only the user's
// reach the spec's check for undeclared arguments.
func TestFilterArgs(t *testing.T) {
	in := map[string]string{
		"VERSION":                 "1.2.3",
		"TARGETARCH":              "arm64",
		"BUILDKIT_SYNTAX":         "ghcr.io/kilnbuild/kiln:1",
		"BUILDKIT_CACHE_MOUNT_NS": "team-a",
		"SOURCE_DATE_EPOCH":       "1700000000",
		"KILN_CACHE_NS":           "team-b",
		"HTTPS_PROXY":             "http://proxy:3128",
		"no_proxy":                "localhost",
	}
	want := map[string]string{"VERSION": "1.2.3", "TARGETARCH": "arm64"}
	got := filterArgs(in)
	if !maps.Equal(got, want) {
		t.Errorf("filterArgs = %v, want %v", got, want)
	}
	if len(in) != 8 {
		t.Errorf("filterArgs changed its input: %v", in)
	}
}

// TestGitContextSource reads the repository and pinned commit of a git
// build context, without credentials, and nothing from other contexts.
func TestGitContextSource(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct{ context, source, revision string }{
		{"https://github.com/kilnbuild/app.git", "https://github.com/kilnbuild/app.git", ""},
		{"https://ci:tok@git.example.com/o/app.git#main", "https://git.example.com/o/app.git",
			""},
		{"https://github.com/o/app.git#" + sha, "https://github.com/o/app.git", sha},
		{"git@github.com:o/app.git#v1.2:cmd", "git@github.com:o/app.git", ""},
		{"", "", ""},
		{"https://example.com/context.tar.gz", "", ""},
	} {
		src, rev := gitContextSource(tc.context)
		if src != tc.source || rev != tc.revision {
			t.Errorf("gitContextSource(%q) = %q, %q; want %q, %q", tc.context, src, rev,
				tc.source, tc.revision)
		}
	}
}
