package org.chaosvm.libxc;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Dom0's network interfaces, for the back-ends of guests' vifs: whether one exists or is a bridge,
 * and the ioctls a hotplug script would run through {@code ip}: rename, set the MTU, add to a
 * bridge, bring up. Each call opens a socket of its own, so the class is thread-safe.
 */
public final class NetInterfaces {
  private static final Path SYS_CLASS_NET = Path.of("/sys/class/net");

  private NetInterfaces() {}

  public static boolean exists(String name) {
    return validName(name) && Files.exists(SYS_CLASS_NET.resolve(name));
  }

  public static boolean isBridge(String name) {
    return validName(name) && Files.isDirectory(SYS_CLASS_NET.resolve(name).resolve("bridge"));
  }

  /** Whether {@code name} can name an interface: 1 to 15 characters, no '/', blank or ':'. */
  public static boolean validName(String name) {
    return !name.isEmpty()
        && name.length() < LinuxAbi.IFNAMSIZ
        && !name.equals(".")
        && !name.equals("..")
        && name.chars().noneMatch(c -> c == '/' || c == ':' || c <= ' ' || c > '~');
  }

  /** Renames a down interface ({@code SIOCSIFNAME}). */
  public static void rename(String name, String newName) {
    if (!validName(newName)) {
      throw new IllegalArgumentException("'" + newName + "' cannot name a network interface");
    }
    Ifreq request = new Ifreq(LibC.runtime(), name);
    request.unionName(newName);
    ioctl("SIOCSIFNAME", LinuxAbi.SIOCSIFNAME, request);
  }

  public static void setMtu(String name, int mtu) {
    Ifreq request = new Ifreq(LibC.runtime(), name);
    request.unionInt(mtu);
    ioctl("SIOCSIFMTU", LinuxAbi.SIOCSIFMTU, request);
  }

  /** Sets {@code IFF_UP} ({@code ip link set NAME up}). */
  public static void up(String name) {
    Ifreq request = new Ifreq(LibC.runtime(), name);
    ioctl("SIOCGIFFLAGS", LinuxAbi.SIOCGIFFLAGS, request);
    request.unionShort((short) (request.unionShort() | LinuxAbi.IFF_UP));
    ioctl("SIOCSIFFLAGS", LinuxAbi.SIOCSIFFLAGS, request);
  }

  /** Makes {@code name} a port of {@code bridge} ({@code ip link set NAME master BRIDGE}). */
  public static void addToBridge(String bridge, String name) {
    Ifreq index = new Ifreq(LibC.runtime(), name);
    ioctl("SIOCGIFINDEX", LinuxAbi.SIOCGIFINDEX, index);
    Ifreq request = new Ifreq(LibC.runtime(), bridge);
    request.unionInt(index.unionInt());
    ioctl("SIOCBRADDIF", LinuxAbi.SIOCBRADDIF, request);
  }

  private static void ioctl(String what, int request, Ifreq ifreq) {
    LibC.Native lib = LibC.lib();
    String name = ifreq.ifr_name.get();
    int socket =
        NativeCall.checkNonNegative(
            LibC.runtime(), "socket", lib.socket(LinuxAbi.AF_UNIX, LinuxAbi.SOCK_DGRAM, 0), null);
    try {
      NativeCall.checkNonNegative(
          LibC.runtime(),
          "ioctl(" + what + ", " + name + ")",
          lib.ioctl(socket, request, jnr.ffi.Struct.getMemory(ifreq)),
          null);
    } finally {
      LibC.closeQuietly(socket);
    }
  }
}
