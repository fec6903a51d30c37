package policy

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kilnbuild/kiln/spec"
)

// CheckSpec evaluates the spec rules on s and returns the violations in
// document order.
//
// s may be the spec as parsed or after Expand and the preset: values that
// still reference a build arg (${NAME}) are not judged, except by
// secret-in-env, which reads names as well as values. CheckSpec never
// reports build-network, which the spec cannot ask for yet; see
// CheckBuildNetwork.
func CheckSpec(s *spec.Spec) []Violation {
	var vs []Violation
	vs = append(vs, checkUser(s)...)
	vs = append(vs, checkBase(s)...)
	vs = append(vs, checkSecretsInEnv(s)...)
	vs = append(vs, checkHealthcheck(s)...)
	vs = append(vs, checkPorts(s)...)
	Sort(vs)
	return vs
}

// literal reports whether a spec value can be judged as written: it holds
// no build arg reference left to expand.
func literal(value string) bool {
	return !strings.Contains(value, "$")
}

// user is the runtime user split into its parts.
type user struct {
	// uid and gid are the parts as written; gid is empty when the spec
	// names no group.
	uid, gid string
}

// parseUser splits runtime.user; the empty user is kiln's default.
func parseUser(u spec.User) user {
	s := string(u)
	if s == "" {
		s = string(spec.DefaultUser)
	}
	uid, gid, _ := strings.Cut(s, ":")
	return user{uid: uid, gid: gid}
}

// isRoot reports whether the user is root, by number or by name.
func (u user) isRoot() bool {
	if n, err := strconv.ParseUint(u.uid, 10, 32); err == nil {
		return n == 0
	}
	return u.uid == "root"
}

// numeric reports whether both parts are numbers.
func (u user) numeric() bool {
	return isNumber(u.uid) && (u.gid == "" || isNumber(u.gid))
}

// isNumber reports whether s is a decimal number.
func isNumber(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

// checkUser applies runtime-user-root and runtime-user-not-numeric.
func checkUser(s *spec.Spec) []Violation {
	raw := string(s.Runtime.User)
	if !literal(raw) {
		return nil
	}
	u := parseUser(s.Runtime.User)
	var vs []Violation
	if u.isRoot() {
		vs = append(vs, specViolation(s, RuntimeUserRoot, "runtime.user", fmt.Sprintf(
			"runtime user %q is root; run as a non-root user such as 65532:65532 "+
				"and list the folders it writes under runtime.writable", raw)))
	}
	if !u.numeric() {
		vs = append(vs, specViolation(s, RuntimeUserNotNumeric, "runtime.user", fmt.Sprintf(
			"runtime user %q is a name; Kubernetes runAsNonRoot cannot verify a "+
				"name: write the numeric uid:gid, such as 65532:65532", raw)))
	}
	return vs
}

// imageRef is an image reference split into its parts.
type imageRef struct {
	// repo is the registry and repository, such as gcr.io/distroless/static.
	repo string
	// tag is the tag, without the colon; empty when there is none.
	tag string
	// digest is the digest, such as sha256:...; empty when there is none.
	digest string
}

// parseRef splits an image reference.
func parseRef(ref string) imageRef {
	var r imageRef
	ref, r.digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref, r.tag = ref[:i], ref[i+1:]
	}
	r.repo = ref
	return r
}

// shortBases are the distroless flavours runtime.base may name; kiln turns
// them into a reference it resolves to a digest.
var shortBases = []string{"static", "base", "cc"}

// minimal reports whether the reference names a known minimal image, and
// otherwise why not.
func (r imageRef) minimal() (bool, string) {
	switch {
	case r.repo == "scratch":
		return true, ""
	case strings.HasPrefix(r.repo, "gcr.io/distroless/"):
		if strings.Contains(r.tag, "debug") {
			return false, "its debug tag adds a busybox shell"
		}
		return true, ""
	case r.repo == "cgr.dev/chainguard/static":
		if strings.HasSuffix(r.tag, "dev") {
			return false, "its -dev tag adds a shell and a package manager"
		}
		return true, ""
	}
	return false, "it is not distroless, Chainguard static or scratch"
}

