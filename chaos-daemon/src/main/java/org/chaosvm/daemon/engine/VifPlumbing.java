package org.chaosvm.daemon.engine;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.libxc.NetInterfaces;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.ErrorCode;

/**
 * Dom0's side of a vif, whatever the device mechanism: what xl's {@code vif-bridge} hotplug script
 * does, done through ioctls with no script and no udev. Waits for the back end's interface, renames
 * it when asked, sets its MTU, makes it a port of its bridge and brings it up. Also the MACs chaos
 * makes up.
 */
final class VifPlumbing {
  /** How long the back end may take to create a vif's interface. */
  static final Duration INTERFACE_WAIT = Duration.ofSeconds(20);

  /** The first three bytes of MAC addresses Xen's toolstacks make up (Xen's OUI). */
  static final String XEN_OUI = "00:16:3e";

  private VifPlumbing() {}

  /** The name netback gives a vif's interface: {@code vifDOMID.DEVID}. */
  static String backendName(int domid, int devid) {
    return "vif" + domid + "." + devid;
  }

  /** Waits for the back end's interface; {@code where} names the back end in the error. */
  static void awaitInterface(String name, String where) {
    if (!Polling.until(INTERFACE_WAIT, 1, 20, () -> NetInterfaces.exists(name))) {
      throw new ChaosException(
          ErrorCode.XEN,
          "netback made no interface "
              + name
              + " within "
              + INTERFACE_WAIT.toSeconds()
              + " s of "
              + where
              + " (is the xen-netback module loaded in Dom0?)");
    }
  }

  /**
   * Sets up the interface {@code backendName} for a vif: renamed to its {@code vifname} if it has
   * one, MTU, bridge port, up. Returns its final name.
   */
  static String plug(String backendName, int devid, VifSpec vif) {
    String name = vif.vifname().orElse(backendName);
    try {
      if (!name.equals(backendName)) {
        NetInterfaces.rename(backendName, name);
      }
      vif.mtu().ifPresent(mtu -> NetInterfaces.setMtu(name, mtu));
      NetInterfaces.addToBridge(vif.bridgeOrDefault(), name);
      NetInterfaces.up(name);
    } catch (XenException e) {
      throw new ChaosException(
          ErrorCode.XEN,
          "cannot set up "
              + name
              + " on bridge "
              + vif.bridgeOrDefault()
              + " for vif "
              + devid
              + ": "
              + e.getMessage(),
          e);
    }
    return name;
  }

  /** The vif's MAC: its own, or one made up ({@link #generatedMac}). */
  static String mac(VifSpec vif, String guestName, int devid) {
    return vif.mac().orElseGet(() -> generatedMac(guestName, devid));
  }

  /**
   * A MAC in Xen's OUI, the same for a guest's vif whenever the guest is created again (so that
   * neighbours' ARP caches and DHCP leases stay valid), made from the guest's name and the devid.
   * Locally administered and unicast bits are those of Xen's OUI; the fourth byte's top bit is
   * clear as libxl's are.
   */
  static String generatedMac(String guestName, int devid) {
    byte[] hash;
    try {
      hash =
          MessageDigest.getInstance("SHA-256")
              .digest((guestName + "/" + devid).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return String.format(
        "%s:%02x:%02x:%02x", XEN_OUI, hash[0] & 0x7f, hash[1] & 0xff, hash[2] & 0xff);
  }
}
