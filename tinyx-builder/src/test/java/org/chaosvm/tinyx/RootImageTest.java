package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
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
        List.of(
            "root=/dev/ram0",
            "rootfstype=squashfs",
            "ramdisk_size=2",
            "init=/init",
            "devtmpfs.mount=1"),
        new RootImage.Squashfs().cmdline(1025));
    assertTrue(new RootImage.Squashfs().initSetup().contains("pivot_root . ${rw#/}"));
    assertTrue(
        new RootImage.Squashfs()
            .initAfterMounts()
            .contains("echo 0 >/sys/block/ram0/queue/read_ahead_kb"));
    assertEquals("", new RootImage.Initramfs().initAfterMounts());
  }

  /** The targets of an fstab file's mounts, in order, less {@code prefix}. */
  private static List<String> targets(FileTree tree, String fstab, String prefix) {
    String text =
        new String(
            tree.get(fstab).orElseThrow().content(), java.nio.charset.StandardCharsets.UTF_8);
    return text.lines()
        .filter(l -> !l.startsWith("#"))
        .map(l -> l.split(" ")[1])
        .map(t -> t.startsWith(prefix) ? t.substring(prefix.length()) : t)
        .toList();
  }

  /**
   * Both formats mount the same file systems, each in as few processes as it can: the initramfs in
   * two {@code mount -a}, the squashfs's overlay and all of them in one (the kernel mounted its
   * devtmpfs, bound into the overlay), with the same file systems on the read-only root when the
   * overlay cannot be made.
   */
  @Test
  void bothFormatsMountTheKernelsFileSystemsFromTheirFstabs() {
    Set<String> all = Set.of("/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/run", "/tmp");

    FileTree initramfs = new FileTree();
    new RootImage.Initramfs().addTo(initramfs);
    String setup = new RootImage.Initramfs().initSetup();
    List<String> first = targets(initramfs, RootImage.Initramfs.FSTAB, "");
    List<String> dev = targets(initramfs, RootImage.Initramfs.FSTAB_DEV, "");
    assertEquals(
        all, Set.copyOf(java.util.stream.Stream.concat(first.stream(), dev.stream()).toList()));
    assertEquals(List.of("/dev/pts", "/dev/shm"), dev);
    assertTrue(
        setup.indexOf("mount -a -T " + RootImage.Initramfs.FSTAB + "\n")
            < setup.indexOf("mkdir -p /dev/pts /dev/shm\n"),
        setup);
    assertTrue(
        setup.indexOf("mkdir -p /dev/pts /dev/shm\n")
            < setup.indexOf("mount -a -T " + RootImage.Initramfs.FSTAB_DEV + "\n"),
        setup);

    FileTree squashfs = new FileTree();
    new RootImage.Squashfs().addTo(squashfs);
    String newRoot = RootImage.Squashfs.RW + "/root";
    List<String> overlay = targets(squashfs, RootImage.Squashfs.FSTAB_OVERLAY, newRoot);
    assertEquals("", overlay.get(0), "the overlay first, at the new root");
    assertEquals("/dev", overlay.get(1), "the devtmpfs bound before what is mounted in it");
    assertEquals(all, Set.copyOf(overlay.subList(1, overlay.size())));
    assertEquals(overlay.size(), Set.copyOf(overlay).size());
    List<String> readOnly = targets(squashfs, RootImage.Squashfs.FSTAB_READ_ONLY, "");
    Set<String> notDev = new java.util.HashSet<>(all);
    notDev.remove("/dev");
    assertEquals(notDev, Set.copyOf(readOnly));
    String squashfsSetup = new RootImage.Squashfs().initSetup();
    assertTrue(squashfsSetup.startsWith("# "), squashfsSetup);
    assertTrue(
        squashfsSetup.indexOf("mkdir -p /dev/pts /dev/shm $rw/upper $rw/work $rw/root &&\n")
            < squashfsSetup.indexOf("mount -a -T " + RootImage.Squashfs.FSTAB_OVERLAY),
        squashfsSetup);
    assertEquals(
        1, squashfsSetup.split("mount -a -T " + RootImage.Squashfs.FSTAB_OVERLAY, -1).length - 1);
    assertTrue(squashfsSetup.contains("mount -a -T " + RootImage.Squashfs.FSTAB_READ_ONLY));
  }

  /**
   * Runs the squashfs's setup with BusyBox's applets stubbed to print their command line ({@code
   * mount -a} of {@code failing} fails): the applets it runs, one process each in the VM.
   */
  private String squashfsSetup(String failing) throws Exception {
    String stubs =
        "for applet in mount mkdir pivot_root umount; do\n"
            + "  eval \"$applet() { echo $applet \\\"\\$*\\\"; [ \\\"\\$*\\\" != '-a -T "
            + failing
            + "' ]; }\"\n"
            + "done\n"
            + "cd() { :; }\n";
    Path file =
        Files.writeString(dir.resolve("setup"), stubs + new RootImage.Squashfs().initSetup());
    Process sh =
        new ProcessBuilder("/bin/busybox", "sh", file.toString()).redirectErrorStream(true).start();
    assertTrue(sh.waitFor(20, TimeUnit.SECONDS));
    return new String(sh.getInputStream().readAllBytes());
  }

  @Test
  void theSquashfsSetupRunsFiveProcessesAndMountsOnTheReadOnlyRootWithoutTheOverlay()
      throws Exception {
    assertEquals(
        "mount -t tmpfs -o mode=0755 tmpfs /.tinyx-rw\n"
            + "mkdir -p /dev/pts /dev/shm /.tinyx-rw/upper /.tinyx-rw/work /.tinyx-rw/root\n"
            + "mount -a -T /etc/tinyx/fstab.overlay\n"
            + "pivot_root . .tinyx-rw\n"
            + "umount -l /.tinyx-rw\n",
        squashfsSetup("none"));
    assertEquals(
        "mount -t tmpfs -o mode=0755 tmpfs /.tinyx-rw\n"
            + "mkdir -p /dev/pts /dev/shm /.tinyx-rw/upper /.tinyx-rw/work /.tinyx-rw/root\n"
            + "mount -a -T /etc/tinyx/fstab.overlay\n"
            + "tinyx: no overlay on the root file system: it stays read-only\n"
            + "umount -l /.tinyx-rw\n"
            + "mkdir -p /dev/pts /dev/shm\n"
            + "mount -a -T /etc/tinyx/fstab.ro\n",
        squashfsSetup(RootImage.Squashfs.FSTAB_OVERLAY));
  }
}
