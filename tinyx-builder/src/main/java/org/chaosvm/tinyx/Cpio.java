package org.chaosvm.tinyx;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * Writes a file tree as a cpio archive in the "newc" format the kernel unpacks into its initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Everything is owned by root and
 * dated 0, so that the same tree gives the same bytes, and device nodes need no root to make.
 */
final class Cpio {
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFLNK = 0120000;
  private static final int S_IFCHR = 0020000;

  private final OutputStream out;
  private long written;
  private int inode = 1;

  Cpio(OutputStream out) {
    this.out = out;
  }

  /** Writes the whole tree and the trailer. */
  static void write(FileTree tree, OutputStream out) throws IOException {
    Cpio cpio = new Cpio(out);
    for (FileTree.Entry e : tree.entries()) {
      if (!e.path().equals("/")) {
        cpio.entry(e);
      }
    }
    cpio.trailer();
  }

  void entry(FileTree.Entry e) throws IOException {
    String name = e.path().substring(1);
    int type =
        switch (e.type()) {
          case DIRECTORY -> S_IFDIR;
          case FILE -> S_IFREG;
          case SYMLINK -> S_IFLNK;
          case CHAR_DEVICE -> S_IFCHR;
        };
    long size = e.size();
    header(name, type | e.mode(), e.type() == FileTree.Type.DIRECTORY ? 2 : 1, size, e);
    switch (e.type()) {
      case FILE -> {
        if (e.source() != null) {
          try (InputStream in = Files.newInputStream(e.source())) {
            long copied = in.transferTo(out);
            if (copied != size) {
              throw new IOException(e.source() + " changed while it was packed");
            }
            written += copied;
          }
        } else {
          bytes(e.content());
        }
      }
      case SYMLINK -> bytes(e.target().getBytes(StandardCharsets.UTF_8));
      default -> {}
    }
    pad();
  }

  void trailer() throws IOException {
    header("TRAILER!!!", 0, 1, 0, null);
    pad();
    out.flush();
  }

  private void header(String name, int mode, int nlink, long size, FileTree.Entry e)
      throws IOException {
    if (size > 0xffffffffL) {
      throw new IOException(name + " is too large for a cpio archive (4 GiB)");
    }
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    StringBuilder h = new StringBuilder("070701");
    long[] fields = {
      name.equals("TRAILER!!!") ? 0 : inode++,
      mode,
      0, // uid
      0, // gid
      nlink,
      0, // mtime
      size,
      0, // devmajor
      0, // devminor
      e == null ? 0 : e.rdevMajor(),
      e == null ? 0 : e.rdevMinor(),
      nameBytes.length + 1,
      0 // check
    };
    for (long field : fields) {
      h.append(String.format("%08x", field));
    }
    bytes(h.toString().getBytes(StandardCharsets.US_ASCII));
    bytes(nameBytes);
    bytes(new byte[] {0});
    pad();
  }

  private void bytes(byte[] b) throws IOException {
    out.write(b);
    written += b.length;
  }

  private void pad() throws IOException {
    while (written % 4 != 0) {
      out.write(0);
      written++;
    }
  }
}
