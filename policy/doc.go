// Package policy holds kiln's hardening rules as data and evaluates them:
// on the spec before anything is built (CheckSpec, CheckBuildNetwork), on
// the runtime root file system after the runtime stage is solved
// (CheckRootfs), and on the executables that the runtime image ships
// (CheckArtifacts). Apply then sets aside the violations that
// policy.allow excuses.
//
// The package knows nothing of BuildKit. Root file systems are read
// through FS, a small read-only interface that the frontend backs with the
// gateway's ReadDir and ReadFile and tests back with an in-memory tree, so
// no tool has to exist inside the image. An FS that also implements
// RangeFS lets CheckArtifacts read only the parts of large executables it
// needs.
//
// A build runs, in order:
//
//	vs := policy.CheckSpec(s)                             // before converting
//	vs = append(vs, policy.CheckBuildNetwork(s, mode, why)...)
//	rv, err := policy.CheckRootfs(ctx, fsys, s)           // runtime stage solved
//	base, err := policy.BaseFromRootfs(ctx, fsys)
//	av, err := policy.CheckArtifacts(ctx, fsys, paths, arch, base)
//	counted, allowed, errs := policy.Apply(s, all)       // policy.allow
//
// Every rule has a stable kebab-case id and a page docs/rules/<id>.md;
// Rules lists them, Lookup finds one and Suggest corrects a misspelt id.
// Package report writes violations as text, JSON or SARIF.
package policy
