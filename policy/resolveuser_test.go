package policy_test

import (
	"strings"
	"testing"

	"github.com/kilnbuild/kiln/policy"
	"github.com/kilnbuild/kiln/spec"
)

// TestResolveUser turns runtime.user into numbers with distroless-like
// /etc/passwd and /etc/group, and names what is missing otherwise.
func TestResolveUser(t *testing.T) {
	passwd := []byte("root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")
	group := []byte("root:x:0:\nnonroot:x:65532:\nnobody:x:65534:\nstaff:x:50:nonroot\n")
	for _, tc := range []struct {
		user     spec.User
		uid, gid uint32
		err      string
	}{
		{user: "nonroot", uid: 65532, gid: 65532},
		{user: "root", uid: 0, gid: 0},
		{user: "nonroot:staff", uid: 65532, gid: 50},
		{user: "nonroot:7", uid: 65532, gid: 7},
		{user: "65534", uid: 65534, gid: 65534},
		{user: "4000", uid: 4000, gid: 4000},
		{user: "app", err: `user "app" is not in the runtime base's /etc/passwd ` +
			`(it has: root, nonroot, nobody)`},
		{user: "nonroot:wheel", err: `group "wheel" is not in the runtime base's /etc/group`},
	} {
		uid, gid, err := policy.ResolveUser(passwd, group, tc.user)
		if tc.user == "app" {
			if _, _, err := policy.ResolveUser(nil, nil, "app"); err == nil ||
				!strings.Contains(err.Error(), "the runtime base has no /etc/passwd") {
				t.Errorf("without /etc/passwd: %v", err)
			}
		}
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.user, err, tc.err)
			}
		case err != nil || uid != tc.uid || gid != tc.gid:
			t.Errorf("%s: %d:%d, %v; want %d:%d", tc.user, uid, gid, err, tc.uid, tc.gid)
		}
	}
}
