package policy

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kilnbuild/kiln/spec"
)

// maxConfigSize bounds the reads of /etc/passwd, /etc/group and other
// small text files.
const maxConfigSize = 1 << 20

// account is one line of /etc/passwd.
type account struct {
	name     string
	uid, gid uint32
	home     string
}

// resolveUser learns the runtime user's uid, groups and home folder from
// runtime.user and the image's /etc/passwd and /etc/group. When the user
// is a name the image does not know, the rules that depend on it are
// skipped.
func (c *rootfsCheck) resolveUser() error {
	if !literal(string(c.s.Runtime.User)) {
		return nil
	}
	passwd, err := c.readSmall("/etc/passwd")
	if err != nil {
		return err
	}
	group, err := c.readSmall("/etc/group")
	if err != nil {
		return err
	}
	groups := parseGroups(group)
	me, uid, gid, err := resolve(parsePasswd(passwd), groups, c.s.Runtime.User)
	if err != nil {
		return nil //nolint:nilerr // a name the image does not know: skip those rules
	}
	c.uid, c.known, c.groups = uid, true, []uint32{gid}
	if me != nil && me.home != "/" {
		c.home = me.home
	}

	// Then the groups that list the user as a member.
	if me != nil {
		for _, g := range groups {
			if slices.Contains(g.members, me.name) && !slices.Contains(c.groups, g.gid) {
				c.groups = append(c.groups, g.gid)
			}
		}
	}
	slices.Sort(c.groups)
	return nil
}

// readSmall returns the start of the regular file at p, following links,
// or nil when the image has no such file.
func (c *rootfsCheck) readSmall(p string) ([]byte, error) {
	f, err := c.t.stat(p)
	if errors.Is(err, errNotFound) || (err == nil && !f.Mode.IsRegular()) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c.t.fsys.ReadFile(c.t.ctx, f.Path, maxConfigSize)
}

// parseID parses a numeric uid or gid.
func parseID(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

// parsePasswd parses /etc/passwd, skipping lines it cannot read.
func parsePasswd(data []byte) []account {
	var out []account
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) < 6 || strings.HasPrefix(f[0], "#") {
			continue
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if !ok1 || !ok2 {
			continue
		}
		out = append(out, account{name: f[0], uid: uid, gid: gid, home: path.Clean(f[5])})
	}
	return out
}

// groupEntry is one line of /etc/group.
type groupEntry struct {
	gid     uint32
	members []string
}

// parseGroups parses /etc/group into entries by group name.
func parseGroups(data []byte) map[string]groupEntry {
	out := map[string]groupEntry{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(strings.TrimSpace(line), ":")
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		gid, ok := parseID(f[2])
		if !ok {
			continue
		}
		var members []string
		if len(f) > 3 && f[3] != "" {
			members = strings.Split(f[3], ",")
		}
		out[f[0]] = groupEntry{gid: gid, members: members}
	}
	return out
}

// ResolveUser turns runtime.user into numbers with an image's /etc/passwd
// and /etc/group: each part is a number or a name those files define, and
// without a group part the user's primary group is used. It fails with a
// message that names what is missing and what the files define.
func ResolveUser(passwd, group []byte, u spec.User) (uid, gid uint32, err error) {
	_, uid, gid, err = resolve(parsePasswd(passwd), parseGroups(group), u)
	return uid, gid, err
}

// resolve is ResolveUser on parsed files; it also returns the user's
// account, when /etc/passwd has one.
func resolve(accounts []account, groups map[string]groupEntry,
	u spec.User) (*account, uint32, uint32, error) {
	p := parseUser(u)
	me, uid, known := findAccount(accounts, p.uid)
	if !known && len(accounts) == 0 {
		return nil, 0, 0, fmt.Errorf("user %q cannot be looked up: the runtime base has no "+
			"/etc/passwd", p.uid)
	}
	if !known {
		var names []string
		for _, a := range accounts {
			names = append(names, a.name)
		}
		return nil, 0, 0, fmt.Errorf("user %q is not in the runtime base's /etc/passwd "+
			"(it has: %s)", p.uid, strings.Join(names, ", "))
	}
	switch n, ok := parseID(p.gid); {
	case ok:
		return me, uid, n, nil
	case p.gid != "":
		g, found := groups[p.gid]
		if !found {
			return nil, 0, 0, fmt.Errorf("group %q is not in the runtime base's /etc/group",
				p.gid)
		}
		return me, uid, g.gid, nil
	case me != nil:
		return me, uid, me.gid, nil
	}
	return nil, uid, uid, nil // a number the image does not know: N means N:N
}

// findAccount finds the uid part of runtime.user in /etc/passwd: a number
// is known whether or not an account has it, a name only when one does.
// It returns the account when there is one.
func findAccount(accounts []account, part string) (*account, uint32, bool) {
	n, isNumber := parseID(part)
	i := slices.IndexFunc(accounts, func(a account) bool {
		if isNumber {
			return a.uid == n
		}
		return a.name == part
	})
	switch {
	case i >= 0:
		return &accounts[i], accounts[i].uid, true
	case isNumber:
		return nil, n, true
	}
	return nil, 0, false
}
