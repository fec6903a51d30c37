package llb

import (
	"context"
	"strconv"
	"strings"
	"testing"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// vertex is one decoded op of a marshalled graph with its vertex name.
type vertex struct {
	op   *pb.Op
	name string
}

// graph decodes the marshalled graph of st (with ops) and keys it by op
// digest, so that a mount's input can be followed to the op producing it.
func graph(t *testing.T, st bkllb.State) map[digest.Digest]vertex {
	t.Helper()
	def, err := st.Marshal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	all, meta := ops(t, st)
	if len(all) != len(def.Def) {
		t.Fatalf("graph marshalled to %d ops, then %d", len(def.Def), len(all))
	}
	out := map[digest.Digest]vertex{}
	for i, dt := range def.Def {
		d := digest.FromBytes(dt)
		out[d] = vertex{op: all[i], name: meta[d].Description["llb.customname"]}
	}
	return out
}

// stageOf returns STAGE from a vertex name "[kiln STAGE n/m] ...", or "".
func stageOf(name string) string {
	rest, ok := strings.CutPrefix(name, "[kiln ")
	if !ok {
		return ""
	}
	stage, _, _ := strings.Cut(rest, " ")
	return strings.TrimSuffix(stage, "]")
}

// owner renders a marshalled owner as "uid:gid", "none" when the action
// sets no owner, and "name:X" or "?" for a part that is not a numeric id.
func owner(c *pb.ChownOpt) string {
	if c == nil {
		return "none"
	}
	part := func(u *pb.UserOpt) string {
		switch v := u.GetUser().(type) {
		case *pb.UserOpt_ByID:
			return strconv.FormatUint(uint64(v.ByID), 10)
		case *pb.UserOpt_ByName:
			return "name:" + v.ByName.GetName()
		}
		return "?"
	}
	return part(c.User) + ":" + part(c.Group)
}
