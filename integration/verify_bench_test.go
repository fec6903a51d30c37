package integration

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/kilnbuild/kiln/frontend"
	"github.com/kilnbuild/kiln/integration/kilntest"
	"github.com/kilnbuild/kiln/llb"
	"github.com/kilnbuild/kiln/policy"
	"github.com/kilnbuild/kiln/spec"
)

// BenchmarkVerifyRootfs times the hardening checks on the runtime image of
// examples/go-hello (the walk of its root file system through the gateway's
// file API plus every rootfs and artifact rule), against a baseline that
// only lists the same tree through the same API. The target is under one
// second per verification.
//
//	go test -run '^$' -bench VerifyRootfs ./integration/
func BenchmarkVerifyRootfs(b *testing.B) {
	e := kilntest.Setup(b)
	dir := e.Locked(b, filepath.Join(e.Root, "examples", "go-hello"))
	data, err := os.ReadFile(filepath.Join(dir, "kiln.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	parsed, err := spec.Parse("kiln.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	s := llb.ApplyPreset(parsed.WithDefaults())

	var entries int
	var walk, verify time.Duration
	e.Build(b, kilntest.BuildOpt{
		FrontendAttrs: map[string]string{"filename": "kiln.yaml"},
		LocalDirs:     map[string]string{"context": dir, "dockerfile": dir},
		NoExport:      true,
		Func: func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
			res, err := frontend.Build(ctx, c)
			if err != nil {
				return nil, err
			}
			ref, err := res.SingleRef()
			if err != nil {
				return nil, err
			}
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				entries = 0
				err := policy.Walk(ctx, frontend.RefFS(ref), "/", func(policy.File) error {
					entries++
					return nil
				})
				if err != nil {
					return nil, err
				}
				walk += time.Since(start)

				start = time.Now()
				user := llb.UserIDs{UID: 65532, GID: 65532}
				if _, err := frontend.VerifyRootfs(ctx, ref, s, user, "amd64"); err != nil {
					return nil, err
				}
				verify += time.Since(start)
			}
			return res, nil
		},
	})
	n := float64(b.N)
	b.ReportMetric(float64(entries), "entries")
	b.ReportMetric(verify.Seconds()*1000/n, "verify-ms/op")
	b.ReportMetric(walk.Seconds()*1000/n, "list-ms/op")
	b.ReportMetric(verify.Seconds()/walk.Seconds(), "verify/list")
}
