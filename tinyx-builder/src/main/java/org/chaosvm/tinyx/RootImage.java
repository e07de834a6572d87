package org.chaosvm.tinyx;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How the VM's root file system reaches its kernel, as the VM's ramdisk: each kernel boots the
 * format it can read without modules. Each writes the image, says how the kernel boots it (the
 * command line) and what the init does first.
 */
interface RootImage {
  /** The image's file name in the output folder. */
  String fileName();

  /** What the image is, for the report. */
  String describe();

  /** Writes {@code tree} as the image {@code out}. */
  void write(FileTree tree, Path out) throws IOException;

  /** The kernel command line's words that boot from the image ({@code imageBytes} long). */
  List<String> cmdline(long imageBytes);

  /**
   * The VM's memory (MiB) when none is asked for, for the kernel that boots this format: the image
   * is {@code imageBytes} long and holds {@code unpackedBytes} of files.
   */
  int defaultMemory(long imageBytes, long unpackedBytes);

  /**
   * The init's first lines: they set up the root file system and mount the kernel's file systems
   * ({@link Mount}: /proc, /sys, /dev with /dev/pts and /dev/shm, /run and /tmp), from the fstab
   * files {@link #addTo} puts in the image.
   */
  String initSetup();

  /** The init's lines once the kernel's file systems are mounted (empty for none). */
  String initAfterMounts();

  /** Adds what the image format needs in the tree (mount points, the init's fstab files). */
  void addTo(FileTree tree);

  /** Every format, one of each. */
  static List<RootImage> formats() {
    return List.of(new Initramfs(), new Squashfs());
  }

  /**
   * An initramfs: a cpio archive compressed with zstd, which the kernel unpacks into ramfs. The
   * whole image is in memory, unpacked, for the VM's life. Debian's kernel boots it (squashfs,
   * overlayfs and the RAM disk are modules there). Not gzip: Xen's domain builder gunzips a gzipped
   * ramdisk into the VM's memory, which then holds the whole archive and its unpacked files at
   * once. The window is 1 MiB, the buffer the kernel allocates to unpack. ramfs, not tmpfs: tmpfs's
   * default limit (half the memory) would cut a small VM's image short.
   */
  final class Initramfs implements RootImage {
    @Override
    public String fileName() {
      return "rootfs.cpio.zst";
    }

    @Override
    public String describe() {
      return "an initramfs (cpio, zstd), unpacked into RAM at boot";
    }

