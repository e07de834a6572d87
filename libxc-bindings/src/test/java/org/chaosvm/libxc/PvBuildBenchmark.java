package org.chaosvm.libxc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chaosvm.rig.TestGuest;

/**
 * Benchmark, not a test: builds and starts the rig's test guest from Java N times (default 10) and
 * prints the median time of each phase of {@link PvGuest}. Run in the rig:
 *
 * <pre>xen-rig/rig run -- xen-rig/dom0/java org.chaosvm.libxc.PvBuildBenchmark [N]</pre>
 */
public final class PvBuildBenchmark {
  private PvBuildBenchmark() {}

  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Map<String, List<Long>> samples = new LinkedHashMap<>();
    try (XenCtrl xc = XenCtrl.open();
        XenStore xs = XenStore.open()) {
      for (int i = 0; i < runs; i++) {
        PvGuest.Spec spec =
            new PvGuest.Spec(
                "bench-" + i,
                TestGuest.kernel(),
                TestGuest.ramdisk(),
                TestGuest.commandLine(TestGuest.Mode.WAIT),
                TestGuest.MEMORY_MIB,
                1);
        PvGuest guest = PvGuest.boot(xc, xs, spec);
        long total = 0;
        for (Map.Entry<String, Long> phase : guest.phaseNanos.entrySet()) {
          samples.computeIfAbsent(phase.getKey(), k -> new ArrayList<>()).add(phase.getValue());
          total += phase.getValue();
        }
        samples.computeIfAbsent("total", k -> new ArrayList<>()).add(total);
        guest.destroy(xc, xs);
      }
    }
    System.out.printf(
        "PV build of the rig's test guest (%d MiB, Debian kernel + busybox initramfs), %d runs%n",
        TestGuest.MEMORY_MIB, runs);
    System.out.printf("%-36s %10s %10s %10s%n", "phase", "median ms", "min ms", "max ms");
    samples.forEach(
        (phase, nanos) -> {
          List<Long> sorted = nanos.stream().sorted().toList();
          System.out.printf(
              "%-36s %10.1f %10.1f %10.1f%n",
              phase,
              sorted.get(sorted.size() / 2) / 1e6,
              sorted.get(0) / 1e6,
              sorted.get(sorted.size() - 1) / 1e6);
        });
  }
}
