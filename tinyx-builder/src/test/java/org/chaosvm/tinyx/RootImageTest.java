package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small kernel's root image, a squashfs made by mksquashfs, read back with unsquashfs: owners,
 * modes and the console's node as the tree says, though no root made them; the same tree gives the
 * same bytes. The rig boots it (TinyxE2ETest).
 */
class RootImageTest {
  @TempDir Path dir;

  private FileTree tree() throws Exception {
    Path host = Files.writeString(dir.resolve("hello.txt"), "hello, tinyx\n");
    Files.setPosixFilePermissions(
        host, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
    FileTree tree = new FileTree();
    tree.addFile("/srv/a \"quoted\" name.txt", host, 0640, "test");
    tree.addContent("/init", "#!/bin/busybox sh\n", 0755, "test");
    tree.addSymlink("/bin/sh", "/usr/bin/busybox", "test");
    tree.addCharDevice("/dev/console", 0600, 5, 1, "test");
    new RootImage.Squashfs().addTo(tree);
    return tree;
  }

  private static String unsquashfs(Path image) throws Exception {
    Process p =
        new ProcessBuilder("unsquashfs", "-lls", "-d", "", image.toString())
            .redirectErrorStream(true)
            .start();
    String listing = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), listing);
    return listing;
  }

  /** The image's superblock as {@code unsquashfs -s} prints it. */
  private static String superblock(Path image) throws Exception {
    Process p =
        new ProcessBuilder("unsquashfs", "-s", image.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  @Test
  void aSquashfsHoldsTheTreeWithItsModesRootOwnedAndTheConsoleNode() throws Exception {
    Path image = dir.resolve("rootfs.squashfs");
    new RootImage.Squashfs().write(tree(), image);
    String listing = unsquashfs(image);
    assertTrue(
        listing.matches(
            "(?s).*-rw-r----- root/root\\s+13 1970-01-01 00:00 /srv/a \"quoted\" name.txt\n.*"),
        listing);
    assertTrue(
        listing.matches("(?s).*-rwxr-xr-x root/root\\s+\\d+ [0-9-]+ [0-9:]+ /init\n.*"), listing);
    assertTrue(listing.contains("/usr/bin/sh -> /usr/bin/busybox"), listing);
    assertTrue(listing.contains(" /bin -> usr/bin"), listing);
    assertTrue(
        listing.matches("(?s).*crw------- root/root\\s+5,\\s+1 .* /dev/console\n.*"), listing);
    assertTrue(listing.contains("drwxr-xr-x root/root"), listing);
    assertTrue(listing.contains(" " + RootImage.Squashfs.RW + "\n"), listing);
    // the host file keeps its own mode: the image's comes from the pseudo file
    assertEquals(
        "rw-rw-rw-",
        java.nio.file.attribute.PosixFilePermissions.toString(
            Files.getPosixFilePermissions(dir.resolve("hello.txt"))));
    assertFalse(Files.exists(dir.resolve("rootfs.squashfs.stage")));

    String superblock = superblock(image);
    assertTrue(superblock.contains("Block size 16384"), superblock);

    Path again = dir.resolve("again.squashfs");
    new RootImage.Squashfs().write(tree(), again);
    assertArrayEquals(Files.readAllBytes(image), Files.readAllBytes(again));
  }

  @Test
  void theKernelBootsItFromTheFirstRamDiskSizedToFit() {
    assertEquals(
        java.util.List.of("root=/dev/ram0", "rootfstype=squashfs", "ramdisk_size=2", "init=/init"),
        new RootImage.Squashfs().cmdline(1025));
    assertTrue(new RootImage.Squashfs().initSetup().contains("pivot_root . ${rw#/}"));
    assertEquals("", new RootImage.Initramfs().initSetup());
    assertTrue(
        new RootImage.Squashfs()
            .initAfterMounts()
            .contains("echo 0 >/sys/block/ram0/queue/read_ahead_kb"));
    assertEquals("", new RootImage.Initramfs().initAfterMounts());
  }
}
