# Shared helpers for the rig's commands. Sourced, never run.
# shellcheck shell=bash

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$RIG_DIR/.." && pwd)

# Everything the rig builds is cached here, keyed by its inputs (see images.sh).
RIG_CACHE=${CHAOS_RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chaos-rig}

# Debian release of Dom0 and the Xen/kernel series the project targets.
RIG_SUITE=bookworm
RIG_XEN_PACKAGE=xen-hypervisor-4.17-amd64

rig_log() { printf 'rig: %s\n' "$*" >&2; }
rig_die() {
  printf 'rig: error: %s\n' "$*" >&2
  exit 1
}

# rig_hash FILE|STRING...: a short, stable key for cache entries.
rig_hash() {
  local item
  for item in "$@"; do
    if [ -f "$item" ]; then
      printf 'file %s\n' "$(basename "$item")"
      cat "$item"
    else
      printf 'value %s\n' "$item"
    fi
  done | sha256sum | cut -c1-16
}

# rig_prune DIR GLOB KEEP: remove the older cache entries of one kind (those matching GLOB but KEEP).
rig_prune() {
  local dir=$1 glob=$2 keep=$3 entry
  for entry in "$dir"/$glob; do
    [ -e "$entry" ] || continue
    [ "$(basename "$entry")" = "$keep" ] && continue
    rm -rf "$entry"
  done
}

rig_require_root() {
  [ "$(id -u)" -eq 0 ] || rig_die "this step needs root (debootstrap, device nodes, apt-get); run it as root"
}

# rig_elapsed START: seconds since START (from `date +%s.%N`), one decimal.
rig_elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
