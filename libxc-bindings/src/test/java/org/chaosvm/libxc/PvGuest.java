package org.chaosvm.libxc;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A PV guest built and started from Java alone through {@link PvBuild}'s three steps (those libxl
 * takes for {@code xl create}): prepare the domain (limits, CPU policy, console and XenStore event
 * channels), build it from a kernel and ramdisk, finish it (its XenStore nodes, introduced, so
 * {@code xl list} names it and xenconsoled serves its console), then unpause it.
 *
 * <p>A failure at any step destroys the half-built domain and removes its XenStore entries before
 * the exception goes on. Each phase's time is recorded, for the benchmark.
 */
final class PvGuest {
  /** A guest to boot; {@code ramdisk} null for none. */
  record Spec(String name, Path kernel, Path ramdisk, String cmdline, int memoryMib, int vcpus) {}

  final Spec spec;
  final UUID uuid = UUID.randomUUID();
  final Map<String, Long> phaseNanos = new LinkedHashMap<>();
  DomId domid;
  private long phaseStart;

  private PvGuest(Spec spec) {
    this.spec = spec;
  }

  /** Builds and starts the guest; on failure nothing of it is left. */
  static PvGuest boot(XenCtrl xc, XenStore xs, Spec spec) {
    PvGuest guest = new PvGuest(spec);
    try {
      guest.run(xc, xs);
      return guest;
    } catch (RuntimeException | Error e) {
      try {
        guest.destroy(xc, xs);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private void run(XenCtrl xc, XenStore xs) {
    phase(null);
    long memoryKib = spec.memoryMib() * 1024L;
    PvBuild.Prepared domain =
        PvBuild.prepare(xc, uuid, spec.vcpus(), memoryKib, created -> domid = created);
    phase("create, limits, cpu policy, event channels");
    PvBuild.Built built =
        PvBuild.build(
            xc,
            domain,
            new PvBuild.Image(
                spec.kernel(),
                Optional.empty(),
                Optional.ofNullable(spec.ramdisk()),
                spec.cmdline(),
                spec.memoryMib(),
                spec.vcpus()),
            this::phase);
    PvGuestNodes nodes =
        new PvGuestNodes(
            domid,
            uuid,
            spec.name(),
            memoryKib,
            memoryKib,
            spec.vcpus(),
            spec.vcpus(),
            built.consoleMfn(),
            domain.consolePort(),
            built.storeMfn(),
            domain.storePort());
    xs.rm(XenStore.NO_TRANSACTION, PvGuestNodes.domainPath(domid));
    PvBuild.finish(xs, nodes, t -> {}, this::phase);
    xc.unpause(domid);
    phase("unpause");
  }

  /** Destroys the domain (if it was created) and removes its XenStore entries. */
  void destroy(XenCtrl xc, XenStore xs) {
    if (domid == null) {
      return;
    }
    String dom = "/local/domain/" + domid.value();
    xs.rm(XenStore.NO_TRANSACTION, dom);
    xs.rm(XenStore.NO_TRANSACTION, "/vm/" + uuid);
    if (xc.domainInfo(domid).isPresent()) {
      xc.destroy(domid);
    }
  }

  private void phase(String finished) {
    long now = System.nanoTime();
    if (finished != null) {
      phaseNanos.put(finished, now - phaseStart);
    }
    phaseStart = now;
  }
}
