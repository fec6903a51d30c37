package frontend

import (
	"errors"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"

	"github.com/kilnbuild/kiln/spec"
)

// withSource attaches the kiln.yaml ranges of spec errors to err, so that
// `docker buildx build` prints the offending lines under the message.
func withSource(err error, sm *bkllb.SourceMap) error {
	if err == nil || sm == nil {
		return err
	}
	var ranges []*pb.Range
	for _, e := range spec.AsErrors(err) {
		if r := pbRange(e.Range()); r != nil {
			ranges = append(ranges, r)
		}
	}
	if len(ranges) == 0 {
		return err
	}
	src := &errdefs.Source{
		Info: &pb.SourceInfo{
			Data:     sm.Data,
			Filename: sm.Filename,
			Language: sm.Language,
		},
		Ranges: ranges,
	}
	if sm.Definition != nil {
		src.Info.Definition = sm.Definition.ToPB()
	}
	return errdefs.WithSource(errors.Join(err), src)
}

// pbRange converts a spec range (1-based columns) to BuildKit's form
// (1-based lines, 0-based characters); nil when there is no position.
func pbRange(r spec.Range) *pb.Range {
	if r.IsZero() {
		return nil
	}
	end := r
	if end.EndLine == 0 {
		end.EndLine, end.EndColumn = r.Line, r.Column
	}
	return &pb.Range{
		Start: &pb.Position{Line: int32(r.Line), Character: int32(r.Column - 1)},
		End:   &pb.Position{Line: int32(end.EndLine), Character: int32(end.EndColumn - 1)},
	}
}

// location is the pb.Location of a spec value, for subrequest answers.
func location(s *spec.Spec, path string) *pb.Location {
	r := pbRange(s.Pos(path))
	if r == nil {
		return nil
	}
	return &pb.Location{SourceIndex: 0, Ranges: []*pb.Range{r}}
}
