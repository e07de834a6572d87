package org.chaosvm.libxc;

import java.util.List;
import java.util.UUID;

/**
 * The XenStore nodes a toolstack writes for a PV guest without devices, as libxl does for {@code xl
 * create}: {@code /vm/UUID}, and under {@code /local/domain/DOMID} the name, memory and vCPU nodes,
 * the directories the guest owns (control, data, ...), its XenStore ring and its console (which
 * xenconsoled reads once the domain is introduced). Xen's conventions, not a toolstack's.
 *
 * @param memoryKib memory at boot
 * @param maxMemoryKib memory the guest may grow to
 * @param vcpus vCPUs online at boot, of {@code maxVcpus}
 */
public record PvGuestNodes(
    DomId domid,
    UUID uuid,
    String name,
    long memoryKib,
    long maxMemoryKib,
    int vcpus,
    int maxVcpus,
    long consoleMfn,
    int consolePort,
    long storeMfn,
    int storePort) {

  public static String domainPath(DomId domid) {
    return "/local/domain/" + domid.value();
  }

  public static String vmPath(UUID uuid) {
    return "/vm/" + uuid;
  }

  /**
   * Writes the guest's {@code /vm/UUID} nodes in transaction {@code t} and points the domain's
   * {@code vm} node at them (also for a guest given another handle once running).
   */
  public static void writeVm(XenStore xs, int t, DomId domid, UUID uuid, String name) {
    String vm = vmPath(uuid);
    xs.mkdir(t, vm);
    xs.setPermissions(t, vm, readOnly(domid));
    xs.write(t, vm + "/uuid", uuid.toString());
    xs.write(t, vm + "/name", name);
    xs.write(t, domainPath(domid) + "/vm", vm);
  }

  /** Dom0's, and readable by the guest: the permissions of its domain node and its /vm node. */
  public static List<XsPermission> readOnly(DomId domid) {
    return List.of(
        new XsPermission(DomId.DOM0, XsPermission.Access.NONE),
        new XsPermission(domid, XsPermission.Access.READ));
  }

  /** Writes the nodes in transaction {@code t}; the caller commits (and may add its own). */
  public void write(XenStore xs, int t) {
    writeAhead(xs, t, domid, consolePort, storePort);
    writeGuest(xs, t);
  }

  /**
   * Writes the nodes that do not depend on which guest the domain becomes, in transaction {@code
   * t}: the domain node (the guest may read it) and the folders the guest owns, the platform's
   * features, the ports of its XenStore and console channels and its console's settings. A
   * toolstack that prepares domains ahead (a pool of shells) writes them then, and {@link
   * #writeGuest} once the guest is known; the domain cannot reach XenStore before its introduction.
   */
  public static void writeAhead(XenStore xs, int t, DomId domid, int consolePort, int storePort) {
    String dom = domainPath(domid);
    List<XsPermission> guestOwned = List.of(new XsPermission(domid, XsPermission.Access.NONE));
    xs.mkdir(t, dom);
    xs.setPermissions(t, dom, readOnly(domid));
    // A node that xenstored creates takes its parent's permissions (a write creates the nodes on
    // its path): each request costs a round trip, so those that would change nothing are not made.
    // device, memory and cpu are the domain node's (read-only); control/shutdown is control's.
    xs.mkdir(t, dom + "/device");
    for (String node : List.of("control", "data", "drivers", "feature", "attr", "error")) {
      xs.mkdir(t, dom + "/" + node);
      xs.setPermissions(t, dom + "/" + node, guestOwned);
    }
    xs.mkdir(t, dom + "/control/shutdown");
    xs.write(t, dom + "/control/platform-feature-multiprocessor-suspend", "1");
    xs.write(t, dom + "/control/platform-feature-xs_reset_watches", "1");
    xs.write(t, dom + "/store/port", Integer.toString(storePort));
    xs.mkdir(t, dom + "/console");
    xs.setPermissions(t, dom + "/console", guestOwned);
    xs.write(t, dom + "/console/port", Integer.toString(consolePort));
    xs.write(t, dom + "/console/type", "xenconsoled");
    xs.write(t, dom + "/console/output", "pty");
    xs.write(t, dom + "/console/limit", "1048576");
  }

  /**
   * {@link #writeAhead(XenStore, int, DomId, int, int)}, and what a prepared domain already tells
   * of the guest it will become: its domid, and memory and vCPU nodes for a guest of the domain's
   * maximum (all of its memory at boot, every vCPU online). {@link #writeGuestAfter} then writes
   * only what differs.
   */
  public static void writeAhead(XenStore xs, int t, PvBuild.Prepared domain) {
    writeAhead(xs, t, domain.domid(), domain.consolePort(), domain.storePort());
    String dom = domainPath(domain.domid());
    xs.write(t, dom + "/domid", Integer.toString(domain.domid().value()));
    xs.write(t, dom + "/memory/static-max", Long.toString(domain.maxMemoryKib()));
    xs.write(t, dom + "/memory/target", Long.toString(domain.maxMemoryKib()));
    for (int cpu = 0; cpu < domain.maxVcpus(); cpu++) {
      xs.write(t, dom + "/cpu/" + cpu + "/availability", "online");
    }
  }

  /**
   * Writes the guest's own nodes in transaction {@code t}, after {@link #writeAhead(XenStore, int,
   * PvBuild.Prepared)} for {@code ahead}: its {@code /vm} node, name, the frames of its rings, and
   * of its memory and vCPU nodes only those whose value differs from what was written then (each
   * request is a round trip to xenstored, whose cost grows with the domains it serves).
   */
  public void writeGuestAfter(XenStore xs, int t, PvBuild.Prepared ahead) {
    writeOwn(xs, t, ahead.maxMemoryKib(), ahead.maxVcpus());
  }

  /**
   * Writes the guest's own nodes in transaction {@code t}, after {@link #writeAhead}: its {@code
   * /vm} node, name, domid, memory, vCPUs and the frames of its XenStore and console rings.
   */
  public void writeGuest(XenStore xs, int t) {
    xs.write(t, domainPath(domid) + "/domid", Integer.toString(domid.value()));
    writeOwn(xs, t, -1, 0); // nothing of the guest's was written ahead: every value differs
  }

  /**
   * The guest's own nodes, but for its memory and vCPU nodes whose values are those of a guest of
   * {@code aheadMemoryKib} and {@code aheadVcpus} (all of its memory, every vCPU online), written
   * ahead.
   */
  private void writeOwn(XenStore xs, int t, long aheadMemoryKib, int aheadVcpus) {
    String dom = domainPath(domid);
    writeVm(xs, t, domid, uuid, name);
    xs.write(t, dom + "/name", name);
    if (maxMemoryKib != aheadMemoryKib) {
      xs.write(t, dom + "/memory/static-max", Long.toString(maxMemoryKib));
    }
    if (memoryKib != aheadMemoryKib) {
      xs.write(t, dom + "/memory/target", Long.toString(memoryKib));
    }
    for (int cpu = 0; cpu < Math.max(maxVcpus, aheadVcpus); cpu++) {
      boolean online = cpu < vcpus && cpu < maxVcpus;
      if (!online || cpu >= aheadVcpus) {
        xs.write(t, dom + "/cpu/" + cpu + "/availability", online ? "online" : "offline");
      }
    }
    xs.write(t, dom + "/store/ring-ref", Long.toString(storeMfn));
    xs.write(t, dom + "/console/ring-ref", Long.toString(consoleMfn));
  }
}
