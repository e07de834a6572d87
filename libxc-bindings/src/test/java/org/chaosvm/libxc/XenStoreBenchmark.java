package org.chaosvm.libxc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Pointer;

/**
 * Benchmark, not a test: one transaction of N writes (default 20, about a guest's nodes), through
 * libxenstore (each write waits for its answer) and through {@link XenStoreWire} (the writes sent
 * together), taking turns in one JVM after W rounds of each to warm up (default 200: the JIT's work
 * done), R rounds (default 30); prints each one's median and quartiles. Run in the rig:
 *
 * <pre>xen-rig/rig run -- xen-rig/dom0/java org.chaosvm.libxc.XenStoreBenchmark [N] [R] [W]</pre>
 */
public final class XenStoreBenchmark {
  private static final String BASE = "/local/domain/0/chaos-xenstore-bench";

  private XenStoreBenchmark() {}

  public static void main(String[] args) {
    int writes = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
    int warmUp = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    LibXenStore.Native lib = LibXenStore.lib();
    Pointer handle = lib.xs_open(0);
    try (XenStoreWire wire = XenStoreWire.connect(Path.of(lib.xs_daemon_socket())).orElseThrow()) {
      List<Double> library = new ArrayList<>();
      List<Double> together = new ArrayList<>();
      for (int round = 0; round < warmUp + rounds; round++) {
        double a = timeLibrary(lib, handle, writes, round);
        double b = timeWire(wire, writes, round);
        if (round >= warmUp) {
          library.add(a);
          together.add(b);
        }
      }
      lib.xs_rm(handle, XenAbi.XBT_NULL, BASE);
      System.out.printf(
          "one transaction of %d writes, %d rounds each after %d to warm up, taking turns%n",
          writes, rounds, warmUp);
      print("libxenstore, one answer at a time", library);
      print("XenStoreWire, writes sent together", together);
    } finally {
      lib.xs_close(handle);
    }
  }

  private static double timeLibrary(LibXenStore.Native lib, Pointer handle, int writes, int round) {
    long start = System.nanoTime();
    int t = lib.xs_transaction_start(handle);
    for (int i = 0; i < writes; i++) {
      byte[] value = ("value " + i).getBytes(StandardCharsets.UTF_8);
      if (lib.xs_write(handle, t, BASE + "/lib/" + round % 10 + "/n" + i, value, value.length)
          == 0) {
        throw new IllegalStateException("xs_write failed");
      }
    }
    if (lib.xs_transaction_end(handle, t, false) == 0) {
      throw new IllegalStateException("xs_transaction_end failed");
    }
    return (System.nanoTime() - start) / 1e6;
  }

  private static double timeWire(XenStoreWire wire, int writes, int round) {
    long start = System.nanoTime();
    int t = wire.start();
    for (int i = 0; i < writes; i++) {
      wire.write(
          t,
          BASE + "/wire/" + round % 10 + "/n" + i,
          ("value " + i).getBytes(StandardCharsets.UTF_8));
    }
    if (!wire.commit(t)) {
      throw new IllegalStateException("EAGAIN");
    }
    return (System.nanoTime() - start) / 1e6;
  }

  private static void print(String what, List<Double> millis) {
    List<Double> sorted = millis.stream().sorted().toList();
    int n = sorted.size();
    System.out.printf(
        "%-36s median %6.2f ms, quartiles %6.2f and %6.2f, min %6.2f%n",
        what, sorted.get(n / 2), sorted.get(n / 4), sorted.get(3 * n / 4), sorted.get(0));
  }
}
