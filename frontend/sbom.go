package frontend

import (
	"context"
	"fmt"
	"sync"

	"github.com/containerd/platforms"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/attestations/sbom"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// sbomScans runs BuildKit's SBOM scanner on each platform's runtime image
// when the build asks for it (--sbom, attest:sbom), as the Dockerfile
// frontend does; the result is attached as an in-toto SPDX attestation.
type sbomScans struct {
	scanner sbom.Scanner
	targets sync.Map // platform id -> bkllb.State of the runtime image
}

// newSBOMScans resolves the scanner image, or returns nil when no SBOM is
// requested.
func newSBOMScans(ctx context.Context, c client.Client, bc *dockerui.Client,
	buildPlatform ocispecs.Platform) (*sbomScans, error) {
	if bc.SBOM == nil {
		return nil, nil
	}
	scanner, err := sbom.CreateSBOMScanner(ctx, c, bc.SBOM.Generator, buildPlatform,
		sourceresolver.Opt{ImageOpt: &sourceresolver.ResolveImageOpt{
			Platform:    &buildPlatform,
			ResolveMode: bc.ImageResolveMode.String(),
		}}, bc.SBOM.Parameters)
	if err != nil {
		return nil, fmt.Errorf("preparing the SBOM scanner %s: %w", bc.SBOM.Generator, err)
	}
	return &sbomScans{scanner: scanner}, nil
}

// add records the runtime image of a platform for scanning.
func (s *sbomScans) add(p ocispecs.Platform, st bkllb.State) {
	if s != nil {
		s.targets.Store(platforms.FormatAll(platforms.Normalize(p)), st)
	}
}

// attach scans every recorded image and adds the attestations to rb.
func (s *sbomScans) attach(ctx context.Context, c client.Client,
	rb *dockerui.ResultBuilder) error {
	if s == nil {
		return nil
	}
	return rb.EachPlatform(ctx, func(ctx context.Context, id string, p ocispecs.Platform) error {
		v, ok := s.targets.Load(id)
		if !ok {
			return fmt.Errorf("no runtime image to scan for %s", id)
		}
		att, err := s.scanner(ctx, id, v.(bkllb.State), nil)
		if err != nil {
			return err
		}
		solved, err := result.ConvertAttestation(&att, func(st *bkllb.State) (client.Reference,
			error) {
			def, err := st.Marshal(ctx)
			if err != nil {
				return nil, err
			}
			r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB()})
			if err != nil {
				return nil, err
			}
			return r.Ref, nil
		})
		if err != nil {
			return err
		}
		rb.AddAttestation(id, *solved)
		return nil
	})
}
