// Package policy holds kiln's hardening rules as data and evaluates them:
// on the spec before anything is built (CheckSpec), on the runtime root
// file system after the runtime stage is solved (CheckRootfs), and on the
// executables that the runtime image ships (CheckArtifacts).
//
// The package knows nothing of BuildKit. Root file systems are read
// through FS, a small read-only interface that the frontend backs with the
// gateway's file API and tests back with an in-memory tree, so no tool has
// to exist inside the image.
//
// A typical build runs, in order:
//
//	vs := policy.CheckSpec(s, pinned)                 // before converting
//	rv, err := policy.CheckRootfs(ctx, fsys, s)       // after solving runtime
//	base, err := policy.BaseFromRootfs(ctx, fsys)
//	av, err := policy.CheckArtifacts(ctx, fsys, paths, arch, base)
//	counted, allowed, errs := policy.Apply(s, all)    // policy.allow
//
// Every rule has a stable kebab-case id and a page docs/rules/<id>.md;
// Rules lists them and Lookup finds one.
package policy
