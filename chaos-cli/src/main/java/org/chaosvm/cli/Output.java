package org.chaosvm.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.Reply;

/** Prints replies: for people by default, as JSON with --json. */
final class Output {
  private Output() {}

  /** A boot time's mark in chaos list for what it went through before the guest's kernel. */
  private static final Map<String, String> BOOTLOADER_MARKS =
      Map.of("pygrub", "*", "PV-GRUB2", "+");

  private static final Map<String, String> BOOTLOADER_NOTES =
      Map.of(
          "pygrub",
          "booted by pygrub in Dom0: its run is included",
          "PV-GRUB2",
          "booted by PV-GRUB2: to GRUB's first output, before the guest's kernel");

  /**
   * Prints the reply; an error reply, once printed, is thrown as a {@link ExitCodes.Failure} (the
   * exit code is {@link ExitCodes}'s to choose).
   */
  static void print(Reply reply, boolean json, PrintWriter out, PrintWriter err) {
    if (json) {
      // The reply as the daemon sent it: the protocol's JSON (docs/protocol.md).
      out.println(new String(Codec.encode(reply), StandardCharsets.UTF_8).stripTrailing());
    } else if (reply instanceof Reply.Error error) {
      err.println("chaos: " + error.message());
    } else if (reply instanceof Reply.Created created) {
      out.printf(
          "created %s (domid %d) from %s%n",
          created.name(), created.domid(), created.fromPool() ? "the pool" : "a new shell");
      created.phasesMs().forEach((phase, ms) -> out.printf("  %-34s %9.1f ms%n", phase, ms));
    } else if (reply instanceof Reply.Done done) {
      out.println(done.message());
    } else if (reply instanceof Reply.Image image) {
      out.printf("saving %s (domid %d)%n", image.name(), image.domid());
    } else if (reply instanceof Reply.SendImage send) {
      out.printf("sending the image: %s%n", send.why());
    } else if (reply instanceof Reply.Console console) {
      out.printf(
          "%s (domid %d): console served by %s%n",
          console.name(), console.domid(), console.streamed() ? "chaos-daemon" : "xenconsoled");
    } else if (reply instanceof Reply.Guests guests) {
      // Booted: ms from the create request to the guest's first console output (docs/protocol.md).
      out.printf(
          "%-32s %5s %6s %5s %10s  %s%n", "Name", "ID", "Mem", "VCPUs", "Booted(ms)", "State");
      Set<String> bootloaders = new TreeSet<>();
      for (Reply.GuestInfo g : guests.guests()) {
        String marker =
            g.bootloader() == null ? "" : BOOTLOADER_MARKS.getOrDefault(g.bootloader(), "?");
        if (g.bootloader() != null) {
          bootloaders.add(g.bootloader());
        }
        out.printf(
            "%-32s %5d %6d %5d %10s  %s%n",
            g.name(),
            g.domid(),
            g.memoryMib(),
            g.vcpus(),
            g.bootMs() == null ? "-" : String.format("%.1f", g.bootMs()) + marker,
            g.state());
      }
      for (String bootloader : bootloaders) {
        out.printf(
            "%s %s%n",
            BOOTLOADER_MARKS.getOrDefault(bootloader, "?"),
            BOOTLOADER_NOTES.getOrDefault(bootloader, "booted by " + bootloader));
      }
    } else if (reply instanceof Reply.Devices devices) {
      out.printf("%-4s %-16s %2s %2s  %s%n", "Idx", "Name", "BE", "FE", "Settings");
      for (Reply.DeviceInfo d : devices.devices()) {
        StringBuilder settings = new StringBuilder();
        d.settings()
            .forEach((key, value) -> settings.append(key).append('=').append(value).append(' '));
        out.printf(
            "%-4d %-16s %2d %2d  %s%n",
            d.devid(), d.name(), d.backendState(), d.frontendState(), settings.toString().strip());
      }
    } else if (reply instanceof Reply.HostInfo info) {
      out.printf(
          "memory: %d MiB total, %d MiB free; cpus: %d%n",
          info.totalMib(), info.freeMib(), info.cpus());
      out.println("pool (size class: ready / target):");
      info.pool()
          .forEach((size, c) -> out.printf("  %-12s %d / %d%n", size, c.ready(), c.target()));
    } else {
      throw new IllegalArgumentException("no output for the reply " + reply);
    }
    if (reply instanceof Reply.Error error) {
      out.flush();
      err.flush();
      throw new ExitCodes.Failure(error.code(), error.message(), true);
    }
  }
}
