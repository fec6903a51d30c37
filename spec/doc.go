// Package spec reads kiln.yaml, version 1: the Go types of the spec, a
// strict YAML decoder that remembers where every value came from,
// validation that reports every problem at once, the language-independent
// defaults, ${NAME} expansion of build arguments and the JSON schema.
//
// It knows nothing of BuildKit. The usual order of calls is:
//
//	s, err := spec.Parse("kiln.yaml", data) // decode and validate
//	s, err = s.Expand(buildArgs)            // resolve ${NAME}
//	s = s.WithDefaults()                    // fill what the preset does not own
//
// Every problem is an *Error that names the file, line, column, key path,
// what is wrong and how to fix it:
//
//	kiln.yaml:5:3: runtime.entrypont: unknown key; did you mean "entrypoint"?
//
// Key paths join mapping keys with dots and list indexes with brackets, such
// as runtime.copy[0].to; a user-chosen key that is not a plain name is
// quoted, as in runtime.labels["org.opencontainers.image.title"]. The same
// paths look up positions with Spec.Pos, for later stages that report on
// the spec.
package spec
