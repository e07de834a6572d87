package org.chaosvm.rig;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a guest's devices leave in Dom0, for tests that check a guest left nothing behind: netback's
 * interfaces, loop devices bound to image files, back ends in XenStore.
 */
public final class Dom0Devices {
  private static final Path SYS_CLASS_NET = Path.of("/sys/class/net");

  private Dom0Devices() {}

  /** The interfaces netback made for the domain ({@code vifD.N}). */
  public static List<String> vifInterfaces(int domid) {
    return names(SYS_CLASS_NET, "vif" + domid + ".*");
  }

  /** The bridge {@code iface} is a port of, or null. */
  public static String bridgeOf(String iface) {
    try {
      return Files.readSymbolicLink(SYS_CLASS_NET.resolve(iface).resolve("brport/bridge"))
          .getFileName()
          .toString();
    } catch (IOException e) {
      return null;
    }
  }

  /** The loop devices bound to {@code file} or to a file under it, as "loopN: FILE". */
  public static List<String> loopDevicesOf(Path file) {
    List<String> bound = new ArrayList<>();
    for (String loop : names(Path.of("/sys/block"), "loop*")) {
      Path backing = Path.of("/sys/block", loop, "loop", "backing_file");
      try {
        String backingFile = Files.readString(backing).strip();
        if (Path.of(backingFile).startsWith(file.toRealPath())) {
          bound.add(loop + ": " + backingFile);
        }
      } catch (IOException e) {
        // not bound
      }
    }
    return bound;
  }

  /** Whether XenStore holds Dom0's back ends of {@code kind} (vif, vbd) for the domain. */
  public static boolean hasBackends(String kind, int domid) {
    return Command.run(
                Duration.ofSeconds(30),
                "xenstore-exists",
                "/local/domain/0/backend/" + kind + "/" + domid)
            .exitCode()
        == 0;
  }

  /** The domains Dom0 holds back ends of {@code kind} (vif, vbd) for. */
  public static List<Integer> backendDomids(String kind) {
    return domidsUnder("/local/domain/0/backend/" + kind);
  }

  /** The domains Dom0 holds back-end errors of {@code kind} (vif, vbd) for (a driver's reports). */
  public static List<Integer> backendErrorDomids(String kind) {
    return domidsUnder("/local/domain/0/error/backend/" + kind);
  }

  private static List<Integer> domidsUnder(String path) {
    Command.Result list = Command.run(Duration.ofSeconds(30), "xenstore-list", path);
    List<Integer> domids = new ArrayList<>();
    if (list.succeeded()) {
      list.output()
          .lines()
          .map(String::strip)
          .filter(l -> l.matches("\\d+"))
          .forEach(l -> domids.add(Integer.parseInt(l)));
    }
    return domids;
  }

  /** The domain's name in XenStore, or null. */
  public static String domainName(int domid) {
    Command.Result name =
        Command.run(Duration.ofSeconds(30), "xenstore-read", "/local/domain/" + domid + "/name");
    return name.succeeded() ? name.output().strip() : null;
  }

  /**
   * Everything of the domain's devices still in Dom0 (interfaces, back ends, loop devices on its
   * {@code images}), one item a line; empty when nothing is left.
   */
  public static List<String> remains(int domid, Path... images) {
    List<String> remains = new ArrayList<>(vifInterfaces(domid));
    for (String kind : List.of("vif", "vbd")) {
      if (hasBackends(kind, domid)) {
        remains.add("XenStore /local/domain/0/backend/" + kind + "/" + domid);
      }
      String errors = "/local/domain/0/error/backend/" + kind + "/" + domid;
      if (Command.run(Duration.ofSeconds(30), "xenstore-exists", errors).exitCode() == 0) {
        remains.add("XenStore " + errors);
      }
    }
    for (Path image : images) {
      remains.addAll(loopDevicesOf(image));
    }
    return remains;
  }

  private static List<String> names(Path folder, String glob) {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder, glob)) {
      entries.forEach(entry -> names.add(entry.getFileName().toString()));
    } catch (IOException e) {
      // no such folder: nothing there
    }
    names.sort(null);
    return names;
  }
}
