package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpioTest {
  @TempDir Path dir;

  @Test
  void cpioReadsTheArchiveBackWithRootOwnershipLinksAndTheConsoleNode() throws Exception {
    Path host = Files.writeString(dir.resolve("hello.txt"), "hello, tinyx\n");
    FileTree tree = new FileTree();
    tree.addFile("/srv/hello.txt", host, 0640, "test");
    tree.addContent("/init", "#!/bin/busybox sh\n", 0755, "test");
    tree.addSymlink("/bin/sh", "/usr/bin/busybox", "test");
    tree.addCharDevice("/dev/console", 0600, 5, 1, "test");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Cpio.write(tree, bytes);
    assertEquals(0, bytes.size() % 4);
    Path archive = Files.write(dir.resolve("image.cpio"), bytes.toByteArray());

    Process cpio =
        new ProcessBuilder("cpio", "-itv", "--quiet", "-F", archive.toString())
            .redirectErrorStream(true)
            .start();
    assertTrue(cpio.waitFor(10, TimeUnit.SECONDS));
    String listing = new String(cpio.getInputStream().readAllBytes());
    assertEquals(0, cpio.exitValue(), listing);
    assertTrue(
        listing.matches("(?s).*-rw-r-----\\s+1 root\\s+root\\s+13 .* srv/hello.txt\n.*"), listing);
    assertTrue(listing.contains("usr/bin/sh -> /usr/bin/busybox"), listing);
    assertTrue(
        listing.matches("(?s).*crw-------\\s+1 root\\s+root\\s+5,\\s+1 .* dev/console\n.*"),
        listing);
    assertTrue(listing.contains(" bin -> usr/bin"), listing);
    assertTrue(listing.indexOf(" srv\n") < listing.indexOf(" srv/hello.txt"), "folders first");
  }
}
