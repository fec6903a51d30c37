package policy

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"

	"github.com/kilnbuild/kiln/spec"
)

// CheckRootfs evaluates the rootfs rules on the runtime root file system
// that fsys shows. s is the spec the image was built from, with the
// preset applied (so that runtime.entrypoint is the one the image has).
// It walks the whole tree once and reads only the files whose name makes
// them candidates for rootfs-secret-file, plus /etc/passwd and /etc/group
// to learn the runtime user's groups and home. The violations are sorted
// by path. An error means the file system could not be read.
func CheckRootfs(ctx context.Context, fsys FS, s *spec.Spec) ([]Violation, error) {
	c := &rootfsCheck{s: s, t: newTree(ctx, fsys)}
	for _, w := range s.Runtime.Writable {
		if literal(w) {
			c.writable = append(c.writable, path.Clean(w))
		}
	}

	// Learn who the runtime user is, then look at every entry.
	if err := c.resolveUser(); err != nil {
		return nil, err
	}
	err := c.t.walk("/", func(f File) error {
		return c.file(f)
	})
	if err != nil {
		return nil, err
	}

	// Check the programs the spec names, now that every folder is listed.
	if err := c.programs(); err != nil {
		return nil, err
	}
	Sort(c.vs)
	return c.vs, nil
}

// rootfsCheck holds the state of one CheckRootfs call.
type rootfsCheck struct {
	s *spec.Spec
	t *tree
	// writable are the clean runtime.writable paths.
	writable []string
	// known is set when uid and groups are known.
	known bool
	uid   uint32
	// groups are the primary and supplementary groups of the runtime user.
	groups []uint32
	// home is the runtime user's home folder from /etc/passwd, or "".
	home string
	vs   []Violation
}

// add records a violation of rule id at the path f.
func (c *rootfsCheck) add(id, file, msg string) {
	c.vs = append(c.vs, fileViolation(id, file, msg))
}

// file applies every per-entry rule to f. It returns fs.SkipDir for a
// folder whose contents need no look, such as a .git folder.
func (c *rootfsCheck) file(f File) error {
	c.shell(f)
	c.packageManager(f)
	c.setuid(f)
	c.worldWritable(f)
	c.appWritable(f)
	return c.secretFile(f)
}

// isExecutable reports whether f is a regular file with an execute bit, or
// a symbolic link to one.
func (c *rootfsCheck) isExecutable(f File) (File, bool) {
	if f.Mode&fs.ModeSymlink != 0 {
		target, err := c.t.stat(f.Path)
		if err != nil {
			return File{}, false
		}
		f = target
	}
	return f, f.Mode.IsRegular() && f.Mode.Perm()&0o111 != 0
}

// describeLink returns " (a link to TARGET)" for a symbolic link.
func describeLink(f File) string {
	if f.Mode&fs.ModeSymlink == 0 {
		return ""
	}
	return " (a link to " + f.Linkname + ")"
}

// shell applies rootfs-shell.
func (c *rootfsCheck) shell(f File) {
	name := path.Base(f.Path)
	if !slices.Contains(shells, name) {
		return
	}
	if _, ok := c.isExecutable(f); !ok {
		return
	}
	c.add(RootfsShell, f.Path, fmt.Sprintf("the runtime image has the shell %s%s; use a "+
		"distroless runtime base (static, base or cc) and copy no shell into the image",
		f.Path, describeLink(f)))
}

// packageManagers matches the names of package manager programs.
var packageManagers = regexp.MustCompile(
	`^(apk|apt|apt-get|aptitude|dnf|dpkg|easy_install|microdnf|pacman|pip[0-9.]*|rpm|` +
		`tdnf|yum|zypper)$`)

// packageManager applies rootfs-package-manager.
func (c *rootfsCheck) packageManager(f File) {
	if !packageManagers.MatchString(path.Base(f.Path)) || !inBinDir(f.Path) {
		return
	}
	if _, ok := c.isExecutable(f); !ok {
		return
	}
	c.add(RootfsPackageManager, f.Path, fmt.Sprintf("the runtime image has the package "+
		"manager %s%s; use a distroless runtime base, and install what the program "+
		"needs with build.packages in the build stage", f.Path, describeLink(f)))
}

