package org.chaosvm.libxc;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A PV guest built and started from Java alone, the way a toolstack must (the steps libxl takes for
 * {@code xl create}): create the domain, set its limits and CPU policy, allocate its console and
 * XenStore event channels, build it from a kernel and ramdisk, describe it in XenStore and
 * introduce it (so {@code xl list} names it and xenconsoled serves its console), unpause it.
 *
 * <p>A failure at any step destroys the half-built domain and removes its XenStore entries before
 * the exception goes on. Each phase's time is recorded, for the benchmark.
 */
final class PvGuest {
  /** libxl's LIBXL_MAXMEM_CONSTANT: slack above the guest's memory for Xen's own use, in KiB. */
  static final long MAXMEM_SLACK_KIB = 1024;

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
    domid = xc.createDomain(DomainConfig.pv(uuid, spec.vcpus()));
    phase("create");
    xc.applyDefaultCpuPolicy(domid);
    xc.setMaxVcpus(domid, spec.vcpus());
    long memoryKib = spec.memoryMib() * 1024L;
    xc.setMaxMemory(domid, memoryKib + MAXMEM_SLACK_KIB);
    xc.setMemmapLimit(domid, memoryKib);
    int consolePort = xc.allocUnboundEventChannel(domid, DomId.DOM0);
    int storePort = xc.allocUnboundEventChannel(domid, DomId.DOM0);
    phase("limits, cpu policy, event channels");

    long consoleMfn;
    long storeMfn;
    try (DomainBuilder builder = DomainBuilder.allocate(xc, spec.cmdline(), null)) {
      builder
          .kernelFile(spec.kernel())
          .ramdiskFile(spec.ramdisk())
          .console(consolePort, DomId.DOM0)
          .xenstore(storePort, DomId.DOM0)
          .maxVcpus(spec.vcpus());
      phase("load kernel and ramdisk");
      builder.bootXenInit(domid);
      builder.parseImage();
      phase("parse image");
      builder.memInit(spec.memoryMib());
      builder.bootMemInit();
      phase("populate memory");
      builder.buildImage();
      builder.bootImage();
      builder.gnttabInit();
      phase("build and boot image");
      consoleMfn = builder.consoleMfn();
      storeMfn = builder.xenstoreMfn();
    }

    PvGuestNodes nodes =
        new PvGuestNodes(
            domid,
            uuid,
            spec.name(),
            memoryKib,
            memoryKib,
            spec.vcpus(),
            spec.vcpus(),
            consoleMfn,
            consolePort,
            storeMfn,
            storePort);
    xs.inTransaction(
        t -> {
          xs.rm(t, PvGuestNodes.domainPath(domid));
          nodes.write(xs, t);
          return null;
        });
    xs.introduceDomain(domid, storeMfn, storePort);
    phase("xenstore and console");
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