// checkBase applies base-not-minimal and base-latest-tag to
// a runtime.base written as a full reference. A short name or no base at
// all is kiln's choice: a distroless image that kiln resolves to a digest.
func checkBase(s *spec.Spec) []Violation {
	base := s.Runtime.Base
	if base == "" || slices.Contains(shortBases, base) || !literal(base) {
		return nil
	}
	const key = "runtime.base"
	r := parseRef(base)
	var vs []Violation
	if ok, why := r.minimal(); !ok {
		vs = append(vs, specViolation(s, BaseNotMinimal, key, fmt.Sprintf(
			"runtime base %s is not a known minimal image: %s; use static, base or "+
				"cc, or allow the rule with the reason this base is needed", base, why)))
	}
	switch {
	case r.tag == "latest":
		vs = append(vs, specViolation(s, BaseLatestTag, key, fmt.Sprintf(
			"runtime base %s uses the latest tag; name a version tag and pin its "+
				"digest, as in %s:<version>@sha256:...", base, r.repo)))
	case r.tag == "" && r.digest == "":
		vs = append(vs, specViolation(s, BaseLatestTag, key, fmt.Sprintf(
			"runtime base %s has no tag, so it means latest; name a version tag "+
				"and pin its digest, as in %s:<version>@sha256:...", base, r.repo)))
	}
	return vs
}

// shells are the programs that healthcheck-shell-form and rootfs-shell
// look for.
var shells = []string{
	"ash", "bash", "busybox", "csh", "dash", "fish", "ksh", "mksh", "sh", "tcsh",
	"toybox", "zsh",
}

// checkHealthcheck applies healthcheck-shell-form.
func checkHealthcheck(s *spec.Spec) []Violation {
	h := s.Runtime.Healthcheck
	if h == nil || len(h.Exec) == 0 || !literal(h.Exec[0]) {
		return nil
	}
	prog := h.Exec[0]
	if isShellCommand(h.Exec) {
		return []Violation{specViolation(s, HealthcheckShellForm, "runtime.healthcheck.exec[0]",
			fmt.Sprintf("the health check runs %s, and a minimal runtime image has no "+
				"shell; run the program directly, as in exec: [/app/%s, -healthcheck]",
				prog, appName(s)))}
	}
	return nil
}

// isShellCommand reports whether an exec-form command runs a shell: it
// starts with a shell or Docker's CMD-SHELL marker, or with env and then
// a shell, as in [/usr/bin/env, A=1, sh, -c, ...].
func isShellCommand(args []string) bool {
	if len(args) == 0 {
		return false
	}
	if args[0] == "CMD-SHELL" || slices.Contains(shells, path.Base(args[0])) {
		return true
	}
	if path.Base(args[0]) != "env" {
		return false
	}
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") || strings.Contains(a, "=") {
			continue // env's options and assignments
		}
		return slices.Contains(shells, path.Base(a))
	}
	return false
}

// appName returns the application name for examples in messages.
func appName(s *spec.Spec) string {
	if s.Name == "" {
		return "app"
	}
	return s.Name
}

// checkPorts applies privileged-port.
func checkPorts(s *spec.Spec) []Violation {
	if !literal(string(s.Runtime.User)) || parseUser(s.Runtime.User).isRoot() {
		return nil // runtime-user-root covers root; an unknown user is not judged
	}
	var vs []Violation
	for i, p := range s.Runtime.Ports {
		if p.Number < 1 || p.Number >= 1024 {
			continue
		}
		vs = append(vs, specViolation(s, PrivilegedPort, fmt.Sprintf("runtime.ports[%d]", i),
			fmt.Sprintf("port %d is below 1024, which a non-root user may not bind "+
				"without CAP_NET_BIND_SERVICE; listen on %d and map it to %d in the "+
				"orchestrator", p.Number, p.Number+8000, p.Number)))
	}
	return vs
}
