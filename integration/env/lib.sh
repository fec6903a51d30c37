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

RUN_DIR="$KILN_ENV_DIR/run"
BUILDER_NAME=kiln-env
SOCK="$RUN_DIR/buildkitd.sock"

# alive NAME: the process in $RUN_DIR/NAME.pid is running and is ours.
alive() {
  local pid
  pid=$(cat "$RUN_DIR/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    grep -q "$1" "/proc/$pid/cmdline" 2>/dev/null
}

# stop NAME: ends the process recorded in NAME.pid, and only that one.
stop() {
  local pid i
  if alive "$1"; then
    pid=$(cat "$RUN_DIR/$1.pid")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped $1 (pid $pid)"
  fi
  rm -f "$RUN_DIR/$1.pid"
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
