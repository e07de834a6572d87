package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the small kernel gets on top of tinyconfig, and why. */
class KernelConfigTest {
  private static Spec spec(boolean network, String ip, int vcpus, List<String> extra) {
    return spec(network, false, ip, vcpus, extra);
  }

  private static Spec spec(
      boolean network, boolean noxs, String ip, int vcpus, List<String> extra) {
    return new Spec(
        "redis-server",
        List.of(),
        "redis",
        List.of(),
        List.of(),
        Map.of(),
        "/",
        0,
        vcpus,
        List.of(),
        new Spec.KernelSpec(
            true, Spec.KernelSpec.DEFAULT_SOURCE, extra, Optional.empty(), List.of()),
        network,
        noxs,
        "xenbr0",
        Optional.ofNullable(ip),
        Optional.empty(),
        Path.of("out"),
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void everyVmGetsAXenPvGuestWithItsConsoleAndTheInitsFileSystems() {
    KernelConfig config = KernelConfig.of(spec(false, null, 1, List.of()), List.of("libc6"));
    Map<String, String> values = config.values();
    for (String symbol :
        List.of(
            "XEN_PV",
            "HVC_XEN",
            "BLK_DEV_INITRD",
            "BLK_DEV_RAM",
            "SQUASHFS_LZ4",
            "OVERLAY_FS",
            "DEVTMPFS",
            "TMPFS",
            "FUTEX",
            "RANDOM_TRUST_CPU")) {
      assertEquals("y", values.get(symbol), symbol);
    }
    assertEquals("1", values.get("BLK_DEV_RAM_COUNT"));
    assertFalse(values.containsKey("XEN_NETDEV_FRONTEND"));
    assertFalse(values.containsKey("SMP"));
    assertTrue(config.fragment().contains("CONFIG_XEN_PV=y\n"), config.fragment());
    assertTrue(
        config.byReason().containsKey("a 64-bit Xen PV guest"), config.byReason().toString());
  }

  @Test
  void theSpecAddsTheNetworkDhcpAndVcpus() {
    Map<String, String> net =
        KernelConfig.of(spec(true, "10.0.0.2/24", 1, List.of()), List.of()).values();
    assertEquals("y", net.get("XEN_NETDEV_FRONTEND"));
    assertFalse(net.containsKey("PACKET"));
    Map<String, String> dhcp =
        KernelConfig.of(spec(true, "dhcp", 4, List.of()), List.of()).values();
    assertEquals("y", dhcp.get("PACKET"));
    assertEquals("y", dhcp.get("SMP"));
    assertEquals("4", dhcp.get("NR_CPUS"));
  }

  @Test
  void aNoxsVmGetsNoxsFrontInsteadOfNetfront() {
    KernelConfig config = KernelConfig.of(spec(true, true, "10.0.0.2/24", 1, List.of()), List.of());
    assertEquals("y", config.values().get("XEN_NOXS_FRONT"));
    assertFalse(config.values().containsKey("XEN_NETDEV_FRONTEND"));
    assertTrue(
        config.byReason().keySet().stream().anyMatch(r -> r.contains("--noxs")),
        config.byReason().toString());
    assertEquals(
        "y",
        KernelConfig.of(spec(false, true, null, 1, List.of()), List.of())
            .values()
            .get("XEN_NOXS_FRONT"),
        "the control device needs it without a network too");
  }

  @Test
  void knownPackagesAddTheirNeeds() {
    KernelConfig config = KernelConfig.of(spec(false, null, 1, List.of()), List.of("libaio1"));
    assertEquals("y", config.values().get("AIO"));
    assertTrue(
        config.byReason().get("libaio1 submits asynchronous I/O (io_submit)").contains("AIO=y"));
  }

  @Test
  void extraSymbolsComeLastAndWin() {
    KernelConfig config =
        KernelConfig.of(
            spec(false, null, 1, List.of("CONFIG_PRINTK=n", "LOG_BUF_SHIFT=14", "CMDLINE=\"a b\"")),
            List.of());
    String fragment = config.fragment();
    assertTrue(
        fragment.endsWith(
            "# CONFIG_PRINTK is not set\nCONFIG_LOG_BUF_SHIFT=14\nCONFIG_CMDLINE=\"a b\"\n"),
        fragment);
    assertEquals(1, fragment.split("PRINTK", -1).length - 1, fragment);
    assertThrows(
        IllegalArgumentException.class, () -> KernelConfig.check("CONFIG_X=y\nCONFIG_Y=y"));
    assertThrows(IllegalArgumentException.class, () -> KernelConfig.check("CONFIG_X=\"$(id)"));
  }
}
