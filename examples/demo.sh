#!/usr/bin/env bash
# The README's demo (make demo, which sets BUILDKIT_HOST through
# integration/env/with-env): builds the kiln CLI, builds examples/go-hello
# with it into an OCI layout, prints what was built, and runs the binary
# once inside BuildKit as the image's user (65532).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
: "${BUILDKIT_HOST:?is not set: run 'make demo', which starts the test environment}"
: "${KILN_REGISTRY:?is not set: run 'make demo', which starts the test environment}"

step() { printf '\n== %s\n' "$*" >&2; }

step "building the kiln CLI into _out/bin"
mkdir -p _out/bin _out/demo
go build -o _out/bin/kiln ./cmd/kiln
go build -o _out/bin/kiln-demo-inspect ./examples/demo/inspect

step "kiln lock: pin the base images of examples/go-hello by digest"
# kiln builds only pinned images. Committed examples carry no kiln.lock
# (its digests depend on your registry), so the demo locks a copy against
# the local registry, which buildkitd uses as its docker.io and gcr.io mirror.
src=_out/demo/src/go-hello
rm -rf "$src" && mkdir -p "$(dirname "$src")" && cp -r examples/go-hello "$src"
_out/bin/kiln lock --mirror "docker.io=$KILN_REGISTRY" --mirror "gcr.io=$KILN_REGISTRY" "$src"

step "kiln build examples/go-hello (BuildKit at $BUILDKIT_HOST)"
out=_out/demo/go-hello
rm -rf "$out"
digest=$(_out/bin/kiln build --progress "${KILN_PROGRESS:-auto}" \
  -o "type=oci,tar=false,dest=$out" "$src")
echo "kiln build printed $digest; the OCI layout is in $out" >&2

step "what was built"
_out/bin/kiln-demo-inspect "$out"
