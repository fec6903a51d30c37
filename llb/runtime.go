package llb

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	bkllb "github.com/moby/buildkit/client/llb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/kilnbuild/kiln/spec"
)

// Labels kiln writes on every image.
const (
	LabelTitle      = "org.opencontainers.image.title"
	LabelSource     = "org.opencontainers.image.source"
	LabelRevision   = "org.opencontainers.image.revision"
	LabelBaseName   = "org.opencontainers.image.base.name"
	LabelBaseDigest = "org.opencontainers.image.base.digest"
)

// runtime builds the runtime stage on the resolved runtime base: one file
// operation (so one layer) that creates the working directory, copies the
// artifacts owned by root, and creates the writable paths owned by the
// runtime user. from is the state the artifacts come from; root, when set,
// is the folder that runtime.copy paths are relative to.
func (c *converter) runtime(from bkllb.State, root string) (bkllb.State, dockerspec.DockerOCIImage,
	error) {
	s := c.in.Spec
	tp := c.in.TargetPlatform
	base := RuntimeState(c.in.Runtime, tp)

	uid, gid, err := NumericUser(s.Runtime.User)
	if ids := c.in.UserIDs; err != nil && ids != nil {
		uid, gid, err = ids.UID, ids.GID, nil
	}
	if err != nil {
		return bkllb.State{}, dockerspec.DockerOCIImage{}, err
	}
	// Every file kiln writes gets the same fixed time, so the layer bytes
	// depend only on the inputs: the epoch, or else the base image's time.
	stamp := bkllb.WithCreatedTime(c.createdTime())
	var fa *bkllb.FileAction
	add := func(next func(*bkllb.FileAction) *bkllb.FileAction) {
		fa = next(fa)
	}
	rootOwner := &bkllb.ChownOpt{User: &bkllb.UserOpt{UID: 0}, Group: &bkllb.UserOpt{UID: 0}}
	// A folder is the runtime user's when it is a writable path or lies
	// inside one, and root's otherwise.
	writable := slices.Clone(s.Runtime.Writable)
	ownerOf := func(dir string) bkllb.ChownOption {
		if spec.Within(dir, writable) {
			return bkllb.WithUIDGID(uid, gid)
		}
		return bkllb.WithUIDGID(0, 0)
	}
	// A mkdir of a folder that exists changes nothing, so the writable
	// folders come first, parents before children, each after its parent
	// folder; then the working directory; then the copies, so that files
	// copied into writable folders land inside them.
	slices.SortStableFunc(writable, func(a, b string) int {
		return strings.Count(a, "/") - strings.Count(b, "/")
	})
	for _, w := range writable {
		if w == "/tmp" {
			continue // the base's /tmp is already sticky and world-writable
		}
		if dir := path.Dir(w); dir != "/" {
			add(mkdir(dir, 0o755, ownerOf(dir), stamp))
		}
		add(mkdir(w, 0o755, bkllb.WithUIDGID(uid, gid), stamp))
	}
	if wd := s.Runtime.Workdir; wd != "" && wd != "/" {
		add(mkdir(wd, 0o755, ownerOf(wd), stamp))
	}
	for _, cp := range s.Runtime.Copy {
		src := cp.From
		if root != "" {
			src = path.Join(root, src)
		}
		// Create the destination's folders as root 0755 beforehand: folders
		// a copy creates itself would take the copy's mode.
		if dir := path.Dir(cp.To); dir != "/" {
			add(mkdir(dir, 0o755, ownerOf(dir), stamp))
		}
		created := c.createdTime()
		info := &bkllb.CopyInfo{
			CopyDirContentsOnly: true,
			CreateDestPath:      true,
			ChownOpt:            rootOwner,
			CreatedTime:         &created,
		}
		if cp.Mode != 0 {
			info.Mode = &bkllb.ChmodOpt{Mode: os.FileMode(cp.Mode)}
		}
		add(func(fa *bkllb.FileAction) *bkllb.FileAction {
			if fa == nil {
				return bkllb.Copy(from, src, cp.To, info)
			}
			return fa.Copy(from, src, cp.To, info)
		})
	}

	st := base
	if fa != nil {
		st = base.File(fa,
			bkllb.WithCustomNamef("[kiln runtime 1/1] %s", runtimeSummary(s)),
			c.at("runtime.copy"))
	}
	return st, c.imageConfig(fa != nil), nil
}

// mkdir returns a file action step that creates dir (and its parents).
func mkdir(dir string, mode os.FileMode, owner bkllb.ChownOption,
	stamp bkllb.CreatedTime) func(*bkllb.FileAction) *bkllb.FileAction {
	return func(fa *bkllb.FileAction) *bkllb.FileAction {
		if fa == nil {
			return bkllb.Mkdir(dir, mode, bkllb.WithParents(true), owner, stamp)
		}
		return fa.Mkdir(dir, mode, bkllb.WithParents(true), owner, stamp)
	}
}

