package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.chaosvm.libxc.UnixUser;
import org.chaosvm.libxc.UserFile;
import org.chaosvm.protocol.ErrorCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request's image file, opened by the daemon as the caller, on the host (as root, which the
 * daemon is: skipped for anyone else): what the caller may not reach, the daemon leaves alone, and
 * the image then travels on the connection.
 */
class ImageFilesTest {
  @TempDir Path dir;
  private final List<String> whyNot = new ArrayList<>();
  private Caller member;

  @BeforeEach
  void asRoot() throws Exception {
    assumeTrue(UnixUser.named(System.getProperty("user.name")).orElseThrow().isRoot(), "not root");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    member = Caller.named("nobody").orElseThrow();
  }

  @Test
  void aMemberCannotHaveTheDaemonReadOrWriteRootsFiles() throws Exception {
    Path secret = Files.writeString(dir.resolve("root.img"), "root's image\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));

    assertEquals(
        Optional.empty(), ImageFiles.open(member, secret.toString(), false, false, whyNot::add));
    assertEquals(
        Optional.empty(), ImageFiles.open(member, secret.toString(), true, false, whyNot::add));

    assertEquals("root's image\n", Files.readString(secret)); // not emptied
    assertTrue(
        whyNot.get(0).contains("cannot read " + secret + " as nobody: EACCES"), whyNot.get(0));
    assertTrue(
        whyNot.get(1).contains("cannot write " + secret + " as nobody: EACCES"), whyNot.get(1));
  }

  @Test
  void aFileTheCallerMayWriteIsOpenedEmpty() throws Exception {
    Path image = Files.writeString(dir.resolve("member.img"), "an older image\n");
    Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-rw-rw-"));
    try (UserFile file =
        ImageFiles.open(member, image.toString(), true, false, whyNot::add).orElseThrow()) {
      assertEquals(0, Files.size(image));
    }
    assertEquals(List.of(), whyNot);
  }

  @Test
  void onlyARegularFileIsOpened() {
    assertEquals(Optional.empty(), ImageFiles.open(member, "/dev/null", true, false, whyNot::add));
    assertEquals(List.of("/dev/null is not a regular file"), whyNot);
  }

  @Test
  void aMigrationsFifoIsOpenedOnceItsTransportReadsIt() throws Exception {
    Path fifo = dir.resolve("transport");
    UserFile.makeFifo(fifo);
    Files.setOwner(
        fifo, fifo.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
    assertEquals(
        Optional.empty(), ImageFiles.open(member, fifo.toString(), true, true, whyNot::add));
    assertTrue(whyNot.get(0).contains("ENXIO"), whyNot.get(0)); // no reader: no open, no wait

    // Read and write: an open to read alone would wait for a writer.
    try (RandomAccessFile reader = new RandomAccessFile(fifo.toFile(), "rw")) {
      assertEquals(
          Optional.empty(), ImageFiles.open(member, fifo.toString(), true, false, whyNot::add));
      assertEquals(fifo + " is not a regular file", whyNot.get(1));
      try (UserFile file =
          ImageFiles.open(member, fifo.toString(), true, true, whyNot::add).orElseThrow()) {
        file.output().write("the image".getBytes(StandardCharsets.US_ASCII));
      }
      byte[] got = new byte[9];
      reader.readFully(got);
      assertEquals("the image", new String(got, StandardCharsets.US_ASCII));
    }
  }

  @Test
  void aMigrationsDestinationReadsThePipeItsRelayReads() throws Exception {
    Path fifo = dir.resolve("relay");
    UserFile.makeFifo(fifo);
    Files.setOwner(
        fifo, fifo.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
    try (RandomAccessFile writer = new RandomAccessFile(fifo.toFile(), "rw")) {
      assertEquals(
          Optional.empty(), ImageFiles.open(member, fifo.toString(), false, false, whyNot::add));
      assertEquals(
          fifo + " is not a regular file", whyNot.get(0)); // a restore's, not a migration's
      writer.write("the image".getBytes(StandardCharsets.US_ASCII));
      try (UserFile file =
          ImageFiles.open(member, fifo.toString(), false, true, whyNot::add).orElseThrow()) {
        assertEquals(
            "the image", new String(file.input().readNBytes(9), StandardCharsets.US_ASCII));
      }
    }
  }

  @Test
  void aRelativePathIsABadRequest() {
    ChaosException bad =
        assertThrows(
            ChaosException.class,
            () -> ImageFiles.open(Caller.ROOT, "saved.img", false, false, whyNot::add));
    assertEquals(ErrorCode.BAD_REQUEST, bad.code());
    assertTrue(bad.getMessage().contains("absolute path, not saved.img"), bad.getMessage());
  }
}
