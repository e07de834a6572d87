package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import org.chaosvm.daemon.config.ConfigException;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.XlConfigReader;
import org.junit.jupiter.api.Test;

class PygrubTest {
  private static final Path DIR = Path.of("/var/lib/chaos/bootloader.7.d");

  private static GuestConfig guest() throws ConfigException {
    return XlConfigReader.read(
        Path.of("vm.cfg"),
        "name = \"web\"\nbootloader = \"pygrub\"\ndisk = [ '/srv/web.img,raw,xvda,rw' ]\n");
  }

  @Test
  void simple0OutputGivesTheKernelRamdiskAndCommandLineToBuild() throws ConfigException {
    Pygrub.Boot boot =
        Pygrub.parse(
            "kernel "
                + DIR
                + "/boot/boot_kernel.x1\0ramdisk "
                + DIR
                + "/boot/boot_ramdisk.x2\0args root=/dev/xvda1 ro quiet\0",
            guest(),
            DIR);
    GuestConfig built = boot.of(guest());
    assertEquals(DIR.resolve("boot/boot_kernel.x1"), built.kernel());
    assertEquals(Optional.of(DIR.resolve("boot/boot_ramdisk.x2")), built.ramdisk());
    assertEquals("root=/dev/xvda1 ro quiet", built.cmdline());
    assertEquals(Optional.empty(), built.bootloader());
  }

  @Test
  void noKernelOrAFileOutsideItsFolderIsRefused() {
    ChaosException none =
        assertThrows(ChaosException.class, () -> Pygrub.parse("args quiet\0", guest(), DIR));
    assertTrue(none.getMessage().contains("found no kernel"), none.getMessage());
    ChaosException outside =
        assertThrows(
            ChaosException.class,
            () -> Pygrub.parse("kernel " + DIR + "/../../../../etc/shadow\0", guest(), DIR));
    assertTrue(outside.getMessage().contains("outside its folder"), outside.getMessage());
  }
}