// createdTime is the time kiln writes: the epoch when set, else the runtime
// base image's created time, else the Unix epoch. Never the clock.
func (c *converter) createdTime() time.Time {
	if c.in.Epoch != nil {
		return c.in.Epoch.UTC()
	}
	if t := c.in.Runtime.Config.Created; t != nil {
		return t.UTC()
	}
	return time.Unix(0, 0).UTC()
}

// runtimeSummary names the runtime file operation for the progress output.
func runtimeSummary(s *spec.Spec) string {
	var parts []string
	for _, cp := range s.Runtime.Copy {
		parts = append(parts, "copy "+cp.From+" to "+cp.To)
	}
	if n := len(s.Runtime.Writable); n > 0 {
		parts = append(parts, "writable "+strings.Join(s.Runtime.Writable, " "))
	}
	if len(parts) == 0 {
		return "workdir " + s.Runtime.Workdir
	}
	return strings.Join(parts, ", ")
}

// NumericUser splits "uid:gid" into numbers. kiln writes files owned by the
// runtime user, so the user must be numeric (which Kubernetes runAsNonRoot
// also needs).
func NumericUser(u spec.User) (int, int, error) {
	us, gs, ok := strings.Cut(string(u), ":")
	if !ok {
		gs = us
	}
	uid, err1 := strconv.Atoi(us)
	gid, err2 := strconv.Atoi(gs)
	if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
		return 0, 0, fmt.Errorf("runtime.user %q is not numeric; write it as \"uid:gid\", "+
			"such as \"65532:65532\"", u)
	}
	return uid, gid, nil
}

// imageConfig returns the runtime image config: the base image's config
// with the spec's process settings and kiln's labels. It reads no clock:
// the created time is createdTime, so that BuildKit's exporter, which fills
// missing times with the build time, has none to fill.
func (c *converter) imageConfig(addsLayer bool) dockerspec.DockerOCIImage {
	s := c.in.Spec
	base := c.in.Runtime.Config
	img := dockerspec.DockerOCIImage{}
	img.Platform = ocispecs.Platform{
		OS:           c.in.TargetPlatform.OS,
		Architecture: c.in.TargetPlatform.Architecture,
		Variant:      c.in.TargetPlatform.Variant,
	}
	img.RootFS = ocispecs.RootFS{Type: "layers"}
	img.History = slices.Clone(base.History)
	created := c.createdTime()
	img.Created = &created
	if addsLayer {
		img.History = append(img.History, ocispecs.History{
			Created:   &created,
			CreatedBy: "kiln: " + runtimeSummary(s),
			Comment:   "kiln",
		})
	}

	cfg := &img.Config
	cfg.User = string(s.Runtime.User)
	cfg.Entrypoint = slices.Clone(s.Runtime.Entrypoint)
	cfg.Cmd = slices.Clone(s.Runtime.Cmd)
	cfg.WorkingDir = s.Runtime.Workdir
	cfg.StopSignal = s.Runtime.StopSignal
	cfg.Env = mergeEnv(base.Config.Env, s.Runtime.Env.Sorted())
	if len(s.Runtime.Ports) > 0 {
		cfg.ExposedPorts = map[string]struct{}{}
		for _, p := range s.Runtime.Ports {
			cfg.ExposedPorts[p.String()] = struct{}{}
		}
	}
	if hc := s.Runtime.Healthcheck; hc != nil {
		cfg.Healthcheck = &dockerspec.HealthcheckConfig{
			Test:        append([]string{"CMD"}, hc.Exec...),
			Interval:    time.Duration(hc.Interval),
			Timeout:     time.Duration(hc.Timeout),
			StartPeriod: time.Duration(hc.StartPeriod),
			Retries:     hc.Retries,
		}
	}

	labels := map[string]string{}
	for k, v := range base.Config.Labels {
		labels[k] = v
	}
	labels[LabelTitle] = s.Name
	for _, kv := range s.Runtime.Labels.Sorted() {
		labels[kv.Key] = kv.Value
	}
	// The base's own base.* labels describe its base, not this image's.
	delete(labels, LabelBaseDigest)
	labels[LabelBaseName] = c.in.Runtime.Ref
	if c.in.Runtime.Digest != "" {
		labels[LabelBaseDigest] = c.in.Runtime.Digest.String()
	}
	if c.in.Source != "" {
		labels[LabelSource] = c.in.Source
	}
	if c.in.Revision != "" {
		labels[LabelRevision] = c.in.Revision
	}
	cfg.Labels = labels
	return img
}

// mergeEnv overrides or appends the pairs to a KEY=VALUE list, keeping the
// base order so PATH and friends stay where the base put them.
func mergeEnv(base []string, pairs []spec.Pair) []string {
	out := slices.Clone(base)
	for _, kv := range pairs {
		entry := kv.Key + "=" + kv.Value
		i := slices.IndexFunc(out, func(e string) bool {
			return strings.HasPrefix(e, kv.Key+"=")
		})
		if i >= 0 {
			out[i] = entry
		} else {
			out = append(out, entry)
		}
	}
	return out
}