    @Override
    public void write(FileTree tree, Path out) throws IOException {
      Path cpio = out.resolveSibling(out.getFileName() + ".cpio");
      try {
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(cpio), 1 << 16)) {
          Cpio.write(tree, o);
        }
        Processes.run(
            null,
            List.of(
                "zstd",
                "-q",
                "-19",
                "--zstd=wlog=20",
                "--no-progress",
                "-f",
                cpio.toString(),
                "-o",
                out.toString()));
      } finally {
        Files.deleteIfExists(cpio);
      }
    }

    @Override
    public List<String> cmdline(long imageBytes) {
      return List.of("rootfstype=ramfs");
    }

    /**
     * Debian's kernel wants about 64 MiB to load and run, and the initramfs is in memory twice
     * while it is unpacked: 96 MiB and twice the files, up to 32 (at least 128).
     */
    @Override
    public int defaultMemory(long imageBytes, long unpackedBytes) {
      long mib = 96 + 2 * ((unpackedBytes + (1 << 20) - 1) >> 20);
      return (int) Math.max(128, (mib + 31) / 32 * 32);
    }

    /** The kernel's file systems the init mounts first, in one {@code mount -a -T}. */
    static final String FSTAB = "/etc/tinyx/fstab";

    /** Those it mounts in the devtmpfs once their folders are made there. */
    static final String FSTAB_DEV = "/etc/tinyx/fstab.dev";

    /**
     * The root is the initramfs, where the kernel mounts nothing: two mounts, the second in the
     * folders made in the devtmpfs the first mounts.
     */
    @Override
    public String initSetup() {
      return """
          # The root is the initramfs, in RAM: the kernel's file systems in two mounts, the second
          # in folders made in the devtmpfs the first mounts.
          mount -a -T %s
          mkdir -p %s
          mount -a -T %s
          """
          .formatted(FSTAB, Mount.targets(Mount.IN_DEV), FSTAB_DEV);
    }

    @Override
    public String initAfterMounts() {
      return "";
    }

    @Override
    public void addTo(FileTree tree) {
      Mount.addFstab(
          tree,
          FSTAB,
          "The init's first mounts (mount -a -T): the kernel's file systems, /run and /tmp.",
          List.of(Mount.PROC, Mount.SYSFS, Mount.DEVTMPFS, Mount.RUN, Mount.TMP));
      Mount.addFstab(
          tree,
          FSTAB_DEV,
          "The init's mounts in /dev, once it has made their folders there.",
          Mount.IN_DEV);
    }
  }

  /**
   * A squashfs (lz4) that the kernel makes its RAM disk and mounts read-only as the root; the init
   * puts an overlay with a tmpfs on top, for writes, and makes it the root. The small kernel's RAM
   * disk takes the image's own pages, with no copy (patch 0007). The VM's memory holds the
   * compressed image and only the files' pages in use, which the kernel can drop and read again:
   * redis ran in 24 MiB this way from a zstd image, and runs in 32 from its larger lz4 one, against
   * 40 with an initramfs (docs/tinyx.md).
   */
  final class Squashfs implements RootImage {
    /** Where the init mounts the tmpfs for the overlay; the old root goes there too, then away. */
    static final String RW = "/.tinyx-rw";

    /**
     * The squashfs's block: each page of a file read from the image decompresses the block it is
     * in, and in a small VM the page cache cannot keep them all, so that the application's pages
     * are decompressed again and again. 16 KiB blocks, with nothing read ahead ({@link
     * #initAfterMounts}), decompress less for each page than the default 128 KiB: redis in 32 MiB
     * answered 0.38 s sooner (docs/tinyx.md), for an image 9 % larger.
     */
    static final String BLOCK = "16K";

    /**
     * lz4, at its high compression ({@code -Xhc}: slower to pack, as fast to unpack). Every page of
     * a file the VM reads is decompressed from the image, the application's libraries at its start
     * first: lz4 decompresses several times faster than zstd for an image about a third larger. In
     * the rig (docs/tinyx.md) redis answered 0.15 to 0.35 s sooner after its create than with zstd
     * at level 19, and the Python script ended 0.15 to 0.3 s sooner.
     */
    static final String COMPRESSION = "lz4";

    @Override
    public String fileName() {
      return "rootfs.squashfs";
    }

    @Override
    public String describe() {
      return "a squashfs ("
          + COMPRESSION
          + ") on a RAM disk, read-only, with an overlay on tmpfs for writes";
    }

    /**
     * Lays the tree out in a folder beside {@code out} (files linked to their sources where the
     * file system allows, else copied) and packs it with mksquashfs: owners, modes and device nodes
     * come from a pseudo file, so no root is needed; times are 0, so that the same tree gives the
     * same bytes.
     */
    @Override
    public void write(FileTree tree, Path out) throws IOException {
      Path stage = out.resolveSibling(out.getFileName() + ".stage");
      Path pseudo = out.resolveSibling(out.getFileName() + ".pseudo");
      PackageStore.deleteTree(stage);
      try {
        tree.layOut(stage);
        // each entry's mode and owner (or its device node) in the pseudo file
        List<String> definitions = new ArrayList<>();
        for (FileTree.Entry e : tree.entries()) {
          if (e.path().equals("/")) {
            continue;
          }
          String name = quote(e.path().substring(1));
          String mode = Integer.toOctalString(e.mode());
          switch (e.type()) {
            case DIRECTORY, FILE -> definitions.add(name + " m " + mode + " 0 0");
            case SYMLINK -> {}
            case CHAR_DEVICE ->
                definitions.add(
                    name + " c " + mode + " 0 0 " + e.rdevMajor() + " " + e.rdevMinor());
          }
        }
        Files.write(pseudo, definitions, StandardCharsets.UTF_8);
        Files.deleteIfExists(out);
        Processes.run(
            null,
            List.of(
                "mksquashfs",
                stage.toString(),
                out.toString(),
                "-noappend",
                "-quiet",
                "-no-progress",
                "-b",
                BLOCK,
                "-comp",
                COMPRESSION,
                "-Xhc",
                "-all-root",
                "-no-xattrs",
                "-all-time",
                "0",
                "-mkfs-time",
                "0",
                "-pf",
                pseudo.toString()));
      } finally {
        PackageStore.deleteTree(stage);
        Files.deleteIfExists(pseudo);
      }
    }

    /** A path in a pseudo file: quoted, with quotes and backslashes escaped. */
    private static String quote(String path) throws IOException {
      if (path.contains("\n")) {
        throw new IOException(
            "cannot put a file whose name holds a newline in a squashfs: " + path);
      }
      return "\"" + path.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /**
     * root=/dev/ram0: the kernel copies the image (its ramdisk) onto the first RAM disk, sized to
     * fit it, and mounts it read-only; /init is the init, as in an initramfs. devtmpfs.mount=1: the
     * kernel mounts its devtmpfs on the root's /dev before the init runs, so that the init can make
     * the folders for /dev/pts and /dev/shm first and mount everything at once ({@link
     * #initSetup}).
     */
    @Override
    public List<String> cmdline(long imageBytes) {
      return List.of(
          "root=/dev/ram0",
          "rootfstype=squashfs",
          "ramdisk_size=" + (imageBytes + 1023) / 1024,
          "init=/init",
          "devtmpfs.mount=1");
    }

    /**
     * 16 MiB for the small kernel as Xen lays it out (4.2 MiB), Xen's start-of-day pages, the
     * kernel's own allocations and the application; the squashfs, in memory for the VM's life; and
     * a quarter of the files, unpacked, for the pages of those in use, which the kernel
     * decompresses from it. Rounded up to 4 MiB (at least 24). Measured in the rig (docs/tinyx.md):
     * redis ready in 32 MiB (32 given) and not within 5 minutes in 24; with zstd's smaller images,
     * lighttpd ready in 16 MiB and the Python script as quick in 40 MiB as in 56.
     */
    @Override
    public int defaultMemory(long imageBytes, long unpackedBytes) {
      double mib = 16 + (imageBytes + unpackedBytes / 4.0) / (1 << 20);
      return (int) Math.max(24, Math.ceil(mib / 4) * 4);
    }

    /** The overlay and the kernel's file systems in it, mounted in one {@code mount -a -T}. */
    static final String FSTAB_OVERLAY = "/etc/tinyx/fstab.overlay";

    /** The kernel's file systems on the read-only root, when the overlay cannot be made. */
    static final String FSTAB_READ_ONLY = "/etc/tinyx/fstab.ro";

    /** The root the overlay is mounted on, before it becomes the root. */
    private static final String NEW_ROOT = RW + "/root";

    /**
     * The overlay is mounted in the tmpfs, and the kernel's file systems in the overlay, in one
     * {@code mount -a} (the kernel's devtmpfs, on the old root's /dev, bound to the new one's)
     * before the overlay becomes the root, with every folder made in one {@code mkdir}: five
     * processes in all, where making the overlay and then mounting the kernel's file systems in two
     * {@code mount -a} took eight (measured in docs/tinyx.md).
     */
    @Override
    public String initSetup() {
      return """
          # The root is the image, read-only (squashfs on a RAM disk), with the kernel's devtmpfs
          # on its /dev: an overlay with a tmpfs on top takes the writes and becomes the root, with
          # the kernel's file systems mounted in it; the old root goes away (the overlay keeps it).
          rw=%1$s
          if mount -t tmpfs -o mode=0755 tmpfs $rw &&
            mkdir -p %2$s $rw/upper $rw/work $rw/root &&
            mount -a -T %3$s &&
            cd $rw/root && pivot_root . ${rw#/}; then
            cd /
            umount -l $rw
          else
            echo "tinyx: no overlay on the root file system: it stays read-only"
            cd /
            umount -l $rw 2>/dev/null
            mkdir -p %2$s
            mount -a -T %4$s
          fi
          """
          .formatted(RW, Mount.targets(Mount.IN_DEV), FSTAB_OVERLAY, FSTAB_READ_ONLY);
    }

    /** The RAM disk reads nothing ahead: see {@link #BLOCK}. */
    @Override
    public String initAfterMounts() {
      return """
          # The root's RAM disk reads nothing ahead: a page read from the squashfs decompresses
          # its block, and pages read ahead would take the memory the application's pages need.
          echo 0 >/sys/block/ram0/queue/read_ahead_kb
          """;
    }

    @Override
    public void addTo(FileTree tree) {
      tree.directory(RW, 0755, "tinyx skeleton");
      List<Mount> mounts = new ArrayList<>(Mount.IN_DEV);
      mounts.addAll(List.of(Mount.PROC, Mount.SYSFS, Mount.RUN, Mount.TMP));
      List<Mount> overlay = new ArrayList<>();
      overlay.add(
          new Mount(
              "overlay",
              NEW_ROOT,
              "overlay",
              "lowerdir=/,upperdir=" + RW + "/upper,workdir=" + RW + "/work"));
      overlay.add(new Mount("/dev", NEW_ROOT + "/dev", "none", "bind"));
      mounts.forEach(m -> overlay.add(m.under(NEW_ROOT)));
      Mount.addFstab(
          tree,
          FSTAB_OVERLAY,
          "The init's mounts (mount -a -T): the overlay, then the kernel's file systems in it.",
          overlay);
      Mount.addFstab(
          tree,
          FSTAB_READ_ONLY,
          "The init's mounts on the read-only root when it could not make the overlay.",
          mounts);
    }
  }
}
