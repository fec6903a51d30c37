// Command kiln-frontend is the entrypoint of kiln's frontend image: BuildKit
// starts it for `# syntax=ghcr.io/kilnbuild/kiln:1` and talks to it over
// the gateway API on stdin and stdout.
package main

import (
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"

	"github.com/kilnbuild/kiln/frontend"
)

func main() {
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), frontend.Build); err != nil {
		fmt.Fprintf(os.Stderr, "kiln-frontend: %v\n", err)
		os.Exit(1)
	}
}
