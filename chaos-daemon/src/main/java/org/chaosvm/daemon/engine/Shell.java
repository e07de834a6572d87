package org.chaosvm.daemon.engine;

import java.util.UUID;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.PvBuild;
import org.chaosvm.libxc.XenCtrl;

/**
 * A VM shell: a domain created and paused, its limits, CPU policy and event channels set (and vif 0
 * plugged), waiting for a kernel. What the prepare phase makes and the execute phase finishes.
 */
record Shell(PvBuild.Prepared domain, SizeClass size) {
  DomId domid() {
    return domain.domid();
  }

  UUID uuid() {
    return domain.handle();
  }

  int consolePort() {
    return domain.consolePort();
  }

  int storePort() {
    return domain.storePort();
  }

  /**
   * Gives the domain the guest's handle {@code uuid} (a config's; a shell is made before it is
   * known), if it is not the shell's own. From then on the domain is no shell by its handle.
   */
  void takeHandle(XenCtrl xc, UUID uuid) {
    if (!uuid.equals(uuid())) {
      xc.setHandle(domid(), uuid);
    }
  }
}
