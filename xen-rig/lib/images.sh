# The rig's images: Xen's ELF, the Debian kernel, the Dom0 initramfs and the test guest's initramfs.
# Each lives in $RIG_CACHE under a name that carries a hash of its inputs, so it is rebuilt only when an
# input changes (a package version, a script of this folder, the module list) and reused otherwise.
# shellcheck shell=bash

# Packages of the Dom0 root file system (Debian minbase plus these).
RIG_DOM0_PACKAGES=xen-utils-4.17,xen-utils-common,xenstore-utils,openjdk-17-jre-headless,kmod,iproute2,busybox,procps,bridge-utils,zstd,squashfs-tools,socat

# Kernel modules Dom0 loads (their dependencies are added from modules.dep).
RIG_DOM0_MODULES=(
  xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-netback xen-blkback
  bridge loop tun veth ext4 overlay virtio_pci 9pnet_virtio 9p
)

# Kernel modules of the test guest, loaded at its boot by insmod (their dependencies added): its split
# drivers' front ends and ext4 for the test disks (with the crc32c it asks the crypto API for).
RIG_GUEST_MODULES=(xen-netfront xen-blkfront ext4 crc32c_generic)

# Bumped when the way images are assembled changes, so that cached ones are rebuilt.
RIG_IMAGE_FORMAT=2

# Outputs of rig_images, for the commands that boot the rig.
RIG_XEN_ELF=
RIG_XEN_VERSION=
RIG_VMLINUZ=
RIG_DOM0_CPIO=
RIG_GUEST_INITRD=
RIG_PVGRUB=
RIG_NETBACK_NOXS=
RIG_NOXS_FRONT=

rig_package_version() {
  dpkg-query -W -f='${Version}' "$1" 2>/dev/null
}

# The hypervisor the rig boots: noxs (Debian's Xen source with kernel-patches/xen, the default) or
# stock (Debian's binary hypervisor, for comparisons).
RIG_XEN=${RIG_XEN:-noxs}

# The Xen hypervisor as a multiboot ELF: QEMU's -kernel does not take the gzipped image.
rig_image_xen() {
  case "$RIG_XEN" in
    noxs) rig_image_xen_noxs ;;
    stock) rig_image_xen_stock ;;
    *) rig_die "RIG_XEN must be noxs or stock, not '$RIG_XEN'" ;;
  esac
}

rig_image_xen_stock() {
  local version key out
  version=$(rig_package_version "$RIG_XEN_PACKAGE")
  [ -n "$version" ] || rig_die "$RIG_XEN_PACKAGE is not installed (run 'xen-rig/rig setup')"
  key=$(rig_hash "$version")
  out="$RIG_CACHE/xen-$key.elf"
  if [ ! -s "$out" ]; then
    rig_log "unpacking the Xen hypervisor $version"
    gunzip -c /boot/xen-4.17-amd64.gz >"$out.tmp" && mv "$out.tmp" "$out" || rig_die "cannot unpack /boot/xen-4.17-amd64.gz"
    rig_prune "$RIG_CACHE" "xen-[0-9a-f]*.elf" "$(basename "$out")"
  fi
  RIG_XEN_ELF=$out
  RIG_XEN_VERSION="$version (Debian's binary)"
}

# The patch series of kernel-patches/xen, in the order of its series file.
rig_xen_patches() {
  local dir=$REPO_DIR/kernel-patches/xen name
  while read -r name; do
    case "$name" in '' | '#'*) continue ;; esac
    [ -f "$dir/$name" ] || rig_die "kernel-patches/xen/series names $name, which is not there"
    printf '%s\n' "$dir/$name"
  done <"$dir/series"
}

