package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelModulesTest {
  private static final KernelModules MODULES =
      new KernelModules(
          """
          kernel/drivers/net/xen-netfront.ko:
          kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko kernel/lib/crc16.ko
          kernel/fs/jbd2/jbd2.ko:
          kernel/fs/mbcache.ko:
          kernel/lib/crc16.ko:
          kernel/drivers/block/xen-blkfront.ko:
          """,
          "kernel/drivers/tty/hvc/hvc_xen.ko\nkernel/fs/ext2/ext2.ko\n");

  @Test
  void modulesComeAfterTheirDependenciesOnceEach() throws IOException {
    assertEquals(
        List.of(
            "kernel/drivers/net/xen-netfront.ko",
            "kernel/fs/jbd2/jbd2.ko",
            "kernel/fs/mbcache.ko",
            "kernel/lib/crc16.ko",
            "kernel/fs/ext4/ext4.ko"),
        MODULES.closure(List.of("xen-netfront", "ext4", "jbd2", "hvc_xen")));
  }

  @Test
  void builtInModulesNeedNoFileAndUnknownOnesAreNamed() {
    IOException e =
        assertThrows(IOException.class, () -> MODULES.closure(List.of("ext2", "nosuch", "zfs")));
    assertEquals("the kernel has no module nosuch, zfs", e.getMessage());
    assertEquals("xen_blkfront", KernelModules.moduleName("kernel/drivers/block/xen-blkfront.ko"));
    assertTrue(KernelModules.moduleName("a/b/c.ko.xz").equals("c"));
  }
}
