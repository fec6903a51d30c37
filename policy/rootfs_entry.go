package policy

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/kilnbuild/kiln/spec"
)

// defaultPath is the search path of a container whose image sets no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// programs applies rootfs-entrypoint to the program the image runs
// (runtime.entrypoint[0], or runtime.cmd[0] without an entrypoint) and to
// the health check program. A spec that names no program is not judged:
// the base image's own entrypoint then applies, which the spec cannot see.
func (c *rootfsCheck) programs() error {
	r := c.s.Runtime
	switch {
	case len(r.Entrypoint) > 0:
		if err := c.program("runtime.entrypoint[0]", r.Entrypoint[0]); err != nil {
			return err
		}
	case len(r.Cmd) > 0:
		if err := c.program("runtime.cmd[0]", r.Cmd[0]); err != nil {
			return err
		}
	}
	if h := r.Healthcheck; h != nil && len(h.Exec) > 0 {
		if !isShellCommand(h.Exec) {
			// A shell is healthcheck-shell-form's to report.
			return c.program("runtime.healthcheck.exec[0]", h.Exec[0])
		}
	}
	return nil
}

// program checks that prog, named by the spec at key, exists in the image
// and that the runtime user can execute it.
func (c *rootfsCheck) program(key, prog string) error {
	if prog == "" || !literal(prog) {
		return nil
	}
	f, where, err := c.findProgram(prog)
	if errors.Is(err, errNotFound) {
		c.addProgram(key, where, fmt.Sprintf("%s names %s, which is not in the runtime "+
			"image%s; copy it in with runtime.copy and name its absolute path",
			key, prog, c.searched(prog)))
		return nil
	}
	if err != nil {
		return err
	}
	if !f.Mode.IsRegular() {
		c.addProgram(key, where, fmt.Sprintf("%s names %s, which is %s; name the "+
			"program itself", key, where, kind(f.Mode)))
		return nil
	}
	if !c.canExecute(f) {
		c.addProgram(key, where, fmt.Sprintf("%s names %s, which the runtime user cannot "+
			"execute (owner %d:%d, mode %s); copy it with mode \"0755\"",
			key, where, f.UID, f.GID, octal(f.Mode)))
		return nil
	}
	if c.underWritable(where) && c.uid != 0 {
		// The user owns the folder, so it can replace the program in it.
		v := fileViolation(RootfsAppWritable, where, fmt.Sprintf("%s names %s, which lies "+
			"in a runtime.writable folder, so the runtime user can replace the program; "+
			"copy it outside runtime.writable, such as to /app/%s", key, where,
			path.Base(where)))
		v.Key, v.Range = key, rangeOf(c.s, key)
		c.vs = append(c.vs, v)
	}
	return c.interpreter(key, where, f)
}

// addProgram records a rootfs-entrypoint violation at the spec key and the
// path of the program.
func (c *rootfsCheck) addProgram(key, file, msg string) {
	v := fileViolation(RootfsEntrypoint, file, msg)
	v.Key, v.Range = key, rangeOf(c.s, key)
	c.vs = append(c.vs, v)
}

// findProgram locates prog as the container runtime would: an absolute
// path as is, a relative path from the working folder, a bare name along
// PATH. It returns the entry (links followed) and the path the spec
// means.
func (c *rootfsCheck) findProgram(prog string) (File, string, error) {
	if strings.Contains(prog, "/") {
		p := prog
		if !path.IsAbs(p) {
			p = path.Join(cmp.Or(c.s.Runtime.Workdir, spec.DefaultWorkdir), p)
		}
		f, err := c.t.stat(p)
		return f, p, err
	}
	for _, dir := range strings.Split(c.searchPath(), ":") {
		if !path.IsAbs(dir) {
			continue
		}
		p := path.Join(dir, prog)
		f, err := c.t.stat(p)
		if errors.Is(err, errNotFound) {
			continue
		}
		return f, p, err
	}
	return File{}, prog, fmt.Errorf("%s: %w", prog, errNotFound)
}

// searchPath returns the PATH the container runs with.
func (c *rootfsCheck) searchPath() string {
	if p, ok := c.s.Runtime.Env["PATH"]; ok && literal(p) {
		return p
	}
	return defaultPath
}

// searched explains where a bare program name was looked for.
func (c *rootfsCheck) searched(prog string) string {
	if strings.Contains(prog, "/") {
		return ""
	}
	return " (searched PATH " + c.searchPath() + ")"
}

// canExecute reports whether the runtime user may execute f. When the
// user is unknown, any execute bit counts.
func (c *rootfsCheck) canExecute(f File) bool {
	perm := f.Mode.Perm()
	switch {
	case !c.known || c.uid == 0:
		return perm&0o111 != 0
	case f.UID == c.uid:
		return perm&0o100 != 0
	case slices.Contains(c.groups, f.GID):
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

// interpreter checks that a script's #! interpreter exists in the image.
func (c *rootfsCheck) interpreter(key, where string, f File) error {
	head, err := c.t.fsys.ReadFile(c.t.ctx, f.Path, 256)
	if err != nil {
		return fmt.Errorf("reading %s: %w", f.Path, err)
	}
	line, ok := bytes.CutPrefix(head, []byte("#!"))
	if !ok {
		return nil
	}
	line, _, _ = bytes.Cut(line, []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return nil
	}
	interp := fields[0]
	target, err := c.t.stat(interp)
	switch {
	case errors.Is(err, errNotFound):
	case err != nil:
		return err
	case target.Mode.IsRegular() && target.Mode.Perm()&0o111 != 0:
		return nil
	}
	c.addProgram(key, where, fmt.Sprintf("%s names %s, a script for %s, which the "+
		"runtime image does not have; ship a compiled program, or a base with that "+
		"interpreter", key, where, interp))
	return nil
}

// kind names the type of an entry for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}
