package org.chaosvm.libxc;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One device of Xen's split-driver model as XenStore holds it: a front end in the guest's tree
 * ({@code /local/domain/FRONTEND/device/KIND/DEVID}) and a back end in the backend domain's ({@code
 * /local/domain/BACKEND/backend/KIND/FRONTEND/DEVID}), each pointing at the other, each owned by
 * its domain and readable by the other. A back-end driver (netback, blkback) sees the back end
 * appear and starts the handshake; the guest's front-end driver does its part on the front end.
 *
 * @param kind the device class: {@code vif}, {@code vbd}
 */
public record SplitDevice(String kind, DomId frontend, int devid, DomId backend) {
  /** {@code /local/domain/BACKEND/backend/KIND/FRONTEND}: the guest's back ends of a kind. */
  public static String backendsPath(DomId backend, String kind, DomId frontend) {
    return PvGuestNodes.domainPath(backend) + "/backend/" + kind + "/" + frontend.value();
  }

  public String backendPath() {
    return backendsPath(backend, kind, frontend) + "/" + devid;
  }

  public String frontendPath() {
    return PvGuestNodes.domainPath(frontend) + "/device/" + kind + "/" + devid;
  }

  /**
   * {@code /local/domain/BACKEND/error/backend/KIND/FRONTEND}: where Linux's back-end drivers
   * report the fatal errors of the guest's back ends of a kind ({@code xenbus_dev_fatal}), one
   * {@code DEVID/error} node each, "ERRNO message". Nothing removes it but the toolstack.
   */
  public static String backendErrorsPath(DomId backend, String kind, DomId frontend) {
    return PvGuestNodes.domainPath(backend) + "/error/backend/" + kind + "/" + frontend.value();
  }

  /**
   * Where this back end's fatal error is reported: its {@code error} node, if its driver met one.
   */
  public String backendErrorPath() {
    return backendErrorsPath(backend, kind, frontend) + "/" + devid;
  }

  /**
   * The back end's device on Linux's xenbus in the backend domain, {@code
   * /sys/bus/xen-backend/devices/KIND-FRONTEND-DEVID}: there once the driver has probed it.
   */
  public Path backendSysfsPath() {
    return Path.of("/sys/bus/xen-backend/devices", kind + "-" + frontend.value() + "-" + devid);
  }

  /**
   * Writes both ends in transaction {@code t}: the nodes that tie them together and the handshake's
   * start (state Initialising, back end online), then the kind's own nodes. The caller commits.
   */
  public void write(
      XenStore xs, int t, Map<String, String> backendNodes, Map<String, String> frontendNodes) {
    String back = backendPath();
    String front = frontendPath();
    // The guest enumerates device/ and device/KIND: both must be readable by it, also when they
    // are made here first (XenStore gives a new node its parent's permissions).
    String devices = PvGuestNodes.domainPath(frontend) + "/device";
    for (String dir : List.of(devices, devices + "/" + kind)) {
      xs.mkdir(t, dir);
      xs.setPermissions(t, dir, ownedBy(DomId.DOM0, frontend));
    }
    xs.mkdir(t, front);
    xs.setPermissions(t, front, ownedBy(frontend, backend));
    xs.mkdir(t, back);
    xs.setPermissions(t, back, ownedBy(backend, frontend));
    xs.write(t, front + "/backend", back);
    xs.write(t, front + "/backend-id", Integer.toString(backend.value()));
    xs.write(t, front + "/state", Integer.toString(XenbusState.INITIALISING.number()));
    frontendNodes.forEach((node, value) -> xs.write(t, front + "/" + node, value));
    xs.write(t, back + "/frontend", front);
    xs.write(t, back + "/frontend-id", Integer.toString(frontend.value()));
    xs.write(t, back + "/online", "1");
    xs.write(t, back + "/state", Integer.toString(XenbusState.INITIALISING.number()));
    backendNodes.forEach((node, value) -> xs.write(t, back + "/" + node, value));
  }

  /** A node {@code owner} owns (and so may write) and {@code reader} may read. */
  private static List<XsPermission> ownedBy(DomId owner, DomId reader) {
    return List.of(
        new XsPermission(owner, XsPermission.Access.NONE),
        new XsPermission(reader, XsPermission.Access.READ));
  }

  /**
   * Device numbers of virtual disks (Xen's docs/misc/vbd-interface.txt): {@code xvdX[N]} as 202/16
   * per disk (the extended form for the 17th disk on), {@code hd[a-d]} as the IDE majors, {@code
   * sdX[N]} as SCSI's. Empty when {@code vdev} is none of these.
   */
  public static Optional<Integer> vbdDevid(String vdev) {
    Matcher m = Pattern.compile("(xvd|hd|sd)([a-z]+)([0-9]{0,3})").matcher(vdev);
    if (!m.matches()) {
      return Optional.empty();
    }
    int disk = 0;
    for (char c : m.group(2).toCharArray()) {
      disk = disk * 26 + (c - 'a' + 1);
      if (disk > (1 << 20)) {
        return Optional.empty();
      }
    }
    disk -= 1;
    int partition = m.group(3).isEmpty() ? 0 : Integer.parseInt(m.group(3));
    switch (m.group(1)) {
      case "xvd" -> {
        if (disk < 16 && partition < 16) {
          return Optional.of((202 << 8) | (disk << 4) | partition);
        }
        if (disk < (1 << 20) && partition < 256) {
          return Optional.of((1 << 28) | (disk << 8) | partition);
        }
        return Optional.empty();
      }
      case "hd" -> {
        if (disk >= 4 || partition >= 64) {
          return Optional.empty();
        }
        int major = disk < 2 ? 3 : 22;
        return Optional.of((major << 8) | ((disk % 2) << 6) | partition);
      }
      default -> {
        if (disk >= 16 || partition >= 16) {
          return Optional.empty();
        }
        return Optional.of((8 << 8) | (disk << 4) | partition);
      }
    }
  }
}
