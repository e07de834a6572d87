# Booting the rig: Xen and Dom0 under QEMU, one command run in Dom0, then power-off.
# shellcheck shell=bash

RIG_TIMEOUT_GIVEN=${RIG_TIMEOUT:-}
RIG_TIMEOUT=${RIG_TIMEOUT:-1500}    # seconds for one boot, command included
RIG_MEMORY=${RIG_MEMORY:-4096}      # MiB of the QEMU machine; Dom0 gets RIG_DOM0_MEMORY of it
RIG_DOM0_MEMORY=${RIG_DOM0_MEMORY:-2048}
# Dom0's vCPUs: one leaves the other physical CPU to the guests.
RIG_DOM0_VCPUS=${RIG_DOM0_VCPUS:-1}
RIG_ACCEL=${RIG_ACCEL:-tcg}         # tcg, or kvm where nested KVM runs Xen well (see docs/rig.md)
RIG_XEN_ARGS=${RIG_XEN_ARGS:-}      # more of Xen's command line, e.g. loglvl=all
RIG_TCG_THREAD=${RIG_TCG_THREAD:-multi} # TCG's threading: multi (a host thread per vCPU) or single

RIG_RUN_DIR=
RIG_QEMU_PID=

# Xen switches FPU state lazily by default: CR0.TS is set on a vCPU switch and the state is loaded
# on the first FPU instruction's #NM trap. Under QEMU's TCG that corrupts Dom0's processes whenever
# guests run beside them (xl and JVMs alike crash; docs/rig.md, "Dom0 processes corrupted under
# TCG"). With eager switching (spec-ctrl=eager-fpu) it never happened.
RIG_XEN_FIXED_ARGS="smap=0 smep=0 spec-ctrl=eager-fpu"

# A run whose rig was killed outright (SIGKILL) leaves its QEMU running and its folder behind: stop
# and remove those, leaving alone the runs whose rig is still alive (runs may go on side by side).
rig_reap_stale_runs() {
  local dir owner pid
  for dir in "$RIG_CACHE"/runs/run.*; do
    [ -d "$dir" ] || continue
    owner=$(cat "$dir/owner" 2>/dev/null)
    [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
    pid=$(cat "$dir/qemu.pid" 2>/dev/null)
    if [ -n "$pid" ] && grep -qs qemu-system "/proc/$pid/cmdline"; then
      rig_log "stopping a QEMU left by an earlier run (pid $pid)"
      kill "$pid" 2>/dev/null
      sleep 1
      kill -9 "$pid" 2>/dev/null
    fi
    rm -rf "$dir"
  done
}

rig_stop_qemu() {
  local pid
  if [ -n "$RIG_QEMU_PID" ] && kill -0 "$RIG_QEMU_PID" 2>/dev/null; then
    kill "$RIG_QEMU_PID" 2>/dev/null
    sleep 1
    kill -9 "$RIG_QEMU_PID" 2>/dev/null
  fi
  pid=$(cat "$RIG_RUN_DIR/qemu.pid" 2>/dev/null)
  if [ -n "$pid" ] && grep -qs qemu-system "/proc/$pid/cmdline"; then
    kill -9 "$pid" 2>/dev/null
  fi
  RIG_QEMU_PID=
}

rig_cleanup_run() {
  [ -n "$RIG_RUN_DIR" ] && [ -d "$RIG_RUN_DIR" ] || return 0
  rig_stop_qemu
  mkdir -p "$REPO_DIR/target/rig"
  cp "$RIG_RUN_DIR/boot.log" "$REPO_DIR/target/rig/last-boot.log" 2>/dev/null
  rm -rf "$RIG_RUN_DIR"
  RIG_RUN_DIR=
}

rig_qemu_accel_args() {
  case "$RIG_ACCEL" in
    tcg) printf '%s\n' -accel "tcg,thread=$RIG_TCG_THREAD" -cpu max ;;
    kvm)
      [ -w /dev/kvm ] || rig_die "RIG_ACCEL=kvm but /dev/kvm is not usable"
      printf '%s\n' -accel kvm -cpu host
      ;;
    *) rig_die "RIG_ACCEL must be tcg or kvm, not '$RIG_ACCEL'" ;;
  esac
}

