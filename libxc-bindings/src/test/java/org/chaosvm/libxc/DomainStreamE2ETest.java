package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Unikernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PV guest's stream on real Xen, from Java alone: the unikernel's count mode saved by libxenguest
 * (suspended through XenStore's control/shutdown), destroyed, restored by {@link PvRestore} into a
 * domain made as a create makes one, and counting on where it left off; or saved and resumed in
 * place.
 */
@Tag("xen")
class DomainStreamE2ETest {
  private static final Duration LIMIT = Duration.ofSeconds(60);
  private static final int MEMORY_MIB = 4;

  private XenCtrl xc;
  private XenStore xs;
  private String name;
  private final List<DomId> domains = new java.util.ArrayList<>();
  private final List<PvGuest> booted = new java.util.ArrayList<>();
  private final List<UUID> handles = new java.util.ArrayList<>();

  @BeforeEach
  void open(TestInfo test) {
    xc = XenCtrl.open();
    xs = XenStore.open();
    name = "stream-" + Integer.toHexString(test.getTestMethod().orElseThrow().getName().hashCode());
  }

  /** Leaves nothing: no domain, no node under /local/domain or /vm (PvBootE2ETest checks). */
  @AfterEach
  void cleanUp() {
    try {
      for (PvGuest guest : booted) {
        guest.destroy(xc, xs);
      }
      for (UUID handle : handles) {
        xs.rm(XenStore.NO_TRANSACTION, "/vm/" + handle);
      }
      for (DomId domid : domains) {
        xs.rm(XenStore.NO_TRANSACTION, PvGuestNodes.domainPath(domid));
        if (xc.domainInfo(domid).isPresent()) {
          xc.destroy(domid);
        }
      }
    } finally {
      xs.close();
      xc.close();
    }
  }

  @Test
  void aSavedUnikernelRestoredIntoANewDomainCountsOnWhereItLeftOff(@TempDir Path dir)
      throws Exception {
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    PvGuest guest = boot();
    console.awaitLineContaining(Unikernel.COUNT + "3", LIMIT);
    Path image = dir.resolve("count.img");

    save(guest.domid, image);
    long last = Unikernel.lastCount(console);
    assertEquals(
        Optional.of(ShutdownReason.SUSPEND), xc.domainInfo(guest.domid).get().shutdownReason());
    guest.destroy(xc, xs);
    // chaos's own save: the pages that are not zeros (a few dozen), the others as pfns alone.
    long size = Files.size(image);
    assertTrue(
        size > 16 * 4096 && size < MEMORY_MIB * 1024L * 1024 / 2,
        "the image holds the pages with data, not the zeros: " + size + " bytes");

    DomId restored = restore(image);

    console.awaitLineContaining(Unikernel.RESUMED, LIMIT);
    console.awaitLineContaining(Unikernel.COUNT + (last + 2), LIMIT);
    assertFalse(
        console.lines().stream()
            .skip(console.lines().indexOf(Unikernel.RESUMED))
            .anyMatch(line -> line.equals(Unikernel.COUNT + "1")),
        "it counted from 1 again: " + console.lines());
    assertFalse(isShutDown(restored));
  }

  @Test
  void aSavedUnikernelResumedInPlaceGoesOn(@TempDir Path dir) throws Exception {
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    PvGuest guest = boot();
    console.awaitLineContaining(Unikernel.COUNT + "2", LIMIT);

    save(guest.domid, dir.resolve("count.img"));
    long last = Unikernel.lastCount(console);
    DomainStream.resume(xc, guest.domid);

    console.awaitLineContaining(Unikernel.SUSPEND_CANCELLED, LIMIT);
    console.awaitLineContaining(Unikernel.COUNT + (last + 2), LIMIT);
    assertFalse(isShutDown(guest.domid));
  }

  @Test
  void aStreamThatNamesHugeFramesOrBatchesIsRefusedBeforeAnythingIsAllocated() {
    PvBuild.Prepared domain =
        PvBuild.prepare(xc, UUID.randomUUID(), 1, MEMORY_MIB * 1024L, domid -> domains.add(domid));
    ByteBuffer head = ByteBuffer.allocate(24 + 16 + 16 + 8).order(ByteOrder.LITTLE_ENDIAN);
    head.order(ByteOrder.BIG_ENDIAN).putLong(-1L).putInt(0x58454E46).putInt(3).putLong(0);
    head.order(ByteOrder.LITTLE_ENDIAN).putInt(1).putShort((short) 12).putShort((short) 0);
    head.putInt(4).putInt(17); // domain header: x86 PV, Xen 4.17
    head.putInt(2).putInt(8).put((byte) 8).put((byte) 4).putShort((short) 0).putInt(0); // PV info
    head.putInt(0x10).putInt(0); // STATIC_DATA_END
    ByteBuffer frames = ByteBuffer.allocate(8 + 8 + 8).order(ByteOrder.LITTLE_ENDIAN);
    frames.putInt(3).putInt(16).putInt(0).putInt(1 << 30).putLong(0); // p2m up to pfn 2^30
    ByteBuffer batch = ByteBuffer.allocate(8 + 8).order(ByteOrder.LITTLE_ENDIAN);
    batch.putInt(1).putInt(8).putInt(1 << 20).putInt(0); // PAGE_DATA of a million pages
    for (ByteBuffer tail : List.of(frames, batch)) {
      byte[] stream = new byte[head.capacity() + tail.capacity()];
      System.arraycopy(head.array(), 0, stream, 0, head.capacity());
      System.arraycopy(tail.array(), 0, stream, head.capacity(), tail.capacity());
      XenException e = assertThrows(XenException.class, () -> restoreBytes(domain, stream));
      assertEquals(PvRestore.FUNCTION, e.function());
      assertTrue(
          e.getMessage().contains("far beyond") || e.getMessage().contains("PAGE_DATA of"),
          e.getMessage());
    }
  }

  /** Restores {@code stream} into {@code domain} through a pipe. */
  private void restoreBytes(PvBuild.Prepared domain, byte[] stream) {
    try (FdPipe pipe = FdPipe.open()) {
      CompletableFuture<Void> feeder =
          CompletableFuture.runAsync(
              () -> {
                try (OutputStream out = pipe.writeStream()) {
                  out.write(stream);
                } catch (IOException e) {
                  // the restore stopped reading: fine
                }
              });
      try {
        PvRestore.restore(xc, domain, pipe.readFd(), p -> {});
      } finally {
        pipe.closeRead();
        feeder.join();
      }
    }
  }

  @Test
  void aStreamThatIsNotOneFailsTheRestoreClearly() {
    PvBuild.Prepared domain =
        PvBuild.prepare(xc, UUID.randomUUID(), 1, MEMORY_MIB * 1024L, domid -> domains.add(domid));
    try (FdPipe pipe = FdPipe.open()) {
      CompletableFuture<Void> feeder =
          CompletableFuture.runAsync(
              () -> {
                try (OutputStream out = pipe.writeStream()) {
                  out.write("not a stream at all\n".repeat(100).getBytes());
                } catch (IOException e) {
                  // the restore stopped reading: fine
                }
              });
      XenException e =
          assertThrows(
              XenException.class, () -> PvRestore.restore(xc, domain, pipe.readFd(), p -> {}));
      assertEquals(PvRestore.FUNCTION, e.function());
      assertTrue(e.getMessage().contains("not a libxenguest stream"), e.getMessage());
      feeder.join();
    }
  }

  private PvGuest boot() {
    PvGuest guest =
        PvGuest.boot(
            xc,
            xs,
            new PvGuest.Spec(
                name, Unikernel.image(), null, Unikernel.Mode.COUNT.argument(), MEMORY_MIB, 1));
    booted.add(guest);
    return guest;
  }

  /** Saves through a pipe into {@code image}, asking for the suspend as a toolstack does. */
  private void save(DomId domid, Path image) throws Exception {
    try (FdPipe pipe = FdPipe.open()) {
      CompletableFuture<Void> copier =
          CompletableFuture.runAsync(
              () -> {
                try (InputStream in = pipe.readStream();
                    OutputStream out = Files.newOutputStream(image)) {
                  in.transferTo(out);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      DomainStream.save(
          xc,
          domid,
          pipe.writeFd(),
          false,
          () -> {
            xs.write(
                XenStore.NO_TRANSACTION,
                PvGuestNodes.domainPath(domid) + "/control/shutdown",
                "suspend");
            long deadline = System.nanoTime() + LIMIT.toNanos();
            while (System.nanoTime() < deadline) {
              if (xc.domainInfo(domid)
                  .get()
                  .shutdownReason()
                  .equals(Optional.of(ShutdownReason.SUSPEND))) {
                return true;
              }
              Thread.onSpinWait();
            }
            return false;
          });
      pipe.closeWrite();
      copier.join();
    }
  }

  private DomId restore(Path image) throws Exception {
    UUID uuid = UUID.randomUUID();
    handles.add(uuid);
    PvBuild.Prepared domain =
        PvBuild.prepare(xc, uuid, 1, MEMORY_MIB * 1024L, domid -> domains.add(domid));
    PvBuild.Rings rings;
    try (FdPipe pipe = FdPipe.open()) {
      CompletableFuture<Void> feeder =
          CompletableFuture.runAsync(
              () -> {
                try (OutputStream out = pipe.writeStream()) {
                  Files.copy(image, out);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      rings = PvRestore.restore(xc, domain, pipe.readFd(), p -> {});
      feeder.join();
    }
    long memoryKib = MEMORY_MIB * 1024L;
    PvGuestNodes nodes =
        new PvGuestNodes(
            domain.domid(),
            uuid,
            name,
            memoryKib,
            memoryKib,
            1,
            1,
            rings.consoleMfn(),
            domain.consolePort(),
            rings.storeMfn(),
            domain.storePort());
    PvBuild.finish(xs, nodes, t -> {}, phase -> {});
    xc.unpause(domain.domid());
    return domain.domid();
  }

  private boolean isShutDown(DomId domid) {
    return xc.domainInfo(domid).map(DomainInfo::shutdown).orElse(true);
  }
}
