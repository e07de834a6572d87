package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What every tinyx image has besides its packages: the folders the init mounts on, the console
 * device (for the kernel to open before the init runs), the accounts most programs look up, the
 * BusyBox applets as links to BusyBox (where no package has a program of that name), and the DHCP
 * client's script.
 */
final class Skeleton {
  private Skeleton() {}

  private static final String UDHCPC_SCRIPT =
      """
      #!/bin/sh
      # Called by udhcpc (BusyBox) with the lease in its environment.
      case "$1" in
        deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
        bound | renew)
          ip addr flush dev "$interface"
          ip addr add "$ip/${mask:-24}" dev "$interface"
          for r in $router; do ip route add default via "$r" dev "$interface"; break; done
          : >/etc/resolv.conf
          for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
          ;;
      esac
      """;

  /** The applets of a BusyBox package, as paths ({@code /usr/bin/wget}), from the binary itself. */
  static List<String> applets(Path busyboxPackage) throws IOException {
    Path busybox = busyboxPackage.resolve("bin/busybox");
    String list = Processes.run(null, List.of(busybox.toString(), "--list-full"));
    return list.lines().filter(l -> !l.isBlank()).map(l -> FileTree.canonical("/" + l)).toList();
  }

  static void add(FileTree tree, String name, List<String> applets) {
    String origin = "tinyx skeleton";
    for (String dir : List.of("/proc", "/sys", "/dev", "/run", "/tmp", "/root", "/etc")) {
      tree.directory(dir, dir.equals("/tmp") ? 01777 : 0755, origin);
    }
    tree.directory("/var/tmp", 01777, origin);
    tree.directory("/var/log", 0755, origin);
    tree.directory("/var/lib", 0755, origin);
    tree.addSymlink("/var/run", "/run", origin);
    tree.addCharDevice("/dev/console", 0600, 5, 1, origin);
    tree.addContent(
        "/etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        0644,
        origin);
    tree.addContent("/etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644, origin);
    tree.addContent(
        "/etc/hosts", "127.0.0.1\tlocalhost " + name + "\n::1\tlocalhost\n", 0644, origin);
    tree.addContent("/etc/hostname", name + "\n", 0644, origin);
    tree.addContent("/etc/resolv.conf", "", 0644, origin);
    tree.addContent("/etc/tinyx/udhcpc.sh", UDHCPC_SCRIPT, 0755, origin);
    for (String applet : applets) {
      tree.addSymlink(applet, "/usr/bin/busybox", "BusyBox applet");
    }
  }
}
