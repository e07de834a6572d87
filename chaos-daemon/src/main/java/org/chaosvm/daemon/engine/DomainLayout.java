package org.chaosvm.daemon.engine;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.PvBuild;
import org.chaosvm.libxc.PvGuestNodes;
import org.chaosvm.libxc.XenStore;
import org.chaosvm.libxc.XsPermission;

/**
 * What chaos keeps in XenStore for its domains: the nodes a toolstack writes for a PV guest (as
 * libxl does, so that {@code xl list} and xenconsoled work), and under {@code chaos/} its own
 * marks, by which a restarted daemon tells shells, half-built domains and guests apart.
 */
final class DomainLayout {

  /** A prepared shell, not yet a guest. */
  static final String STATE_SHELL = "shell";

  /** A shell being turned into a guest: a daemon that finds one at start destroys it. */
  static final String STATE_BUILDING = "building";

  /** A guest, built and introduced. */
  static final String STATE_RUNNING = "running";

  /** Config texts longer than this are not kept in XenStore (its values stop at 4 KB). */
  static final int MAX_KEPT_CONFIG = 3072;

  /** chaos's own nodes: Dom0's, which no guest may read. */
  private static final List<XsPermission> DOM0_ONLY =
      List.of(new XsPermission(DomId.DOM0, XsPermission.Access.NONE));

  private DomainLayout() {}

  static String domainPath(DomId domid) {
    return PvGuestNodes.domainPath(domid);
  }

  static String vmPath(UUID uuid) {
    return PvGuestNodes.vmPath(uuid);
  }

  /** The first 32 bits of every shell's handle (UUID): "c4a05e11", chaos shell. */
  static final long SHELL_HANDLE_PREFIX = 0xc4a05e11L;

  /**
   * A handle for a new shell: random, but for its first 32 bits, which say it is a chaos shell even
   * before XenStore does (a daemon killed between creating the domain and marking it).
   */
  static UUID shellHandle() {
    UUID random = UUID.randomUUID();
    long high = (SHELL_HANDLE_PREFIX << 32) | (random.getMostSignificantBits() & 0xffffffffL);
    return new UUID(high, random.getLeastSignificantBits());
  }

  /** Whether a handle is a shell's ({@link #shellHandle}). */
  static boolean isShellHandle(UUID handle) {
    return (handle.getMostSignificantBits() >>> 32) == SHELL_HANDLE_PREFIX;
  }

  static String shellName(DomId domid) {
    return "chaos-shell-" + domid.value();
  }

  /**
   * Marks a fresh domain as a shell: named so in {@code xl list}, state "shell". The domain node is
   * made first, readable by the guest as libxl makes it, so that the name node written under it is
   * too (a node takes its parent's permissions); {@code chaos/} is Dom0's alone. The domid node
   * comes with the rest of the prepare phase's ({@link #writeAhead}).
   */
  static void markShell(XenStore xs, DomId domid) {
    String dom = domainPath(domid);
    xs.inTransaction(
        t -> {
          xs.mkdir(t, dom);
          xs.setPermissions(t, dom, PvGuestNodes.readOnly(domid));
          xs.write(t, dom + "/name", shellName(domid));
          xs.mkdir(t, dom + "/chaos");
          xs.setPermissions(t, dom + "/chaos", DOM0_ONLY);
          xs.write(t, dom + "/chaos/state", STATE_SHELL);
          return null;
        });
  }

  /**
   * A shell's share of the PV nodes, in the prepare phase ({@link PvGuestNodes#writeAhead}): the
   * execute phase then writes only the guest's own, in fewer of xenstored's round trips.
   */
  static void writeAhead(XenStore xs, PvBuild.Prepared domain) {
    xs.inTransaction(
        t -> {
          PvGuestNodes.writeAhead(xs, t, domain);
          return null;
        });
  }

  static void markBuilding(XenStore xs, DomId domid, String name) {
    writeAll(xs, domid, "chaos/state", STATE_BUILDING, "chaos/name", name);
  }

