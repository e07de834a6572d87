package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.LifecycleAction;
import org.chaosvm.daemon.config.XlConfigReader;
import org.junit.jupiter.api.Test;

class VmConfigTest {
  static Spec spec(boolean network, Optional<String> ip) {
    return spec(network, false, Spec.KernelSpec.defaultSmall(), ip);
  }

  static Spec spec(boolean network, boolean noxs, Spec.KernelSpec kernel, Optional<String> ip) {
    return new Spec(
        "redis-server",
        List.of("redis-server"),
        "redis",
        List.of(),
        List.of(),
        Map.of(),
        "/",
        0,
        1,
        List.of(),
        kernel,
        network,
        noxs,
        "xenbr0",
        ip,
        Optional.of("10.0.0.1"),
        Path.of("out"),
        Optional.empty(),
        Optional.empty());
  }

  @Test
  void chaosReadsTheConfigTinyxWrites() throws Exception {
    String text =
        VmConfig.render(
            spec(true, Optional.of("10.0.0.12/24")),
            "/vms/redis/vmlinuz",
            "/vms/redis/rootfs.cpio.zst",
            List.of("rootfstype=ramfs"),
            160,
            "redis-server");
    GuestConfig guest = XlConfigReader.read(Path.of("vm.cfg"), text);
    assertEquals("redis", guest.name());
    assertEquals(Path.of("/vms/redis/vmlinuz"), guest.kernel());
    assertEquals(Optional.of(Path.of("/vms/redis/rootfs.cpio.zst")), guest.ramdisk());
    assertEquals(160, guest.memoryMib());
    assertEquals(
        "console=hvc0 quiet rootfstype=ramfs ip=10.0.0.12/24::10.0.0.1::redis:eth0:off",
        guest.cmdline());
    assertEquals(1, guest.vifs().size());
    assertEquals(LifecycleAction.DESTROY, guest.onPoweroff());
  }

  @Test
  void aNoxsVmIsANoxsGuestForChaosAndNeedsTheSmallKernel() throws Exception {
    String text =
        VmConfig.render(
            spec(true, true, Spec.KernelSpec.defaultSmall(), Optional.of("10.0.0.13/24")),
            "/k",
            "/r",
            List.of(),
            32,
            "redis-server");
    GuestConfig guest = XlConfigReader.read(Path.of("vm.cfg"), text);
    assertEquals(Optional.of(DeviceMechanism.NOXS), guest.devices());
    assertEquals(1, guest.vifs().size());
    assertTrue(text.contains("chaos create vm.cfg, on the noxs-patched Xen"), text);
    Spec.KernelSpec debian =
        new Spec.KernelSpec(
            false, Spec.KernelSpec.DEFAULT_SOURCE, List.of(), Optional.empty(), List.of());
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () -> spec(true, true, debian, Optional.of("10.0.0.13/24")));
    assertTrue(
        refused.getMessage().startsWith("--noxs needs the small kernel"), refused.getMessage());
  }

  @Test
  void withoutANetworkThereIsNoVifAndNoAddress() throws Exception {
    List<String> root = new RootImage.Squashfs().cmdline(7647232);
    String text = VmConfig.render(spec(false, Optional.of("dhcp")), "/k", "/r", root, 128, "x");
    GuestConfig guest = XlConfigReader.read(Path.of("vm.cfg"), text);
    assertTrue(guest.vifs().isEmpty());
    assertEquals(
        "console=hvc0 quiet root=/dev/ram0 rootfstype=squashfs ramdisk_size=7468 init=/init"
            + " devtmpfs.mount=1",
        guest.cmdline());
    assertEquals(
        "console=hvc0 quiet rootfstype=ramfs ip=dhcp",
        VmConfig.cmdline(spec(true, Optional.of("dhcp")), List.of("rootfstype=ramfs")));
  }

  @Test
  void memoryFollowsTheImageWhenNotGiven() {
    assertEquals(128, new RootImage.Initramfs().defaultMemory(4L << 20, 10L << 20));
    assertEquals(
        192, new RootImage.Initramfs().defaultMemory(15L << 20, 37L << 20)); // 96 + 74, up to 32
    // 16 MiB, the image and a quarter of the files, up to 4 MiB (the examples' lz4 images)
    assertEquals(24, new RootImage.Squashfs().defaultMemory(3739648L, 6291456L)); // lighttpd: 21.1
    assertEquals(32, new RootImage.Squashfs().defaultMemory(10993664L, 20027802L)); // redis: 31.3
    assertEquals(52, new RootImage.Squashfs().defaultMemory(25088000L, 49597440L)); // python: 51.7
  }
}
