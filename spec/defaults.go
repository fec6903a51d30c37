package spec

import (
	"cmp"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// Defaults that do not depend on the language. Presets supply the rest:
// toolchain, base image, build commands, entrypoint and copies.
const (
	// DefaultSource is the application folder in the build context.
	DefaultSource = "."
	// DefaultOutput is the folder the build commands write their results to.
	DefaultOutput = "/out"
	// DefaultWorkdir is the working directory of the application.
	DefaultWorkdir = "/app"
	// DefaultSecretDir is the folder secrets are mounted in when their
	// target is not set.
	DefaultSecretDir = "/run/secrets"
	// DefaultHealthcheckInterval is the time between health checks.
	DefaultHealthcheckInterval = Duration(30 * time.Second)
	// DefaultHealthcheckTimeout is how long one health check may run.
	DefaultHealthcheckTimeout = Duration(30 * time.Second)
	// DefaultHealthcheckRetries is the number of failed checks that make
	// the container unhealthy.
	DefaultHealthcheckRetries = 3
)

// WithDefaults returns a copy of s with every default that does not depend
// on the language filled in. s is not changed.
func (s *Spec) WithDefaults() *Spec {
	c := s.clone()
	c.Source = cmp.Or(c.Source, DefaultSource)
	c.Build.Output = cmp.Or(c.Build.Output, DefaultOutput)
	for i := range c.Build.Secrets {
		sec := &c.Build.Secrets[i]
		sec.Target = cmp.Or(sec.Target, DefaultSecretDir+"/"+sec.ID)
	}
	c.Runtime.User = cmp.Or(c.Runtime.User, DefaultUser)
	c.Runtime.Workdir = cmp.Or(c.Runtime.Workdir, DefaultWorkdir)
	// Writable paths are compared with the paths of the image, so they
	// lose trailing slashes and doubled separators.
	for i, w := range c.Runtime.Writable {
		if strings.HasPrefix(w, "/") {
			c.Runtime.Writable[i] = path.Clean(w)
		}
	}
	if h := c.Runtime.Healthcheck; h != nil {
		h.Interval = cmp.Or(h.Interval, DefaultHealthcheckInterval)
		h.Timeout = cmp.Or(h.Timeout, DefaultHealthcheckTimeout)
		h.Retries = cmp.Or(h.Retries, DefaultHealthcheckRetries)
	}
	c.Policy.Mode = cmp.Or(c.Policy.Mode, Enforce)
	return c
}

// clone returns a deep copy of s. The position tables are shared: nothing
// changes them after decoding.
func (s *Spec) clone() *Spec {
	c := *s
	c.Args = maps.Clone(s.Args)

	c.Build.Packages = slices.Clone(s.Build.Packages)
	c.Build.Env = maps.Clone(s.Build.Env)
	c.Build.Run = slices.Clone(s.Build.Run)
	c.Build.Secrets = slices.Clone(s.Build.Secrets)

	r := &c.Runtime
	r.Entrypoint = slices.Clone(s.Runtime.Entrypoint)
	r.Cmd = slices.Clone(s.Runtime.Cmd)
	r.Env = maps.Clone(s.Runtime.Env)
	r.Ports = slices.Clone(s.Runtime.Ports)
	r.Copy = slices.Clone(s.Runtime.Copy)
	r.Writable = slices.Clone(s.Runtime.Writable)
	r.Labels = maps.Clone(s.Runtime.Labels)
	if h := s.Runtime.Healthcheck; h != nil {
		hc := *h
		hc.Exec = slices.Clone(h.Exec)
		r.Healthcheck = &hc
	}

	c.Policy.Allow = slices.Clone(s.Policy.Allow)
	return &c
}

// Within reports whether the clean absolute path p is one of dirs or lies
// inside one, as a file inside a runtime.writable folder does.
func Within(p string, dirs []string) bool {
	for _, d := range dirs {
		d = path.Clean(d)
		if p == d || d == "/" || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}
