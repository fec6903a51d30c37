# Shared helpers of the environment scripts; sourced, not run.
# KILN_ENV_DIR holds binaries, state, logs and the generated env file.
: "${KILN_ENV_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/_out/env}"
export KILN_ENV_DIR

log() { printf 'kiln-env: %s\n' "$*" >&2; }
die() { printf 'kiln-env: error: %s\n' "$*" >&2; exit 1; }

# tools_version MODULE prints the version tools/go.mod requires.
tools_version() {
  local gomod
  gomod="$(dirname "${BASH_SOURCE[0]}")/../../tools/go.mod"
  awk -v m="$1" '$1==m{print $2}' "$gomod"
}