# rig_apt_source_lists DIR: apt's source lists for Debian's source packages in DIR/sources.list.d,
# made from the system's own `deb` entries for $RIG_SUITE (same archives and keys, as deb-src), so
# that `apt-get source` works without touching the system's apt configuration.
rig_apt_source_lists() {
  local dir=$1 file
  mkdir -p "$dir/sources.list.d" "$dir/lists/partial" "$dir/cache/archives/partial"
  {
    for file in /etc/apt/sources.list.d/*.sources; do
      [ -f "$file" ] || continue
      awk -v suite="$RIG_SUITE" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") {
            print "Types: deb-src"; print "URIs: " uris; print "Suites: " suite
            print "Components: " comps
            if (key != "") print "Signed-By: " key
            print ""
          }
          types = uris = suites = comps = key = ""
        }
        /^[ \t]*$/ { flush(); next }
        /^#/ { next }
        /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
        /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
        /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
        /^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
        /^Signed-By:/ { sub(/^Signed-By:[ \t]*/, ""); key = $0 }
        END { flush() }
      ' "$file"
    done
  } >"$dir/sources.list.d/rig.sources"
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v suite="$RIG_SUITE" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i == suite) { $1 = "deb-src"; print; break } }' \
      >"$dir/sources.list.d/rig.list"
  [ -s "$dir/sources.list.d/rig.sources" ] || [ -s "$dir/sources.list.d/rig.list" ] ||
    rig_die "the system's apt sources have no '$RIG_SUITE' entry to take Debian's source packages from"
}

