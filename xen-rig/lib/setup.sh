# Host prerequisites: what the rig and the build need on a Debian bookworm host.
# shellcheck shell=bash

RIG_HOST_PACKAGES=(
  qemu-system-x86 qemu-utils "$RIG_XEN_PACKAGE" xen-utils-4.17 libxen-dev
  debootstrap cpio busybox-static kmod gzip zstd squashfs-tools
  openjdk-17-jdk-headless maven gcc libc6-dev make
  dpkg-dev flex bison bc libelf-dev xz-utils python3 patch
  lintian man-db systemd
)

# Prints the packages that are not installed, one per line.
rig_missing_packages() {
  local pkg
  for pkg in "${RIG_HOST_PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] ||
      printf '%s\n' "$pkg"
  done
}

# Installs what is missing; does nothing (and needs no network) when all is there.
rig_setup() {
  local missing
  mapfile -t missing < <(rig_missing_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    rig_log "host prerequisites present"
    return 0
  fi
  rig_require_root
  rig_log "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || rig_die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    rig_die "apt-get install failed for: ${missing[*]}"
  mapfile -t missing < <(rig_missing_packages)
  [ "${#missing[@]}" -eq 0 ] || rig_die "still missing after install: ${missing[*]}"
}

# A clean error, instead of a confusing failure later, for commands that do not install.
rig_check_prerequisites() {
  local missing
  mapfile -t missing < <(rig_missing_packages)
  [ "${#missing[@]}" -eq 0 ] ||
    rig_die "missing host packages: ${missing[*]} (run 'xen-rig/rig setup' as root to install them)"
}