# rig_boot_run COMMAND: boots the rig, runs COMMAND (a bash script text) in Dom0 as root with the
# checkout as working directory, streams its output, and returns its exit code.
rig_boot_run() {
  local command=$1 start rc accel_args ready
  rig_check_prerequisites
  rig_images
  mkdir -p "$RIG_CACHE/runs"
  rig_reap_stale_runs
  RIG_RUN_DIR=$(mktemp -d "$RIG_CACHE/runs/run.XXXXXX")
  echo $$ >"$RIG_RUN_DIR/owner"
  trap 'rig_cleanup_run' EXIT
  trap 'rig_log "interrupted"; exit 130' INT TERM HUP
  mkdir "$RIG_RUN_DIR/images"
  ln "$RIG_VMLINUZ" "$RIG_RUN_DIR/images/vmlinuz" 2>/dev/null || cp "$RIG_VMLINUZ" "$RIG_RUN_DIR/images/vmlinuz"
  ln "$RIG_GUEST_INITRD" "$RIG_RUN_DIR/images/guest.cpio.gz" 2>/dev/null ||
    cp "$RIG_GUEST_INITRD" "$RIG_RUN_DIR/images/guest.cpio.gz"
  ln "$RIG_PVGRUB" "$RIG_RUN_DIR/images/grub-x86_64-xen.bin" 2>/dev/null ||
    cp "$RIG_PVGRUB" "$RIG_RUN_DIR/images/grub-x86_64-xen.bin"
  ln "$RIG_NETBACK_NOXS" "$RIG_RUN_DIR/images/xen-netback-noxs.ko" 2>/dev/null ||
    cp "$RIG_NETBACK_NOXS" "$RIG_RUN_DIR/images/xen-netback-noxs.ko"
  printf '%s\n' "$command" >"$RIG_RUN_DIR/cmd"
  : >"$RIG_RUN_DIR/out"

  mapfile -t accel_args < <(rig_qemu_accel_args)
  printf '%s\n' "$RIG_XEN" >"$RIG_RUN_DIR/xen"
  rig_log "booting Xen $RIG_XEN_VERSION + Dom0 $RIG_KERNEL_RELEASE under QEMU" \
    "(accel=$RIG_ACCEL, ${RIG_MEMORY} MiB, Dom0 ${RIG_DOM0_MEMORY} MiB and $RIG_DOM0_VCPUS vCPU," \
    "limit ${RIG_TIMEOUT} s)"
  start=$(date +%s.%N)
  timeout -k 5 "$RIG_TIMEOUT" qemu-system-x86_64 "${accel_args[@]}" \
    -m "$RIG_MEMORY" -smp 2 -display none -monitor none -no-reboot \
    -serial "file:$RIG_RUN_DIR/boot.log" -pidfile "$RIG_RUN_DIR/qemu.pid" \
    -kernel "$RIG_XEN_ELF" \
    -append "console=com1 com1=115200 dom0_mem=${RIG_DOM0_MEMORY}M,max:${RIG_DOM0_MEMORY}M dom0_max_vcpus=$RIG_DOM0_VCPUS $RIG_XEN_FIXED_ARGS $RIG_XEN_ARGS" \
    -initrd "$RIG_VMLINUZ console=hvc0 rdinit=/init quiet,$RIG_DOM0_CPIO" \
    -virtfs "local,path=$REPO_DIR,mount_tag=hostshare,security_model=none,id=hostshare" \
    -virtfs "local,path=$RIG_RUN_DIR,mount_tag=rigshare,security_model=none,id=rigshare" \
    </dev/null >"$RIG_RUN_DIR/qemu.log" 2>&1 &
  RIG_QEMU_PID=$!

  # Stream the command's output as Dom0 writes it; tail ends once QEMU has gone.
  ready=
  tail -n +1 -s 0.3 --pid="$RIG_QEMU_PID" -f "$RIG_RUN_DIR/out" &
  local tail_pid=$!
  while kill -0 "$RIG_QEMU_PID" 2>/dev/null; do
    if [ -z "$ready" ] && [ -s "$RIG_RUN_DIR/dom0-ready" ]; then
      ready=$(rig_elapsed "$start")
      rig_log "Dom0 ready after $ready s; running the command"
    fi
    sleep 0.3
  done
  wait "$RIG_QEMU_PID"
  rc=$?
  wait "$tail_pid" 2>/dev/null
  RIG_QEMU_PID=
  rig_log "rig stopped after $(rig_elapsed "$start") s"

  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    rig_log "timed out after ${RIG_TIMEOUT} s (RIG_TIMEOUT); last lines of the serial console:"
    tail -n 30 "$RIG_RUN_DIR/boot.log" >&2
    return 124
  fi
  if [ ! -s "$RIG_RUN_DIR/rc" ]; then
    rig_log "the rig stopped before the command finished (QEMU status $rc); last lines of the serial console:"
    tail -n 30 "$RIG_RUN_DIR/boot.log" >&2
    cat "$RIG_RUN_DIR/qemu.log" >&2
    return 125
  fi
  return "$(cat "$RIG_RUN_DIR/rc")"
}
