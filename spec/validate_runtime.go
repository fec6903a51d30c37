package spec

import (
	"cmp"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// shortBases are the distroless flavours runtime.base may name.
var shortBases = []string{"static", "base", "cc"}

var (
	// userSpec matches a runtime user: a name or id, and an optional group.
	userSpec = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)
	// imageRef matches a full image reference: registry and repository,
	// an optional tag and an optional digest.
	imageRef = regexp.MustCompile(`^` +
		`([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*` +
		`(:[0-9]+)?/)?` +
		`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*` +
		`(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?` +
		`(@sha256:[0-9a-f]{64})?$`)
	// signalName matches a signal name with or without the SIG prefix.
	signalName = regexp.MustCompile(`^(SIG)?([A-Z0-9]+|RTMIN\+[0-9]+|RTMAX-[0-9]+)$`)
)

// signals are the signal names a stop signal may use, without "SIG".
var signals = []string{
	"ABRT", "ALRM", "BUS", "CHLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "KILL",
	"PIPE", "PROF", "PWR", "QUIT", "RTMAX", "RTMIN", "SEGV", "STKFLT", "STOP", "SYS",
	"TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH",
	"XCPU", "XFSZ",
}

// runtime checks the runtime image settings.
func (v *validator) runtime() {
	r := v.s.Runtime
	if r.Base != "" && v.literal(r.Base) {
		v.base(r.Base)
	}
	if r.User != "" && v.literal(string(r.User)) && !userSpec.MatchString(string(r.User)) {
		v.add("runtime.user", fmt.Sprintf("%q is not a user", r.User),
			"write a number such as 65532 or a \"uid:gid\" string such as \"65532:65532\"")
	}
	if len(r.Entrypoint) > 0 && r.Entrypoint[0] == "" {
		v.add("runtime.entrypoint[0]", "the program is empty",
			"name the program, such as /app/hello")
	}
	if r.Workdir != "" && v.literal(r.Workdir) {
		v.absolute("runtime.workdir", r.Workdir, true)
	}
	v.envNames("runtime.env", r.Env)
	v.ports(r.Ports)
	v.copies(r.Copy)
	seen := map[string]bool{}
	for i, w := range r.Writable {
		if !v.literal(w) {
			continue
		}
		at := indexPath("runtime.writable", i)
		v.absolute(at, w, false)
		if c := path.Clean(w); seen[c] {
			v.add(at, fmt.Sprintf("%s is listed twice", c), "remove one")
		} else {
			seen[c] = true
		}
	}
	if r.Healthcheck != nil {
		v.healthcheck(*r.Healthcheck)
	}
	if r.StopSignal != "" && v.literal(r.StopSignal) && !validSignal(r.StopSignal) {
		v.add("runtime.stop_signal", fmt.Sprintf("%q is not a signal", r.StopSignal),
			"write a signal name such as SIGTERM or SIGINT")
	}
	for _, kv := range r.Labels.Sorted() {
		if kv.Key == "" || strings.ContainsAny(kv.Key, " \t\n=") {
			v.addKey(entryPath("runtime.labels", kv.Key), fmt.Sprintf("%q is not a valid "+
				"label key", kv.Key), "use a key without spaces or =, such as "+
				"org.opencontainers.image.title")
		}
	}
}

// base checks runtime.base: a short name or a full image reference.
func (v *validator) base(b string) {
	if slices.Contains(shortBases, b) {
		return
	}
	if !strings.ContainsAny(b, "/:@") {
		fix := "use static, base or cc, or a full image reference such as " +
			"gcr.io/distroless/static-debian13"
		if c := Closest(b, shortBases); c != "" {
			fix = fmt.Sprintf("did you mean %q?", c)
		}
		v.add("runtime.base", fmt.Sprintf("%q is not a known base", b), fix)
		return
	}
	if !imageRef.MatchString(b) {
		v.add("runtime.base", fmt.Sprintf("%q is not a valid image reference", b),
			"write registry/repository[:tag][@sha256:digest] in lowercase, such as "+
				"gcr.io/distroless/static-debian13")
	}
}

// ports checks the listening ports.
func (v *validator) ports(ports []Port) {
	seen := map[string]bool{}
	for i, p := range ports {
		at := indexPath("runtime.ports", i)
		switch {
		case p.Number < 1 || p.Number > 65535:
			v.add(at, fmt.Sprintf("port %d is out of range", p.Number),
				"use a port from 1 to 65535")
		case !slices.Contains([]string{"tcp", "udp", "sctp"}, p.Protocol):
			v.add(at, fmt.Sprintf("unknown protocol %q", p.Protocol), "use tcp, udp or sctp")
		case seen[p.String()]:
			v.add(at, fmt.Sprintf("port %s is listed twice", p), "remove one")
		}
		seen[p.String()] = true
	}
}

// copies checks the files copied into the runtime image.
func (v *validator) copies(copies []Copy) {
	output := cmp.Or(v.s.Build.Output, DefaultOutput)
	for i, c := range copies {
		at := indexPath("runtime.copy", i)
		switch {
		case c.From == "":
			v.missing(at+".from", "name the file to copy, such as \"from: /out/hello\"")
		case !v.literal(c.From):
		case v.s.Language == Static:
			v.relative(at+".from", c.From, "the source folder")
		default:
			v.fromOutput(at+".from", c.From, output)
		}
		switch {
		case c.To == "":
			v.missing(at+".to", "name the destination, such as \"to: /app/hello\"")
		case v.literal(c.To):
			v.absolute(at+".to", c.To, false)
		}
	}
}

// fromOutput checks that from is an absolute path under the build output.
func (v *validator) fromOutput(at, from, output string) {
	if !strings.HasPrefix(from, "/") {
		// out/hello most likely means /out/hello, not /out/out/hello.
		abs, out := path.Join("/", from), path.Clean(output)
		if !strings.HasPrefix(abs, out+"/") {
			abs = path.Join(output, from)
		}
		v.add(at, fmt.Sprintf("%q is a relative path, but from is a path in the build "+
			"output", from), fmt.Sprintf("use an absolute path, such as %q", abs))
		return
	}
	if !v.literal(output) {
		return
	}
	clean, out := path.Clean(from), path.Clean(output)
	inside := clean == out || strings.HasPrefix(clean, out+"/") || out == "/"
	if hasDotDot(from) || !inside {
		v.add(at, fmt.Sprintf("%q is outside build.output (%s)", from, output),
			fmt.Sprintf("have the build write it under %s and copy it from there", output))
	}
}

// healthcheck checks the health check.
func (v *validator) healthcheck(h Healthcheck) {
	switch {
	case len(h.Exec) == 0:
		v.missing("runtime.healthcheck.exec",
			"give the command in exec form, such as \"exec: [/app/hello, -healthcheck]\"")
	case h.Exec[0] == "":
		v.add("runtime.healthcheck.exec[0]", "the program is empty",
			"name the program, such as /app/hello")
	}
	if h.Retries < 0 {
		v.add("runtime.healthcheck.retries", "retries cannot be negative",
			"use 0 or more; 3 is the default")
	}
}

// validSignal reports whether s names a signal or is a signal number.
func validSignal(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n >= 1 && n <= 64
	}
	m := signalName.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	name := m[2]
	return slices.Contains(signals, name) ||
		strings.HasPrefix(name, "RTMIN+") || strings.HasPrefix(name, "RTMAX-")
}
