#!/usr/bin/env bash
# Seeds the registry at $KILN_REGISTRY (127.0.0.1:PORT, plain HTTP) with
# look-alikes of the base images kiln uses, under their real names:
#   library/golang:1.26-trixie, library/golang:1.26.8-trixie      (linux/amd64)
#   distroless/{static,base,cc}-debian13:{nonroot,latest} (linux/amd64, arm64)
# They are assembled from Debian trixie packages (mmdebstrap) and the Go
# toolchain module by the Go program in seed/. Downloads, root file systems
# and layers are cached in $KILN_ENV_DIR/cache; tags that already carry the
# current recipe are skipped, so a second run takes seconds.
#
# Usage: KILN_REGISTRY=127.0.0.1:5000 integration/env/seed.sh [-force] [-only REPO,...]
# The Debian mirror comes from the host's apt sources unless
# KILN_DEBIAN_MIRROR (and KILN_DEBIAN_SECURITY_MIRROR) are set. Writes the
# pushed digests, one 'repo:tag digest' a line, to $KILN_ENV_DIR/seed-images.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

[ -n "${KILN_REGISTRY:-}" ] ||
  die "KILN_REGISTRY is not set: start a registry (apt-get install docker-registry)" \
    "and set KILN_REGISTRY=127.0.0.1:PORT"
command -v go >/dev/null || die "go not found in PATH: the seeder is a Go program"
command -v flock >/dev/null || die "flock not found: install it with 'apt-get install util-linux'"

cache="$KILN_ENV_DIR/cache"
mkdir -p "$KILN_ENV_DIR/bin" "$cache"
# One seeder at a time per state folder: they share the caches.
exec 9>"$cache/seed.lock"
flock 9

(cd "$root" && go build -o "$KILN_ENV_DIR/bin/kiln-seed" ./integration/env/seed) ||
  die "building the seeder (integration/env/seed) failed"
exec "$KILN_ENV_DIR/bin/kiln-seed" -registry "$KILN_REGISTRY" -cache "$cache" \
  -digests "$KILN_ENV_DIR/seed-images.txt" "$@"
