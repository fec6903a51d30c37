#!/usr/bin/env bash
# Builds the pinned BuildKit daemon, buildctl and the docker-buildx plugin into
# $KILN_ENV_DIR/bin from the tools module, stamping their versions. A second
# run with everything present and up to date does no work.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

bin="$KILN_ENV_DIR/bin"
mkdir -p "$bin"

# Debian packages the environment runs, installed only when missing.
missing=()
for pair in runc:runc docker-registry:docker-registry mmdebstrap:mmdebstrap \
  ss:iproute2 curl:curl; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}; run 'sudo $cmd'"
  log "installing ${missing[*]} with apt"
  if ! DEBIAN_FRONTEND=noninteractive $cmd >"$KILN_ENV_DIR/apt.log" 2>&1; then
    apt-get update >>"$KILN_ENV_DIR/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive $cmd >>"$KILN_ENV_DIR/apt.log" 2>&1 ||
      die "'$cmd' failed; see $KILN_ENV_DIR/apt.log"
  fi
fi
command -v docker >/dev/null ||
  die "the docker CLI is missing; install the docker-cli (or docker.io) package"
bk=$(tools_version github.com/moby/buildkit)
bx=$(tools_version github.com/docker/buildx)
main_bk=$(cd "$root" && awk '$1=="github.com/moby/buildkit"{print $2}' go.mod)
if [ -n "$main_bk" ] && [ "$main_bk" != "$bk" ]; then
  die "tools/go.mod pins buildkit $bk but go.mod requires $main_bk;" \
    "update tools/go.mod to $main_bk and run 'cd tools && go mod tidy'"
fi

# build NAME PKG VERSION LDFLAGS TAGS: skip when the stamp matches.
build() {
  local name=$1 pkg=$2 version=$3 ldflags=$4 tags=$5
  local stamp="$bin/.$name.version"
  if [ -x "$bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
    return 0
  fi
  log "building $name $version (first run only, a few minutes)"
  (cd "$root/tools" && CGO_ENABLED=0 go build -trimpath -tags "$tags" \
    -ldflags "-s -w $ldflags" -o "$bin/$name" "$pkg") ||
    die "building $name failed; is the Go module proxy reachable (go env GOPROXY)?"
  echo "$version" >"$stamp"
}

bkx="-X github.com/moby/buildkit/version.Version=$bk"
bkx="$bkx -X github.com/moby/buildkit/version.Revision=$bk"
bkx="$bkx -X github.com/moby/buildkit/version.Package=github.com/moby/buildkit"
build buildkitd github.com/moby/buildkit/cmd/buildkitd "$bk" "$bkx" \
  "osusergo netgo static_build"
build buildctl github.com/moby/buildkit/cmd/buildctl "$bk" "$bkx" ""
bxx="-X github.com/docker/buildx/version.Version=$bx"
bxx="$bxx -X github.com/docker/buildx/version.Revision=$bx"
bxx="$bxx -X github.com/docker/buildx/version.Package=github.com/docker/buildx"
build docker-buildx github.com/docker/buildx/cmd/buildx "$bx" "$bxx" ""

# Install the plugin into the environment's own Docker config, so the user's
# ~/.docker is left alone.
mkdir -p "$KILN_ENV_DIR/docker/cli-plugins"
ln -sf "$bin/docker-buildx" "$KILN_ENV_DIR/docker/cli-plugins/docker-buildx"
