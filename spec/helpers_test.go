package spec

import (
	"reflect"
	"testing"
)

func TestClosest(t *testing.T) {
	keys := []string{"base", "user", "entrypoint", "cmd", "workdir", "stop_signal"}
	for word, want := range map[string]string{
		"entrypont":  "entrypoint",
		"entrypiont": "entrypoint", // an adjacent swap counts once
		"usr":        "user",
		"stopsignal": "stop_signal",
		"WorkDir":    "workdir",
		"zzzzzzzz":   "",
		"x":          "",
	} {
		if got := Closest(word, keys); got != want {
			t.Errorf("Closest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestParentPath(t *testing.T) {
	for path, want := range map[string]string{
		"runtime.copy[0].to":            "runtime.copy[0]",
		"runtime.copy[0]":               "runtime.copy",
		"runtime":                       "",
		`runtime.labels["a.b[c]"]`:      "runtime.labels",
		"build.env.CGO_ENABLED":         "build.env",
		"runtime.healthcheck.exec[10]":  "runtime.healthcheck.exec",
		`runtime.labels["x"].something`: `runtime.labels["x"]`,
	} {
		if got := parentPath(path); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestExpandString(t *testing.T) {
	vars := map[string]string{"A": "1", "B_2": "two", "EMPTY": ""}
	lookup := func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
	for _, tc := range []struct {
		in, want string
		bad      []int // offsets of the problems
	}{
		{"plain", "plain", nil},
		{"$A-${B_2}", "1-two", nil},
		{"x${EMPTY}y", "xy", nil},
		{"$$A", "$A", nil},
		{"$$$A", "$1", nil},
		{"$A$B_2", "1two", nil},
		{"${A}B_2", "1B_2", nil},
		{"$NOPE", "$NOPE", []int{0}},
		{"a $", "a $", []int{2}},
		{"$1", "$1", []int{0}},
		{"${A", "${A", []int{0}},
		{"${A:-x} $A", "${A:-x} 1", []int{0}},
		{"${} ok", "${} ok", []int{0}},
		{"é$NOPE", "é$NOPE", []int{2}},
	} {
		got, problems := expandString(tc.in, lookup)
		var offsets []int
		for _, p := range problems {
			offsets = append(offsets, p.offset)
		}
		if got != tc.want || !reflect.DeepEqual(offsets, tc.bad) {
			t.Errorf("expandString(%q) = %q, problems at %v; want %q, %v",
				tc.in, got, offsets, tc.want, tc.bad)
		}
	}
}

func TestValidSignal(t *testing.T) {
	for sig, want := range map[string]bool{
		"SIGTERM": true, "TERM": true, "SIGRTMIN+3": true, "15": true,
		"SIGFOO": false, "sigterm": false, "0": false, "65": false,
	} {
		if got := validSignal(sig); got != want {
			t.Errorf("validSignal(%q) = %v, want %v", sig, got, want)
		}
	}
}

func TestImageReference(t *testing.T) {
	for ref, want := range map[string]bool{
		"gcr.io/distroless/static-debian13":               true,
		"gcr.io/distroless/static-debian13:nonroot":       true,
		"127.0.0.1:5000/distroless/cc:latest":             true,
		"docker.io/library/debian@sha256:" + sixtyFourHex: true,
		"GCR.io/Distroless/Static":                        false,
		"gcr.io/distroless/static:":                       false,
		"gcr.io/distroless/static@sha256:abc":             false,
	} {
		if got := imageRef.MatchString(ref); got != want {
			t.Errorf("imageRef(%q) = %v, want %v", ref, got, want)
		}
	}
}

const sixtyFourHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