  /**
   * A guest recorded as held ({@link #recordGuest}) with handle {@code recorded} is running, under
   * {@code name} and handle {@code uuid}: if that is another, its {@code /vm} nodes move to it.
   */
  static void markRunning(XenStore xs, DomId domid, String name, UUID recorded, UUID uuid) {
    String dom = domainPath(domid);
    xs.inTransaction(
        t -> {
          write(xs, t, domid, "name", name, "chaos/name", name, "chaos/state", STATE_RUNNING);
          if (!recorded.equals(uuid)) {
            PvGuestNodes.writeVm(xs, t, domid, uuid, name);
            xs.write(t, dom + "/chaos/uuid", uuid.toString());
            xs.rm(t, vmPath(recorded));
          }
          return null;
        });
  }

  /** Writes nodes of the domain's, paths and values in turn, in one transaction. */
  private static void writeAll(XenStore xs, DomId domid, String... pathsAndValues) {
    xs.inTransaction(
        t -> {
          write(xs, t, domid, pathsAndValues);
          return null;
        });
  }

  /** Writes nodes of the domain's, paths and values in turn, in transaction {@code t}. */
  private static void write(XenStore xs, int t, DomId domid, String... pathsAndValues) {
    String dom = domainPath(domid);
    for (int i = 0; i < pathsAndValues.length; i += 2) {
      xs.write(t, dom + "/" + pathsAndValues[i], pathsAndValues[i + 1]);
    }
  }

  static Optional<String> state(XenStore xs, DomId domid) {
    return xs.read(XenStore.NO_TRANSACTION, domainPath(domid) + "/chaos/state");
  }

  static Optional<String> name(XenStore xs, DomId domid) {
    return xs.read(XenStore.NO_TRANSACTION, domainPath(domid) + "/name");
  }

  /**
   * Writes chaos's own record of a built guest, in the transaction that writes its PV nodes ({@link
   * org.chaosvm.libxc.PvBuild#finish}): what a restarted daemon reads back ({@link #readGuest}).
   * Under the shell's {@code chaos/} ({@link #markShell}), whose permissions its nodes take.
   */
  static void recordGuest(
      XenStore xs, int t, PvGuestNodes nodes, GuestConfig guest, String configText, boolean held) {
    String chaos = domainPath(nodes.domid()) + "/chaos";
    xs.write(t, chaos + "/state", held ? STATE_BUILDING : STATE_RUNNING);
    xs.write(t, chaos + "/uuid", nodes.uuid().toString());
    xs.write(t, chaos + "/on_poweroff", guest.onPoweroff().xlName());
    xs.write(t, chaos + "/on_reboot", guest.onReboot().xlName());
    xs.write(t, chaos + "/on_crash", guest.onCrash().xlName());
    if (configText.length() <= MAX_KEPT_CONFIG) {
      xs.write(t, chaos + "/config", configText);
    }
  }

  /** Asks the guest's kernel for an orderly shutdown ("poweroff", "reboot"). */
  static void requestShutdown(XenStore xs, DomId domid, String kind) {
    xs.write(XenStore.NO_TRANSACTION, domainPath(domid) + "/control/shutdown", kind);
  }

  /** Removes the domain's nodes; what is already gone is not an error. */
  static void remove(XenStore xs, DomId domid, Optional<UUID> uuid) {
    xs.rm(XenStore.NO_TRANSACTION, domainPath(domid));
    uuid.ifPresent(u -> xs.rm(XenStore.NO_TRANSACTION, vmPath(u)));
  }

  static Optional<UUID> uuid(XenStore xs, DomId domid) {
    return xs.read(XenStore.NO_TRANSACTION, domainPath(domid) + "/chaos/uuid")
        .map(UUID::fromString);
  }

  /**
   * A running guest as {@link #recordGuest} recorded it, for a daemon that adopts it. Its config is
   * read back if it was kept; {@code handle} stands in for a UUID that was not recorded.
   */
  static Guest readGuest(XenStore xs, DomId domid, UUID handle) {
    String chaos = domainPath(domid) + "/chaos/";
    String name = name(xs, domid).orElse("domain-" + domid);
    return Guest.adopted(
        domid,
        uuid(xs, domid).orElse(handle),
        name,
        xs.read(XenStore.NO_TRANSACTION, chaos + "config").orElse(""),
        xs.read(XenStore.NO_TRANSACTION, chaos + "on_poweroff"),
        xs.read(XenStore.NO_TRANSACTION, chaos + "on_reboot"),
        xs.read(XenStore.NO_TRANSACTION, chaos + "on_crash"),
        DeviceMechanism.XENSTORE);
  }
}
