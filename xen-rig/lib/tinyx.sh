# The tinyx VMs of the end-to-end tests (TinyxE2ETest) and of the tinyx benchmark, built on the host
# by tinyx itself from Debian packages into target/tinyx/NAME (vm.cfg, vmlinuz, the root image,
# report.txt), seen in Dom0 under /host/target/tinyx/NAME. The rig keeps each VM in its cache by
# its inputs (rig_tinyx_key); tinyx itself skips a VM whose inputs have not changed and keeps its
# downloaded packages in its own cache (~/.cache/chaos-tinyx).
# shellcheck shell=bash

RIG_TINYX_OUT="$REPO_DIR/target/tinyx"

# rig_tinyx_key NAME TINYX-ARGS...: a VM's inputs, for the rig's cache: tinyx's sources, its
# kernel patches and the noxs-front driver it builds in, its arguments (the checkout's own path
# left out), the example files they name, and the package lists apt reads (a changed list may
# bring other versions). tinyx's own check of the same needs the package closure from apt-cache:
# some 15 s a VM.
rig_tinyx_key() {
  {
    (cd "$REPO_DIR" &&
      find tinyx-builder/src/main tinyx-builder/pom.xml kernel-patches/tinyx examples/tinyx \
        kernel-patches/linux/noxs-front kernel-patches/linux/noxs-public-headers kernel-patches/xen -type f |
      LC_ALL=C sort | xargs sha256sum)
    printf '%s\n' "${@//$REPO_DIR/.}"
    stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* 2>/dev/null
  } | sha256sum | cut -c1-16
}

# rig_tinyx NAME TINYX-ARGS...: one VM, from the rig's cache when its inputs are the same.
rig_tinyx() {
  local name=$1 cached
  shift
  cached="$RIG_CACHE/tinyx-$name-$(rig_tinyx_key "$name" "$@")"
  if [ -d "$cached" ]; then
    rm -rf "${RIG_TINYX_OUT:?}/$name"
    cp -a "$cached" "$RIG_TINYX_OUT/$name"
    rig_log "tinyx $name: from the rig's cache (same inputs)"
    return
  fi
  "$REPO_DIR/tinyx-builder/target/tinyx/bin/tinyx" -n "$name" -o "$RIG_TINYX_OUT/$name" \
    --boot-dir "/host/target/tinyx/$name" "$@" >"$RIG_TINYX_OUT/$name.log" 2>&1 ||
    { tail -n 20 "$RIG_TINYX_OUT/$name.log" >&2; rig_die "tinyx could not build $name (log above)"; }
  rig_log "tinyx $name: $(tail -n 1 "$RIG_TINYX_OUT/$name.log" | sed 's/^tinyx: *//')"
  mkdir -p "$RIG_CACHE"
  rm -rf "$cached.part"
  cp -a "$RIG_TINYX_OUT/$name" "$cached.part" && mv "$cached.part" "$cached"
  rig_prune "$RIG_CACHE" "tinyx-$name-*" "$(basename "$cached")"
}

# rig_tinyx_apps SUFFIX [TINYX-OPTION...]: the three example VMs, lighttpdSUFFIX, redisSUFFIX and
# pythonSUFFIX, each built with the options given beside its own.
rig_tinyx_apps() {
  local ex="$REPO_DIR/examples/tinyx" suffix=$1
  shift
  [ -x "$REPO_DIR/tinyx-builder/target/tinyx/bin/tinyx" ] || rig_die "tinyx is not built (mvn package)"
  mkdir -p "$RIG_TINYX_OUT"
  rig_tinyx "lighttpd$suffix" lighttpd "$@" --ip 10.0.0.11/24 \
    -f "$ex/lighttpd/lighttpd.conf:/etc/lighttpd/lighttpd.conf" -f "$ex/lighttpd/www:/srv/www" \
    -- lighttpd -D -f /etc/lighttpd/lighttpd.conf
  rig_tinyx "redis$suffix" redis-server "$@" --ip 10.0.0.12/24 \
    -- redis-server --protected-mode no --save ""
  rig_tinyx "python$suffix" python3 "$@" --no-network -f "$ex/python/hello.py:/app/hello.py" \
    -- python3 /app/hello.py
}