// inBinDir reports whether p is in a folder of programs, such as /usr/bin,
// /usr/local/sbin or /app/venv/bin, rather than a script folder such as
// /etc/cron.daily.
func inBinDir(p string) bool {
	dir := path.Base(path.Dir(p))
	return dir == "bin" || dir == "sbin"
}

// plainEntry reports whether f is a regular file or a folder: the entries
// whose permission bits guard data. Devices such as /dev/null, pipes and
// sockets are world-writable by design, and a link's bits mean nothing.
func plainEntry(f File) bool {
	return f.Mode.IsRegular() || f.Mode.IsDir()
}

// setuid applies rootfs-setuid.
func (c *rootfsCheck) setuid(f File) {
	if !f.Mode.IsRegular() || f.Mode&(fs.ModeSetuid|fs.ModeSetgid) == 0 {
		return
	}
	bits := "setuid"
	switch {
	case f.Mode&fs.ModeSetuid != 0 && f.Mode&fs.ModeSetgid != 0:
		bits = "setuid and setgid"
	case f.Mode&fs.ModeSetgid != 0:
		bits = "setgid"
	}
	c.add(RootfsSetuid, f.Path, fmt.Sprintf("%s is %s (mode %s, owner %d:%d); copy it "+
		"with mode \"0755\" or leave it out of the runtime image",
		f.Path, bits, octal(f.Mode), f.UID, f.GID))
}

// scratchDirs are the shared scratch folders that Debian's base-files, and
// so the distroless images, create world-writable with the sticky bit.
var scratchDirs = []string{"/dev/shm", "/run/lock", "/tmp", "/var/lock", "/var/tmp"}

// stickyScratch reports whether f is one of scratchDirs with the sticky
// bit, which stops users from removing each other's files there.
func stickyScratch(f File) bool {
	return f.Mode.IsDir() && f.Mode&fs.ModeSticky != 0 && slices.Contains(scratchDirs, f.Path)
}

// underWritable reports whether p is a runtime.writable path or lies
// inside one.
func (c *rootfsCheck) underWritable(p string) bool {
	return spec.Within(p, c.writable)
}

// worldWritable applies rootfs-world-writable.
func (c *rootfsCheck) worldWritable(f File) {
	if !plainEntry(f) || f.Mode.Perm()&0o002 == 0 || stickyScratch(f) {
		return
	}
	if f.Mode.IsDir() && f.Mode&fs.ModeSticky != 0 && slices.Contains(c.writable, f.Path) {
		return // a sticky scratch folder the spec asked for
	}
	c.add(RootfsWorldWritable, f.Path, fmt.Sprintf("%s is writable by every user (mode "+
		"%s); remove the write bit for others, and give the runtime user its own "+
		"folder with runtime.writable", f.Path, octal(f.Mode)))
}

// appWritable applies rootfs-app-writable. A root runtime user can write
// everything, which runtime-user-root reports once instead of here for
// every file.
func (c *rootfsCheck) appWritable(f File) {
	if !c.known || c.uid == 0 || !plainEntry(f) {
		return
	}
	if stickyScratch(f) || f.Path == c.home || c.underWritable(f.Path) {
		return
	}
	how := ""
	perm := f.Mode.Perm()
	switch {
	case f.UID == c.uid && perm&0o200 != 0:
		how = fmt.Sprintf("it is owned by the runtime user %d", c.uid)
	case slices.Contains(c.groups, f.GID) && perm&0o020 != 0:
		how = fmt.Sprintf("its group %d, a group of the runtime user, may write it", f.GID)
	case perm&0o002 != 0:
		how = "every user may write it"
	default:
		return
	}
	what := "file"
	if f.Mode.IsDir() {
		what = "folder"
	}
	c.add(RootfsAppWritable, f.Path, fmt.Sprintf("the runtime user can modify the %s %s "+
		"(owner %d:%d, mode %s): %s; have root own it with no write bit for others "+
		"(runtime.copy does), or list it under runtime.writable if the application "+
		"must write there", what, f.Path, f.UID, f.GID, octal(f.Mode), how))
}

// octal formats the permission and special bits of m as "0755" or "1777".
func octal(m fs.FileMode) string {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return fmt.Sprintf("%04o", v)
}
