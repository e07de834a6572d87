package org.chaosvm.libxc;

import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * The PV build sequence libxl runs for {@code xl create}, cut in the three steps a split toolstack
 * needs:
 *
 * <ol>
 *   <li>{@link #prepare}: a paused, empty domain with its vCPU and memory limits, CPU policy and
 *       the console and XenStore event channels; nothing of the guest is known yet;
 *   <li>{@link #build}: the kernel and ramdisk loaded, memory populated, the start info, page
 *       tables and grant table made;
 *   <li>{@link #finish}: its XenStore nodes written and the domain introduced to xenstored (which
 *       xenconsoled follows).
 * </ol>
 *
 * The caller unpauses. A restore ({@link PvRestore#restore}) reuses {@link #prepare} and {@link
 * #finish}.
 */
public final class PvBuild {
  /** libxl's LIBXL_MAXMEM_CONSTANT: slack above the guest's memory for Xen's own use, in KiB. */
  public static final long MAXMEM_SLACK_KIB = 1024;

  /**
   * A prepared domain.
   *
   * @param maxMemoryKib the most memory the guest may have (its memmap limit)
   */
  public record Prepared(
      DomId domid, UUID handle, int maxVcpus, long maxMemoryKib, int consolePort, int storePort) {}

  /**
   * What to build into a prepared domain.
   *
   * @param kernel the kernel file
   * @param parsedKernel the same kernel as an earlier build parsed it ({@link Built#kernel}), which
   *     spares decompressing it again
   * @param vcpus vCPUs the guest may bring online (at most the domain's maximum)
   */
  public record Image(
      Path kernel,
      Optional<KernelImage> parsedKernel,
      Optional<Path> ramdisk,
      String cmdline,
      int memoryMib,
      int vcpus) {}

  /**
   * A built domain.
   *
   * @param kernel the kernel as the builder holds it after parsing, for later builds
   * @param consoleMfn the console ring's frame, for XenStore and for mapping it
   * @param storeMfn the XenStore ring's frame, for introducing the domain
   */
  public record Built(KernelImage kernel, long consoleMfn, long storeMfn) {
    public Rings rings() {
      return new Rings(consoleMfn, storeMfn);
    }
  }

  /**
   * Where a guest's console and XenStore rings are, as a build or a restore ({@link
   * PvRestore#restore}) leaves them: what Dom0 needs to describe the guest.
   */
  public record Rings(long consoleMfn, long storeMfn) {}

  private PvBuild() {}

  /**
   * Creates a paused domain and sets it up for a PV guest of at most {@code maxVcpus} and {@code
   * maxMemoryKib}. {@code created} is told the domid as soon as the domain exists (a toolstack
   * marks it then, so that a crash leaves nothing it cannot find). On failure the domain is
   * destroyed before the exception goes on.
   */
  public static Prepared prepare(
      XenCtrl xc, UUID handle, int maxVcpus, long maxMemoryKib, Consumer<DomId> created) {
    return prepare(xc, handle, maxVcpus, maxMemoryKib, true, created);
  }

  /**
   * As {@link #prepare(XenCtrl, UUID, int, long, Consumer)}; without {@code xenstore} the domain
   * gets no XenStore event channel (start_info's is 0): a guest that finds no XenStore there does
   * not wait for one (Linux's xenbus then waits in a thread of its own instead of at boot).
   */
  public static Prepared prepare(
      XenCtrl xc,
      UUID handle,
      int maxVcpus,
      long maxMemoryKib,
      boolean xenstore,
      Consumer<DomId> created) {
    DomId domid = xc.createDomain(DomainConfig.pv(handle, maxVcpus));
    try {
      created.accept(domid);
      xc.applyDefaultCpuPolicy(domid);
      xc.setMaxVcpus(domid, maxVcpus);
      xc.setMaxMemory(domid, maxMemoryKib + MAXMEM_SLACK_KIB);
      xc.setMemmapLimit(domid, maxMemoryKib);
      int consolePort = xc.allocUnboundEventChannel(domid, DomId.DOM0);
      int storePort = xenstore ? xc.allocUnboundEventChannel(domid, DomId.DOM0) : 0;
      return new Prepared(domid, handle, maxVcpus, maxMemoryKib, consolePort, storePort);
    } catch (RuntimeException | Error e) {
      try {
        xc.destroy(domid);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /**
   * Builds {@code image} into a prepared domain, calling {@code phases} with the name of each step
   * as it ends ("image load", "image parse", "build"). The domain is left as it is on failure: the
   * caller destroys it.
   */
  public static Built build(XenCtrl xc, Prepared domain, Image image, Consumer<String> phases) {
    try (DomainBuilder builder = DomainBuilder.allocate(xc, image.cmdline(), null)) {
      if (image.parsedKernel().isPresent()) {
        builder.kernelMemory(image.parsedKernel().get());
      } else {
        builder.kernelFile(image.kernel());
      }
      image.ramdisk().ifPresent(builder::ramdiskFile);
      builder
          .console(domain.consolePort(), DomId.DOM0)
          .xenstore(domain.storePort(), DomId.DOM0)
          .maxVcpus(image.vcpus());
      phases.accept("image load");
      builder.bootXenInit(domain.domid());
      builder.parseImage();
      KernelImage parsed = image.parsedKernel().orElseGet(builder::kernelImage);
      phases.accept(
          image.parsedKernel().isPresent() ? "image parse (cached kernel)" : "image parse");
      builder.memInit(image.memoryMib());
      builder.bootMemInit();
      builder.buildImage();
      builder.bootImage();
      builder.gnttabInit();
      phases.accept("build");
      return new Built(parsed, builder.consoleMfn(), builder.xenstoreMfn());
    }
  }

  /**
   * Writes the guest's XenStore nodes in one transaction, with the toolstack's own ({@code more},
   * given the transaction), then introduces the domain; {@code phases} is told "xenstore nodes",
   * then "introduce".
   */
  public static void finish(
      XenStore xs, PvGuestNodes nodes, IntConsumer more, Consumer<String> phases) {
    finish(xs, nodes, Optional.empty(), more, phases);
  }

  /**
   * {@link #finish}, for a domain whose nodes were written when it was prepared ({@link
   * PvGuestNodes#writeAhead(XenStore, int, Prepared)}): only the guest's own ({@link
   * PvGuestNodes#writeGuestAfter}).
   */
  public static void finish(
      XenStore xs,
      PvGuestNodes nodes,
      Prepared writtenAhead,
      IntConsumer more,
      Consumer<String> phases) {
    finish(xs, nodes, Optional.of(writtenAhead), more, phases);
  }

  private static void finish(
      XenStore xs,
      PvGuestNodes nodes,
      Optional<Prepared> writtenAhead,
      IntConsumer more,
      Consumer<String> phases) {
    xs.inTransaction(
        t -> {
          if (writtenAhead.isPresent()) {
            nodes.writeGuestAfter(xs, t, writtenAhead.get());
          } else {
            nodes.write(xs, t);
          }
          more.accept(t);
          return null;
        });
    phases.accept("xenstore nodes");
    xs.introduceDomain(nodes.domid(), nodes.storeMfn(), nodes.storePort());
    phases.accept("introduce");
  }
}
