package llb

import "path"

// staticStages converts a spec of prebuilt files: they are copied from the
// source folder of the build context onto the runtime base, nothing is
// compiled, and the runtime image is the only stage.
func (c *converter) staticStages() (*Result, error) {
	root := path.Join("/", c.in.Spec.Source)
	runtime, img, err := c.runtime(c.in.Context, root)
	if err != nil {
		return nil, err
	}
	return &Result{
		Stages: []Stage{{Name: StageRuntime, State: runtime}},
		Image:  img,
	}, nil
}