# rig_apt_source PACKAGE=VERSION DIR: fetches and unpacks a Debian source package into DIR/src.
rig_apt_source() {
  local spec=$1 dir=$2 apt_opts
  rig_apt_source_lists "$dir"
  apt_opts=(-q -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$dir/sources.list.d"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "APT::Sandbox::User=root")
  apt-get "${apt_opts[@]}" update >"$dir/apt.log" 2>&1 &&
    (cd "$dir" && apt-get "${apt_opts[@]}" source --download-only "$spec" >>"$dir/apt.log" 2>&1) ||
    { tail -n 5 "$dir/apt.log" >&2; return 1; }
  (cd "$dir" && dpkg-source -q -x ./*.dsc src >>"$dir/apt.log" 2>&1) ||
    { tail -n 5 "$dir/apt.log" >&2; return 1; }
}

# The noxs hypervisor: Debian's Xen source package of the version Dom0's tools come from, with the
# patch series of kernel-patches/xen, configured as Debian configures its own (debian/xen-kconfig).
# About a minute and a half of build on two cores; cached by the source version and the patches.
rig_image_xen_noxs() {
  local version key out tmp patches patch start
  version=$(dpkg-query --admindir="$RIG_DOM0_ROOT/var/lib/dpkg" -W -f='${Version}' xen-utils-4.17 2>/dev/null)
  [ -n "$version" ] || rig_die "the Dom0 root file system has no xen-utils-4.17"
  mapfile -t patches < <(rig_xen_patches)
  key=$(rig_hash "$version" "${patches[@]}")
  out="$RIG_CACHE/xen-noxs-$key.elf"
  if [ ! -s "$out" ]; then
    rig_require_root
    start=$(date +%s.%N)
    rig_log "building the noxs hypervisor: Xen $version from Debian's source + ${#patches[@]} patches"
    tmp=$(mktemp -d "$RIG_CACHE/tmp.xen.XXXXXX")
    rig_apt_source "xen=$version" "$tmp" ||
      rig_die "cannot fetch Debian's source of xen $version (apt-get source above); RIG_XEN=stock boots Debian's binary hypervisor instead"
    for patch in "${patches[@]}"; do
      patch -d "$tmp/src" -p1 --batch --forward --quiet <"$patch" >>"$tmp/build.log" 2>&1 ||
        { tail -n 10 "$tmp/build.log" >&2; rig_die "$(basename "$patch") does not apply to xen $version"; }
    done
    cp "$tmp/src/debian/xen-kconfig" "$tmp/src/xen/.config" &&
      make -C "$tmp/src/xen" olddefconfig XEN_TARGET_ARCH=x86_64 >>"$tmp/build.log" 2>&1 &&
      make -C "$tmp/src/xen" -j"$(nproc)" XEN_TARGET_ARCH=x86_64 >>"$tmp/build.log" 2>&1 ||
      { tail -n 20 "$tmp/build.log" >&2; rig_die "the noxs hypervisor does not build (log above)"; }
    cp "$tmp/src/xen/xen" "$out.tmp" && mv "$out.tmp" "$out" || rig_die "cannot store the noxs hypervisor"
    rm -rf "$tmp"
    rig_prune "$RIG_CACHE" "xen-noxs-*.elf" "$(basename "$out")"
    rig_log "noxs hypervisor built in $(rig_elapsed "$start") s"
  fi
  RIG_XEN_ELF=$out
  RIG_XEN_VERSION="$version + kernel-patches/xen (noxs)"
}

# The linux-image package the Debian meta-package currently points at, unless RIG_KERNEL_PACKAGE says.
rig_kernel_package() {
  if [ -n "${RIG_KERNEL_PACKAGE:-}" ]; then
    printf '%s\n' "$RIG_KERNEL_PACKAGE"
    return
  fi
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
  if [ -z "$pkg" ]; then
    rig_require_root
    apt-get update -qq || rig_die "apt-get update failed"
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
  fi
  [ -n "$pkg" ] || rig_die "apt-cache does not know linux-image-amd64; check the apt sources"
  printf '%s\n' "$pkg"
}

# Unpacks the kernel package (not installed on the host); sets RIG_KERNEL_DIR and RIG_KERNEL_RELEASE.
rig_image_kernel() {
  local pkg version key dir tmp
  pkg=$(rig_kernel_package)
  version=$(apt-cache show "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
  [ -n "$version" ] || rig_die "no version known for $pkg"
  key=$(rig_hash "$pkg" "$version")
  dir="$RIG_CACHE/kernel-$key"
  if [ ! -d "$dir" ]; then
    rig_log "fetching $pkg $version"
    tmp=$(mktemp -d "$RIG_CACHE/tmp.kernel.XXXXXX")
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$version") || rig_die "apt-get download $pkg=$version failed"
    dpkg-deb -x "$tmp"/*.deb "$tmp/root" || rig_die "cannot unpack $pkg"
    RIG_KERNEL_RELEASE=$(ls "$tmp/root/lib/modules")
    depmod -b "$tmp/root" "$RIG_KERNEL_RELEASE" || rig_die "depmod failed for $RIG_KERNEL_RELEASE"
    rm -f "$tmp"/*.deb
    mv "$tmp" "$dir"
    rig_prune "$RIG_CACHE" "kernel-*" "$(basename "$dir")"
  fi
  RIG_KERNEL_DIR="$dir/root"
  RIG_KERNEL_RELEASE=$(ls "$RIG_KERNEL_DIR/lib/modules")
  RIG_VMLINUZ="$RIG_KERNEL_DIR/boot/vmlinuz-$RIG_KERNEL_RELEASE"
  [ -f "$RIG_VMLINUZ" ] || rig_die "no kernel image in $dir"
}

# Debian minbase with Xen's tools and a JRE: the slow part (about a minute), cached on its own.
rig_image_dom0_root() {
  local key dir tmp
  key=$(rig_hash "$RIG_IMAGE_FORMAT" "$RIG_SUITE" "$RIG_DOM0_PACKAGES")
  dir="$RIG_CACHE/dom0-root-$key"
  if [ ! -d "$dir" ]; then
    rig_require_root
    rig_log "debootstrap of the Dom0 root file system ($RIG_SUITE, minbase + ${RIG_DOM0_PACKAGES//,/ })"
    tmp=$(mktemp -d "$RIG_CACHE/tmp.dom0-root.XXXXXX")
    chmod 0755 "$tmp"
    debootstrap --variant=minbase --include="$RIG_DOM0_PACKAGES" "$RIG_SUITE" "$tmp" >"$tmp.log" 2>&1 ||
      { tail -n 20 "$tmp.log" >&2; rig_die "debootstrap failed (log above)"; }
    rm -f "$tmp.log"
    rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* \
      "$tmp"/usr/share/doc "$tmp"/usr/share/man "$tmp"/usr/share/locale "$tmp"/usr/share/info
    mv "$tmp" "$dir"
    rig_prune "$RIG_CACHE" "dom0-root-*" "$(basename "$dir")"
  fi
  RIG_DOM0_ROOT=$dir
}

# Prints the module files (relative to lib/modules/RELEASE) of the wanted modules and their dependencies,
# each after the modules it depends on (the order insmod needs).
rig_module_closure() {
  local moddir=$1
  shift
  awk -v want="$*" '
    function norm(s) { gsub(/-/, "_", s); return s }
    function base(path,   n, parts) { n = split(path, parts, "/"); sub(/\.ko(\.[a-z]+)?$/, "", parts[n]); return norm(parts[n]) }
    function add(path,   i, n, d) {
      if (path in seen) return
      seen[path] = 1
      n = split(deps[path], d, " ")
      for (i = 1; i <= n; i++) add(d[i])
      print path
    }
    FNR == NR { builtin[base($0)] = 1; next }
    {
      path = $1; sub(/:$/, "", path)
      deps[path] = ""
      for (i = 2; i <= NF; i++) deps[path] = deps[path] " " $i
      byname[base(path)] = path
    }
    END {
      n = split(want, w, " ")
      for (i = 1; i <= n; i++) {
        name = norm(w[i])
        if (name in byname) add(byname[name])
        else if (!(name in builtin)) missing = missing " " w[i]
      }
      if (missing != "") print "MISSING" missing
    }
  ' "$moddir/modules.builtin" "$moddir/modules.dep"
}

# The Dom0 initramfs: the root file system, the kernel modules it loads, and stage 1 of its init.
rig_image_dom0() {
  local key out tmp moddir rel
  rig_image_dom0_root
  moddir="$RIG_KERNEL_DIR/lib/modules/$RIG_KERNEL_RELEASE"
  key=$(rig_hash "$RIG_IMAGE_FORMAT" "$(basename "$RIG_DOM0_ROOT")" "$RIG_KERNEL_RELEASE" "$(basename "$(dirname "$RIG_KERNEL_DIR")")" \
    "${RIG_DOM0_MODULES[*]}" "$RIG_DIR/dom0/init")
  out="$RIG_CACHE/dom0-$key.cpio"
  if [ ! -s "$out" ]; then
    rig_require_root
    rig_log "packing the Dom0 initramfs (kernel $RIG_KERNEL_RELEASE)"
    tmp=$(mktemp -d "$RIG_CACHE/tmp.dom0.XXXXXX")
    chmod 0755 "$tmp"
    cp -a "$RIG_DOM0_ROOT/." "$tmp/"
    mkdir -p "$tmp/lib/modules/$RIG_KERNEL_RELEASE"
    cp "$moddir"/modules.order "$moddir"/modules.builtin* "$tmp/lib/modules/$RIG_KERNEL_RELEASE/"
    while read -r rel; do
      case "$rel" in MISSING*) rm -rf "$tmp"; rig_die "kernel $RIG_KERNEL_RELEASE lacks modules:${rel#MISSING}" ;; esac
      mkdir -p "$tmp/lib/modules/$RIG_KERNEL_RELEASE/$(dirname "$rel")"
      cp "$moddir/$rel" "$tmp/lib/modules/$RIG_KERNEL_RELEASE/$rel"
    done < <(rig_module_closure "$moddir" "${RIG_DOM0_MODULES[@]}")
    depmod -b "$tmp" "$RIG_KERNEL_RELEASE" || rig_die "depmod failed in the Dom0 image"
    install -m 0755 "$RIG_DIR/dom0/init" "$tmp/init"
    echo chaos-rig >"$tmp/etc/hostname"
    mkdir -p "$tmp/host" "$tmp/rig"
    (cd "$tmp" && find . -print0 | cpio --null -o -H newc --quiet >"$out.tmp") || rig_die "cpio failed"
    mv "$out.tmp" "$out"
    rm -rf "$tmp"
    rig_prune "$RIG_CACHE" "dom0-*.cpio" "$(basename "$out")"
    rig_log "Dom0 initramfs: $(du -m "$out" | cut -f1) MB"
  fi
  RIG_DOM0_CPIO=$out
}

# The test guest: the same Debian kernel with a busybox initramfs (see guest/init for its modes) that
# carries the modules of RIG_GUEST_MODULES and lists them, in load order, in /etc/modules.load.
rig_image_guest() {
  local key out tmp moddir rel
  moddir="$RIG_KERNEL_DIR/lib/modules/$RIG_KERNEL_RELEASE"
  key=$(rig_hash "$RIG_IMAGE_FORMAT" "$(rig_package_version busybox-static)" "$RIG_DIR/guest/init" \
    "$RIG_KERNEL_RELEASE" "$(basename "$(dirname "$RIG_KERNEL_DIR")")" "${RIG_GUEST_MODULES[*]}" \
    "$(basename "$RIG_NOXS_FRONT")")
  out="$RIG_CACHE/guest-$key.cpio.gz"
  if [ ! -s "$out" ]; then
    rig_require_root
    rig_log "packing the test guest initramfs"
    tmp=$(mktemp -d "$RIG_CACHE/tmp.guest.XXXXXX")
    chmod 0755 "$tmp"
    mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,mnt,lib/modules}
    cp /bin/busybox "$tmp/bin/busybox"
    install -m 0755 "$RIG_DIR/guest/init" "$tmp/init"
    mknod -m 600 "$tmp/dev/console" c 5 1
    : >"$tmp/etc/modules.load"
    while read -r rel; do
      case "$rel" in MISSING*) rm -rf "$tmp"; rig_die "kernel $RIG_KERNEL_RELEASE lacks modules:${rel#MISSING}" ;; esac
      cp "$moddir/$rel" "$tmp/lib/modules/"
      echo "/lib/modules/$(basename "$rel")" >>"$tmp/etc/modules.load"
    done < <(rig_module_closure "$moddir" "${RIG_GUEST_MODULES[@]}")
    # noxs's devices, last: it connects a noxs guest's control device and vifs, and declines to
    # load in a XenStore guest.
    cp "$RIG_NOXS_FRONT" "$tmp/lib/modules/noxs-front.ko"
    echo /lib/modules/noxs-front.ko >>"$tmp/etc/modules.load"
    (cd "$tmp" && find . -print0 | cpio --null -o -H newc --quiet --owner=0:0 | gzip -9 >"$out.tmp") ||
      rig_die "cpio failed"
    mv "$out.tmp" "$out"
    rm -rf "$tmp"
    rig_prune "$RIG_CACHE" "guest-*.cpio.gz" "$(basename "$out")"
  fi
  RIG_GUEST_INITRD=$out
}

# PV-GRUB2 as Debian ships it (grub-xen-host, not installed on the host): the PV kernel that boots a
# guest from its own disk, for the tests of guests with a bootloader.
rig_image_pvgrub() {
  local version key out tmp
  version=$(apt-cache show grub-xen-host 2>/dev/null | awk '/^Version:/ { print $2; exit }')
  [ -n "$version" ] || rig_die "no version known for grub-xen-host; check the apt sources"
  key=$(rig_hash "$version")
  out="$RIG_CACHE/pvgrub-$key.bin"
  if [ ! -s "$out" ]; then
    rig_log "fetching grub-xen-host $version (PV-GRUB2)"
    tmp=$(mktemp -d "$RIG_CACHE/tmp.pvgrub.XXXXXX")
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "grub-xen-host=$version") ||
      rig_die "apt-get download grub-xen-host=$version failed"
    dpkg-deb -x "$tmp"/*.deb "$tmp/root" || rig_die "cannot unpack grub-xen-host"
    cp "$tmp/root/usr/lib/grub-xen/grub-x86_64-xen.bin" "$out.tmp" && mv "$out.tmp" "$out" ||
      rig_die "grub-xen-host $version has no grub-x86_64-xen.bin"
    rm -rf "$tmp"
    rig_prune "$RIG_CACHE" "pvgrub-*.bin" "$(basename "$out")"
  fi
  RIG_PVGRUB=$out
}

# What out-of-tree modules for the rig's kernel are built from: Debian's headers of that kernel
# (linux-headers-RELEASE with its -common part and linux-kbuild-6.1, unpacked, not installed) and
# the driver sources of Debian's linux-source-6.1 of the same version (only drivers/net is kept).
# Sets RIG_LINUX_KBUILD and RIG_LINUX_SOURCE.
rig_image_linux_build() {
  local pkg version key dir tmp release common
  pkg=$(rig_kernel_package)
  version=$(apt-cache show "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
  release=$RIG_KERNEL_RELEASE
  common=${release%-amd64}-common
  key=$(rig_hash "$pkg" "$version" "$RIG_IMAGE_FORMAT")
  dir="$RIG_CACHE/linux-build-$key"
  if [ ! -d "$dir" ]; then
    rig_log "fetching the headers and driver sources of Linux $version (for out-of-tree modules)"
    tmp=$(mktemp -d "$RIG_CACHE/tmp.linux-build.XXXXXX")
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "linux-headers-$release=$version" \
      "linux-headers-$common=$version" "linux-kbuild-6.1=$version" "linux-source-6.1=$version") ||
      rig_die "apt-get download of Linux $version's headers and source failed"
    for deb in "$tmp"/linux-headers-*.deb "$tmp"/linux-kbuild-*.deb; do
      dpkg-deb -x "$deb" "$tmp/root" || rig_die "cannot unpack $deb"
    done
    # The headers' Makefile includes the -common part by its installed path.
    sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$tmp/root/usr/src/linux-headers-$release/Makefile"
    mkdir -p "$tmp/source"
    dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.1_*.deb | tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc |
      tar -x -C "$tmp/source" --strip-components=1 linux-source-6.1/drivers/net ||
      rig_die "cannot unpack linux-source-6.1 $version"
    rm -f "$tmp"/*.deb
    mv "$tmp" "$dir"
    rig_prune "$RIG_CACHE" "linux-build-*" "$(basename "$dir")"
  fi
  RIG_LINUX_KBUILD="$dir/root/usr/src/linux-headers-$release"
  RIG_LINUX_SOURCE="$dir/source"
}

# rig_module_key DIR: the cache key of a noxs module built from DIR against the rig's kernel: the
# kernel's source version, DIR's files, the public headers' script and Xen's series it reads.
rig_module_key() {
  local patches
  mapfile -t patches < <(rig_xen_patches)
  rig_hash "$(basename "$(dirname "$RIG_LINUX_SOURCE")")" "$1"/* \
    "$REPO_DIR/kernel-patches/linux/noxs-public-headers" "${patches[@]}"
}

# noxs's netback for the rig's Dom0 kernel (kernel-patches/linux/netback-noxs), loaded beside the
# stock xen-netback when the rig boots the noxs hypervisor.
rig_image_netback_noxs() {
  local out dir=$REPO_DIR/kernel-patches/linux/netback-noxs start
  rig_image_linux_build
  out="$RIG_CACHE/netback-noxs-$(rig_module_key "$dir").ko"
  if [ ! -s "$out" ]; then
    start=$(date +%s.%N)
    rig_log "building xen-netback-noxs for $RIG_KERNEL_RELEASE"
    "$dir/build" "$RIG_LINUX_SOURCE" "$RIG_LINUX_KBUILD" "$out.d" || rig_die "xen-netback-noxs does not build (above)"
    mv "$out.d/xen-netback-noxs.ko" "$out" && rm -rf "$out.d"
    rig_prune "$RIG_CACHE" "netback-noxs-*.ko" "$(basename "$out")"
    rig_log "xen-netback-noxs built in $(rig_elapsed "$start") s"
  fi
  RIG_NETBACK_NOXS=$out
}

# noxs's devices for a Linux guest of the rig's kernel (kernel-patches/linux/noxs-front), carried
# by the test guest's initramfs.
rig_image_noxs_front() {
  local out dir=$REPO_DIR/kernel-patches/linux/noxs-front
  rig_image_linux_build
  out="$RIG_CACHE/noxs-front-$(rig_module_key "$dir").ko"
  if [ ! -s "$out" ]; then
    rig_log "building noxs-front for $RIG_KERNEL_RELEASE"
    "$dir/build" "$RIG_LINUX_KBUILD" "$out.d" || rig_die "noxs-front does not build (above)"
    mv "$out.d/noxs-front.ko" "$out" && rm -rf "$out.d"
    rig_prune "$RIG_CACHE" "noxs-front-*.ko" "$(basename "$out")"
  fi
  RIG_NOXS_FRONT=$out
}

# Builds (or finds in the cache) every image the rig boots.
rig_images() {
  local start
  start=$(date +%s.%N)
  mkdir -p "$RIG_CACHE"
  exec 9>"$RIG_CACHE/.lock"
  flock 9 || rig_die "cannot lock $RIG_CACHE"
  rm -rf "$RIG_CACHE"/tmp.*
  rig_image_kernel
  rig_image_dom0_root
  rig_image_xen
  rig_image_dom0
  rig_image_noxs_front
  rig_image_guest
  rig_image_pvgrub
  rig_image_netback_noxs
  exec 9>&-
  rig_log "images ready in $(rig_elapsed "$start") s (cache: $RIG_CACHE)"
}
