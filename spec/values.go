package spec

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Vars maps names to string values: environment variables, labels or
// build argument defaults.
type Vars map[string]string

// Pair is one name and its value.
type Pair struct {
	// Key is the name.
	Key string
	// Value is the value.
	Value string
}

// Sorted returns the entries of v sorted by name, so that anything built
// from them is deterministic.
func (v Vars) Sorted() []Pair {
	out := make([]Pair, 0, len(v))
	for _, k := range slices.Sorted(maps.Keys(v)) {
		out = append(out, Pair{Key: k, Value: v[k]})
	}
	return out
}

// User is the runtime user: "uid:gid" after decoding (a lone number N is
// stored as "N:N"), or a user name, which the policy rejects later.
type User string

// DefaultUser is the runtime user when the spec names none: the nonroot
// user of the distroless images.
const DefaultUser User = "65532:65532"

// normalizeUser turns a lone number N into "N:N" and leaves anything else
// as written.
func normalizeUser(s string) User {
	if isDigits(s) {
		return User(s + ":" + s)
	}
	return User(s)
}

// Port is a port the application listens on.
type Port struct {
	// Number is the port number, 1 to 65535.
	Number int
	// Protocol is tcp, udp or sctp; tcp when the spec names none.
	Protocol string
}

// String returns the port in the OCI image config form, such as "8080/tcp".
func (p Port) String() string {
	return strconv.Itoa(p.Number) + "/" + p.Protocol
}

// FileMode is a set of permission bits written as an octal string, such as
// "0755". Zero means "not set".
type FileMode uint32

// String returns the mode as a four-digit octal string, such as "0755".
func (m FileMode) String() string {
	return fmt.Sprintf("%04o", uint32(m))
}

// Duration is a span of time written as a Go duration string, such as
// "30s" or "1m30s". Zero means "not set".
type Duration time.Duration

// String returns the duration in Go syntax, such as "30s".
func (d Duration) String() string {
	return time.Duration(d).String()
}

// isDigits reports whether s is a non-empty string of ASCII digits.
func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
