package org.chaosvm.daemon.engine;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.libxc.DomId;
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

  private DomainLayout() {}

  static String domainPath(DomId domid) {
    return "/local/domain/" + domid.value();
  }

  static String vmPath(UUID uuid) {
    return "/vm/" + uuid;
  }

  static String shellName(DomId domid) {
    return "chaos-shell-" + domid.value();
  }

  /** Marks a fresh domain as a shell: named so in {@code xl list}, state "shell". */
  static void markShell(XenStore xs, DomId domid) {
    String dom = domainPath(domid);
    xs.inTransaction(
        t -> {
          xs.write(t, dom + "/name", shellName(domid));
          xs.write(t, dom + "/domid", Integer.toString(domid.value()));
          xs.write(t, dom + "/chaos/state", STATE_SHELL);
          xs.setPermissions(
              t, dom, List.of(new XsPermission(DomId.DOM0, XsPermission.Access.NONE)));
          return null;
        });
  }

  static void markBuilding(XenStore xs, DomId domid, String name) {
    String dom = domainPath(domid);
    xs.inTransaction(
        t -> {
          xs.write(t, dom + "/chaos/state", STATE_BUILDING);
          xs.write(t, dom + "/chaos/name", name);
          return null;
        });
  }

  static Optional<String> state(XenStore xs, DomId domid) {
    return xs.read(XenStore.NO_TRANSACTION, domainPath(domid) + "/chaos/state");
  }

  static Optional<String> name(XenStore xs, DomId domid) {
    return xs.read(XenStore.NO_TRANSACTION, domainPath(domid) + "/name");
  }

  /** Where a built guest's console and XenStore rings are. */
  record Rings(long consoleMfn, int consolePort, long storeMfn, int storePort) {}

  /** Writes a built guest's nodes (as libxl does for a PV guest without devices) in one go. */
  static void describeGuest(
      XenStore xs, DomId domid, UUID uuid, GuestConfig guest, Rings rings, String configText) {
    String dom = domainPath(domid);
    String vm = vmPath(uuid);
    List<XsPermission> readOnly =
        List.of(
            new XsPermission(DomId.DOM0, XsPermission.Access.NONE),
            new XsPermission(domid, XsPermission.Access.READ));
    List<XsPermission> guestOwned = List.of(new XsPermission(domid, XsPermission.Access.NONE));
    List<XsPermission> dom0Only = List.of(new XsPermission(DomId.DOM0, XsPermission.Access.NONE));
    xs.inTransaction(
        t -> {
          xs.setPermissions(t, dom, readOnly);
          xs.mkdir(t, vm);
          xs.setPermissions(t, vm, readOnly);
          xs.write(t, vm + "/uuid", uuid.toString());
          xs.write(t, vm + "/name", guest.name());
          xs.write(t, dom + "/vm", vm);
          xs.write(t, dom + "/name", guest.name());
          xs.write(t, dom + "/domid", Integer.toString(domid.value()));
          for (String node : List.of("device", "memory", "cpu")) {
            xs.mkdir(t, dom + "/" + node);
            xs.setPermissions(t, dom + "/" + node, readOnly);
          }
          for (String node :
              List.of(
                  "control", "control/shutdown", "data", "drivers", "feature", "attr", "error")) {
            xs.mkdir(t, dom + "/" + node);
            xs.setPermissions(t, dom + "/" + node, guestOwned);
          }
          xs.write(t, dom + "/control/platform-feature-multiprocessor-suspend", "1");
          xs.write(t, dom + "/control/platform-feature-xs_reset_watches", "1");
          xs.write(t, dom + "/memory/static-max", Long.toString(guest.maxMemoryMib() * 1024L));
          xs.write(t, dom + "/memory/target", Long.toString(guest.memoryMib() * 1024L));
          for (int cpu = 0; cpu < guest.maxVcpus(); cpu++) {
            xs.write(
                t,
                dom + "/cpu/" + cpu + "/availability",
                cpu < guest.vcpus() ? "online" : "offline");
          }
          xs.write(t, dom + "/store/port", Integer.toString(rings.storePort()));
          xs.write(t, dom + "/store/ring-ref", Long.toString(rings.storeMfn()));
          xs.mkdir(t, dom + "/console");
          xs.setPermissions(t, dom + "/console", guestOwned);
          xs.write(t, dom + "/console/port", Integer.toString(rings.consolePort()));
          xs.write(t, dom + "/console/ring-ref", Long.toString(rings.consoleMfn()));
          xs.write(t, dom + "/console/type", "xenconsoled");
          xs.write(t, dom + "/console/output", "pty");
          xs.write(t, dom + "/console/limit", "1048576");
          xs.setPermissions(t, dom + "/chaos", dom0Only);
          xs.write(t, dom + "/chaos/state", STATE_RUNNING);
          xs.write(t, dom + "/chaos/uuid", uuid.toString());
          xs.write(t, dom + "/chaos/on_poweroff", guest.onPoweroff().xlName());
          xs.write(t, dom + "/chaos/on_reboot", guest.onReboot().xlName());
          xs.write(t, dom + "/chaos/on_crash", guest.onCrash().xlName());
          if (configText.length() <= MAX_KEPT_CONFIG) {
            xs.write(t, dom + "/chaos/config", configText);
          }
          return null;
        });
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
}