# The e2e tests' VMs, on tinyx's default kernel (the small one), and redis built for noxs
# (NoxsDaemonCycle: noxs-front in its kernel, dev_method = "noxs").
rig_tinyx_images() {
  rig_tinyx_apps ""
  rig_tinyx redis-noxs redis-server --noxs --ip 10.0.0.13/24 \
    -- redis-server --protected-mode no --save ""
}

# The tinyx benchmark's other VMs: the three applications on Debian's kernel (NAME-debian), and
# redis in a debootstrap minbase Debian (cached) on Debian's kernel, packed with the same init.
rig_tinyx_baselines() {
  local key dir tmp
  rig_tinyx_apps -debian --kernel debian
  key=$(rig_hash "$RIG_IMAGE_FORMAT" "$RIG_SUITE" minbase redis-server)
  dir="$RIG_CACHE/minbase-redis-$key"
  if [ ! -d "$dir" ]; then
    rig_require_root
    rig_log "debootstrap of a minbase Debian with redis-server ($RIG_SUITE)"
    tmp=$(mktemp -d "$RIG_CACHE/tmp.minbase.XXXXXX")
    chmod 0755 "$tmp"
    debootstrap --variant=minbase --include=redis-server "$RIG_SUITE" "$tmp" >"$tmp.log" 2>&1 ||
      { tail -n 20 "$tmp.log" >&2; rig_die "debootstrap failed (log above)"; }
    rm -f "$tmp.log" "$tmp"/var/cache/apt/archives/*.deb
    mv "$tmp" "$dir"
    rig_prune "$RIG_CACHE" "minbase-redis-*" "$(basename "$dir")"
  fi
  rig_log "minbase Debian with redis: $(du -sm "$dir" | cut -f1) MB"
  rig_tinyx redis-minbase redis-server --kernel debian --base "$dir" --ip 10.0.0.12/24 \
    -- redis-server --protected-mode no --save ""
}

# xen-rig/rig tinyx-bench [RUNS]: sizes and boot times of the tinyx VMs, on the small kernel and on
# Debian's, against the unikernel and a minbase Debian (docs/tinyx.md).
rig_tinyx_bench() {
  local runs=${1:-3} out="$REPO_DIR/target/bench" vm vms=() t=target/tinyx
  rig_build_for_dom0 -q -DskipTests package
  rig_tinyx_images
  rig_tinyx_baselines
  mkdir -p "$out"
  for vm in "lighttpd,small,$t/lighttpd/vm.cfg=http:http://10.0.0.11/" \
    "lighttpd,debian,$t/lighttpd-debian/vm.cfg=http:http://10.0.0.11/" \
    "redis,small,$t/redis/vm.cfg=ping:10.0.0.12" "redis,debian,$t/redis-debian/vm.cfg=ping:10.0.0.12" \
    "python,small,$t/python/vm.cfg=line:tinyx python: 2**100" \
    "python,debian,$t/python-debian/vm.cfg=line:tinyx python: 2**100" \
    "redis-minbase,debian,$t/redis-minbase/vm.cfg=ping:10.0.0.12" \
    "unikernel,unikernel,examples/unikernel.cfg=line:chaos unikernel: noop"; do
    vms+=("$(printf '%q' "$vm")")
  done
  rig_boot_run "xen-rig/dom0/java org.chaosvm.cli.TinyxBenchmark $runs ${vms[*]} \
--out target/bench/tinyx-boot.md --tsv target/bench/tinyx.tsv" || rig_die "the benchmark failed"
  rig_log "results: target/bench/tinyx-boot.md, target/bench/tinyx.tsv (chaos), tinyx-xl.tsv (xl)"
}
