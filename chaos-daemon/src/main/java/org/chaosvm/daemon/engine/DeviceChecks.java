package org.chaosvm.daemon.engine;

import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.libxc.NetInterfaces;
import org.chaosvm.protocol.ErrorCode;

/**
 * What a guest's devices need from Dom0, checked before anything is made for them (a bad spec costs
 * nothing and leaves nothing): their bridges, their disks' targets, the interface names they ask
 * for. The same whatever the device mechanism.
 */
final class DeviceChecks {
  private DeviceChecks() {}

  static void check(GuestConfig guest) {
    Map<String, Integer> macs = new HashMap<>();
    for (int devid = 0; devid < guest.vifs().size(); devid++) {
      VifSpec vif = guest.vifs().get(devid);
      checkVif(devid, vif);
      Integer other = macs.putIfAbsent(VifPlumbing.mac(vif, guest.name(), devid), devid);
      if (other != null) {
        throw new ChaosException(
            ErrorCode.CONFIG,
            "vif "
                + devid
                + ": vif "
                + other
                + " has the MAC "
                + VifPlumbing.mac(vif, guest.name(), devid)
                + " already (each vif needs a MAC of its own)");
      }
    }
    for (DiskSpec disk : guest.disks()) {
      checkDisk(disk);
    }
  }

  static void checkVif(int devid, VifSpec vif) {
    String bridge = vif.bridgeOrDefault();
    if (!NetInterfaces.isBridge(bridge)) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "vif "
              + devid
              + ": "
              + (NetInterfaces.exists(bridge)
                  ? bridge + " is not a bridge"
                  : "there is no bridge " + bridge + " in Dom0")
              + " (create it, e.g. 'ip link add "
              + bridge
              + " type bridge', or name another with bridge=)");
    }
  }

  /** A vif that asks for an interface name Dom0 has already. */
  static void checkVifName(int devid, VifSpec vif) {
    if (vif.vifname().isPresent() && NetInterfaces.exists(vif.vifname().get())) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "vif " + devid + ": an interface named " + vif.vifname().get() + " exists already");
    }
  }

  /** A disk's target is an image file or a block device of Dom0. */
  static void checkDisk(DiskSpec disk) {
    DiskPlumbing.Target target = DiskPlumbing.Target.of(disk);
    if (!target.blockDevice() && !Files.isRegularFile(target.path())) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "disk "
              + disk.vdev()
              + ": "
              + target.path()
              + (Files.exists(target.path())
                  ? " is neither an image file nor a block device"
                  : " does not exist"));
    }
  }
}
