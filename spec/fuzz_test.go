package spec_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnbuild/kiln/spec"
)

// FuzzParse feeds arbitrary bytes to Parse, and what it accepts to
// WithDefaults and Expand: bad input must give spec errors (with
// positions), never a panic or another kind of error.
// go test runs the seeds; go test -fuzz FuzzParse ./spec explores.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, seed := range []string{"", "name: a\nlanguage: go\n", "- x\n", "a: [\n", "\t\n",
		"name: a\nlanguage: go\nargs: {V: x}\nruntime:\n  env: {A: ${V}}\n",
		"name: a\nlanguage: go\nbuild:\n  run:\n    - |\n      \tx\n",
		"name: a\nlanguage: static\nruntime:\n  copy: [{from: x, to: /x, mode: \"0755\"}]\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := spec.Parse("kiln.yaml", data)
		if err != nil {
			if len(spec.AsErrors(err)) == 0 {
				t.Fatalf("Parse error is not a spec error: %v", err)
			}
			return
		}
		if _, err := s.WithDefaults().Expand(map[string]string{"TARGETOS": "linux",
			"TARGETARCH": "amd64", "TARGETPLATFORM": "linux/amd64", "BUILDOS": "linux",
			"BUILDARCH": "amd64", "BUILDPLATFORM": "linux/amd64"}); err != nil &&
			len(spec.AsErrors(err)) == 0 {
			t.Fatalf("Expand error is not a spec error: %v", err)
		}
	})
}
