# The tinyx VMs of the end-to-end tests (TinyxE2ETest) and of the tinyx benchmark, built on the host
# by tinyx itself from Debian packages into target/tinyx/NAME (vm.cfg, vmlinuz, rootfs.cpio.gz,
# report.txt), seen in Dom0 under /host/target/tinyx/NAME. tinyx skips a VM whose inputs have not
# changed and keeps its downloaded packages in its own cache (~/.cache/chaos-tinyx).
# shellcheck shell=bash

RIG_TINYX_OUT="$REPO_DIR/target/tinyx"

# rig_tinyx NAME TINYX-ARGS...: one VM.
rig_tinyx() {
  local name=$1
  shift
  "$REPO_DIR/tinyx-builder/target/tinyx/bin/tinyx" -n "$name" -o "$RIG_TINYX_OUT/$name" \
    --boot-dir "/host/target/tinyx/$name" "$@" >"$RIG_TINYX_OUT/$name.log" 2>&1 ||
    { tail -n 20 "$RIG_TINYX_OUT/$name.log" >&2; rig_die "tinyx could not build $name (log above)"; }
  rig_log "tinyx $name: $(tail -n 1 "$RIG_TINYX_OUT/$name.log" | sed 's/^tinyx: *//')"
}

rig_tinyx_images() {
  local ex="$REPO_DIR/examples/tinyx"
  [ -x "$REPO_DIR/tinyx-builder/target/tinyx/bin/tinyx" ] || rig_die "tinyx is not built (mvn package)"
  mkdir -p "$RIG_TINYX_OUT"
  rig_tinyx lighttpd lighttpd --ip 10.0.0.11/24 \
    -f "$ex/lighttpd/lighttpd.conf:/etc/lighttpd/lighttpd.conf" -f "$ex/lighttpd/www:/srv/www" \
    -- lighttpd -D -f /etc/lighttpd/lighttpd.conf
  rig_tinyx redis redis-server --ip 10.0.0.12/24 -- redis-server --protected-mode no --save ""
  rig_tinyx python python3 --no-network -f "$ex/python/hello.py:/app/hello.py" -- python3 /app/hello.py
}
