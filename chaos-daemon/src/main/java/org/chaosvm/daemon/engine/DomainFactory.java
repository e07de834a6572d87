package org.chaosvm.daemon.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.Errno;
import org.chaosvm.libxc.KernelImage;
import org.chaosvm.libxc.PvBuild;
import org.chaosvm.libxc.PvRestore;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.libxc.XenElfNotes;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two phases of the split toolstack on real Xen: {@link #prepare} makes a VM shell ahead of
 * time, {@link #execute} turns one into a running guest. A failure in either destroys what it had
 * made before the exception goes on.
 */
final class DomainFactory {
  private static final Logger log = LoggerFactory.getLogger(DomainFactory.class);

  private final XenHandles handles;
  private final KernelCache kernels = new KernelCache();
  private final Map<DeviceMechanism, Mechanism> mechanisms;
  private final BootWatch boots;

  private final Pygrub pygrub;

  DomainFactory(
      XenHandles handles,
      BootWatch boots,
      Map<DeviceMechanism, Mechanism> mechanisms,
      Pygrub pygrub) {
    this.handles = handles;
    this.boots = boots;
    this.pygrub = pygrub;
    this.mechanisms = Map.copyOf(mechanisms);
  }

  Mechanism mechanism(DeviceMechanism kind) {
    Mechanism mechanism = mechanisms.get(kind);
    if (mechanism == null) {
      // XenStore's, on a Dom0 without xenstored
      throw new ChaosException(
          ErrorCode.CONFIG,
          "this daemon serves noxs guests only (it runs without XenStore: chaos-daemon"
              + " --no-xenstore); give the guest dev_method = \"noxs\"");
    }
    return mechanism;
  }

  /**
   * The prepare phase: creates a paused domain of {@code size}, sets its vCPUs, memory limits and
   * CPU policy, allocates its console and XenStore event channels, marks it a shell, and does its
   * mechanism's share (XenStore: vif 0 plugged; noxs: the control device).
   */
  Shell prepare(SizeClass size) {
    Mechanism mechanism = mechanism(size.devices());
    UUID uuid = DomainLayout.shellHandle();
    List<DomId> made = new ArrayList<>(1);
    try {
      PvBuild.Prepared domain =
          PvBuild.prepare(
              handles.xc(),
              uuid,
              size.vcpus(),
              size.memoryMib() * 1024L,
              mechanism.xenstoreChannel(),
              domid -> {
                made.add(domid);
                mechanism.markShell(domid); // a crash from here on leaves a marked shell
              });
      mechanism.prepare(domain);
      return new Shell(domain, size);
    } catch (RuntimeException e) {
      made.forEach(domid -> destroyQuietly(domid, Optional.of(uuid), mechanism, e));
      throw e;
    }
  }

  /**
   * The execute phase: attaches the guest's devices, runs its bootloader if it has one, loads its
   * kernel and ramdisk into the shell, builds it, describes it to Dom0 the way of its mechanism
   * (XenStore: its nodes and the introduction to xenstored and so to xenconsoled), starts watching
   * its console for its boot (of a create that began at {@code startNanos}), waits for its devices'
   * back ends and, unless the config says paused, unpauses it. {@code uuid} replaces the shell's if
   * it differs (the config's).
   */
  DomId execute(
      Shell shell,
      GuestConfig config,
      UUID uuid,
      String configText,
      boolean paused,
      Phases phases,
      long startNanos) {
    XenCtrl xc = handles.xc();
    DomId domid = shell.domid();
    Mechanism mechanism = mechanism(shell.size().devices());
    Optional<Pygrub.Boot> bootloaded = Optional.empty();
    GuestConfig guest = config;
    try {
      mechanism.markBuilding(domid, guest.name(), uuid);
      phases.end("record"); // with the record's final write, in describe
      // The devices first: their back ends' drivers get ready while the kernel is loaded and built.
      mechanism.devices().attachAll(domid, config);
      phases.end("devices");
      if (config.bootloader().isPresent()) {
        bootloaded = Optional.of(pygrub.run(domid, config));
        guest = bootloaded.get().of(config);
        phases.end("bootloader");
      }
      config
          .cpus()
          .ifPresent(
              cpus -> {
                for (int vcpu = 0; vcpu < config.maxVcpus(); vcpu++) {
                  xc.setVcpuAffinity(domid, vcpu, cpus);
                }
              });
      // A bootloader's kernel is a file of the moment: neither looked up nor kept.
      Optional<KernelImage> cached =
          bootloaded.isPresent() ? Optional.empty() : kernels.get(guest.kernel());
      PvBuild.Built built =
          PvBuild.build(
              xc,
              shell.domain(),
              new PvBuild.Image(
                  guest.kernel(),
                  cached,
                  guest.ramdisk(),
                  guest.cmdline(),
                  guest.memoryMib(),
                  guest.maxVcpus()),
              phases::end);
      if (cached.isEmpty() && bootloaded.isEmpty()) {
        kernels.put(guest.kernel(), built.kernel());
      }
      mechanism.describe(shell, guest, uuid, configText, built.rings(), false, phases);
      Optional<String> guestOs = XenElfNotes.guestOs(built.kernel());
      try {
        mechanism
            .console()
            .watchBoot(
                boots, domid, built.consoleMfn(), startNanos, bootloader(bootloaded, guestOs));
      } catch (XenException e) {
        log.warn("cannot watch {}'s console for its boot: {}", guest.name(), e.getMessage());
      }
      phases.end("boot watch");
      start(mechanism, domid, paused, frontEndsWait(guestOs), phases);
      return domid;
    } catch (XenException e) {
      destroyQuietly(domid, Optional.of(uuid), mechanism, e);
      throw translate(e, guest);
    } catch (RuntimeException e) {
      destroyQuietly(domid, Optional.of(uuid), mechanism, e);
      throw e;
    } finally {
      bootloaded.ifPresent(Pygrub.Boot::close);
    }
  }

  /**
   * The execute phase of a restore: as {@link #execute}, but the shell is filled from a
   * checkpoint's stream ({@code streamFd}, libxenguest's) instead of a kernel: the guest's devices
   * made again from {@code config}, its memory and vCPUs restored, then described to Dom0 with the
   * rings where the restore put them. The guest goes on where it was saved (its suspend call
   * returns), unless {@code paused}. A {@code held} guest (a migration's incoming one) stays paused
   * and recorded as being built until {@link Mechanism#confirm}. {@code streamRead} runs once the
   * whole stream is read ({@link PvRestore}), before the guest is described to Dom0.
   */
  DomId restore(
      Shell shell,
      GuestConfig config,
      UUID uuid,
      String configText,
      boolean paused,
      boolean held,
      int streamFd,
      Runnable streamRead,
      Phases phases) {
    XenCtrl xc = handles.xc();
    DomId domid = shell.domid();
    Mechanism mechanism = mechanism(shell.size().devices());
    try {
      mechanism.markBuilding(domid, config.name(), uuid);
      phases.end("record");
      mechanism.devices().attachAll(domid, config);
      phases.end("devices");
      PvBuild.Rings rings = restoreStream(xc, shell.domain(), config, streamFd, phases);
      streamRead.run();
      mechanism.describe(shell, config, uuid, configText, rings, held, phases);
      start(mechanism, domid, paused || held, false, phases);
      return domid;
    } catch (XenException e) {
      destroyQuietly(domid, Optional.of(uuid), mechanism, e);
      throw translate(e, config);
    } catch (RuntimeException e) {
      destroyQuietly(domid, Optional.of(uuid), mechanism, e);
      throw e;
    }
  }

  /**
   * The guest's memory and vCPUs from the stream; what goes wrong there (the stream itself, or what
   * Xen refuses of it) is the image's fault.
   */
  private static PvBuild.Rings restoreStream(
      XenCtrl xc, PvBuild.Prepared domain, GuestConfig config, int streamFd, Phases phases) {
    try {
      return PvRestore.restore(xc, domain, streamFd, phases::end);
    } catch (XenException e) {
      throw new ChaosException(
          ErrorCode.BAD_REQUEST,
          "cannot restore "
              + config.name()
              + ": its image's stream is incomplete or damaged: "
              + e.getMessage(),
          e);
    }
  }

  /**
   * The end of either execute phase: the devices' back ends ready (as libxl: no front end may find
   * its back end absent), then the guest unpaused unless {@code paused}. A guest whose front ends
   * wait for their back ends ({@code frontEndsWait}) is unpaused first, so that its boot overlaps
   * with Dom0's drivers; the wait still ends the phase, and a back end that fails still fails the
   * create (the caller destroys the guest).
   */
  private void start(
      Mechanism mechanism, DomId domid, boolean paused, boolean frontEndsWait, Phases phases) {
    if (frontEndsWait && !paused) {
      handles.xc().unpause(domid);
      phases.end("unpause");
      mechanism.devices().awaitReady(domid);
      phases.end("back ends ready");
      return;
    }
    mechanism.devices().awaitReady(domid);
    phases.end("back ends ready");
    if (!paused) {
      handles.xc().unpause(domid);
    }
    phases.end("unpause");
  }

  /**
   * Whether the guest's front ends wait for their back ends, so that it may run before they are
   * ready: Linux's do (netfront and blkfront follow the back end's state, and the kernel waits for
   * its boot's devices before it mounts its root), also when pygrub found the kernel. PV-GRUB2's
   * disk driver does not (its guest OS is "GRUB"), nor is it known of other kernels: they keep
   * libxl's order. {@code guestOs} is the kernel's {@code XEN_ELFNOTE_GUEST_OS}.
   */
  private static boolean frontEndsWait(Optional<String> guestOs) {
    return guestOs.filter("linux"::equals).isPresent();
  }

  /** What boots the guest before its kernel, for what its boot time means ({@link BootWatch}). */
  private static Optional<String> bootloader(
      Optional<Pygrub.Boot> bootloaded, Optional<String> guestOs) {
    if (bootloaded.isPresent()) {
      return Optional.of("pygrub");
    }
    return guestOs.filter("GRUB"::equals).map(os -> "PV-GRUB2");
  }

  /** Destroys a domain, then what it leaves of its mechanism (back ends, records). */
  void destroy(DomId domid, Optional<UUID> uuid, DeviceMechanism kind) {
    destroy(domid, uuid, kind, new Phases());
  }

  /**
   * {@link #destroy}, its steps timed in {@code phases}. As libxl does, the domain is paused and
   * its remains removed before Xen is asked to destroy it: back ends then let go of its pages at
   * once, and xenstored serves the removals before the domain's release keeps it and every watcher
   * of {@code @releaseDomain} busy (with 100 guests, the same requests took twice as long after the
   * destroy). A shell's handle first: a daemon killed before the destroy, which finds a domain
   * without its marks, then destroys it as a shell at its start.
   */
  void destroy(DomId domid, Optional<UUID> uuid, DeviceMechanism kind, Phases phases) {
    boots.forget(domid); // its mapped console page would keep the domain from being freed
    XenCtrl xc = handles.xc();
    boolean exists = ignoringGone(() -> xc.setHandle(domid, DomainLayout.shellHandle()));
    if (exists) {
      ignoringGone(() -> xc.pause(domid));
    }
    phases.end("destroy pause");
    try {
      removeRemains(domid, uuid, kind);
      phases.end("destroy remains");
    } finally {
      if (exists) {
        ignoringGone(() -> xc.destroy(domid));
      }
      phases.end("destroy domain");
    }
  }

  /** Runs a hypercall on a domain; false if the domain is gone (ESRCH). */
  private static boolean ignoringGone(Runnable call) {
    try {
      call.run();
      return true;
    } catch (XenException e) {
      if (e.errno() != Errno.ESRCH) {
        throw e;
      }
      return false;
    }
  }

  /**
   * Removes what a domain that is gone leaves: its devices' back ends (and so its interfaces and
   * loop devices in Dom0) and its mechanism's marks and records.
   */
  void removeRemains(DomId domid, Optional<UUID> uuid, DeviceMechanism kind) {
    boots.forget(domid);
    mechanism(kind).removeRemains(domid, uuid);
  }

  private void destroyQuietly(
      DomId domid, Optional<UUID> uuid, Mechanism mechanism, Throwable failure) {
    try {
      destroy(domid, uuid, mechanism.kind());
    } catch (RuntimeException cleanup) {
      failure.addSuppressed(cleanup);
    }
  }

  /** Xen's refusals in words a sysadmin acts on, keeping Xen's own message. */
  static ChaosException translate(XenException e, GuestConfig guest) {
    if (e.errno() == Errno.ENOMEM || e.function().equals("xc_dom_boot_mem_init")) {
      return new ChaosException(
          ErrorCode.NO_CAPACITY,
          "not enough free memory for "
              + guest.name()
              + " ("
              + guest.memoryMib()
              + " MiB): "
              + e.getMessage(),
          e);
    }
    if (e.function().equals("xc_dom_kernel_file") || e.function().equals("xc_dom_module_file")) {
      return new ChaosException(
          ErrorCode.CONFIG,
          "cannot load " + guest.name() + "'s kernel or ramdisk: " + e.getMessage(),
          e);
    }
    if (e.function().equals("xc_dom_parse_image")) {
      return new ChaosException(
          ErrorCode.CONFIG,
          guest.kernel() + " is not a kernel Xen can boot as a PV guest: " + e.getMessage(),
          e);
    }
    return new ChaosException(
        ErrorCode.XEN, "cannot create " + guest.name() + ": " + e.getMessage(), e);
  }
}
