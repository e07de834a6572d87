package org.chaosvm.libxc;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening files with another user's rights, on the host (as root, which the daemon is: skipped for
 * anyone else).
 */
class UserFileTest {
  @TempDir Path dir;

  private static UnixUser nobody() {
    return UnixUser.named("nobody").orElseThrow();
  }

  private static void assumeRoot() {
    assumeTrue(UnixUser.named(System.getProperty("user.name")).orElseThrow().isRoot(), "not root");
  }

  @Test
  void usersAreKnownByNameAndRootIsRoot() {
    assertEquals(0, UnixUser.named("root").orElseThrow().uid());
    UnixUser nobody = nobody();
    assertEquals(65534, nobody.uid());
    assertEquals(true, nobody.groups().contains(nobody.gid()));
    assertEquals(4242, UnixUser.named("4242").orElseThrow().uid()); // a uid without an entry
    assertEquals(true, UnixUser.named("no-such-user-here").isEmpty());
  }

  @Test
  void aFileTheUserCannotReadIsNotOpenedForThem() throws Exception {
    assumeRoot();
    Path secret = Files.writeString(dir.resolve("secret"), "root's\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    List<Integer> groupsBefore = UserFile.threadGroups();
    XenException refused =
        assertThrows(XenException.class, () -> UserFile.open(nobody(), secret, false));
    assertEquals(Errno.EACCES, refused.errno());
    // and the thread is itself again: root reads it
    assertEquals(groupsBefore, UserFile.threadGroups());
    try (UserFile root = UserFile.open(UnixUser.named("root").orElseThrow(), secret, false)) {
      assertEquals("root's\n", Files.readString(root.path()));
    }
  }

  @Test
  void aLinkIsFollowedWithTheUsersRights() throws Exception {
    assumeRoot();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path hidden = Files.createDirectory(dir.resolve("hidden"));
    Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwx------"));
    Path readable = Files.writeString(hidden.resolve("kernel"), "a kernel\n");
    Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
    Path link = Files.createSymbolicLink(dir.resolve("link"), readable);
    XenException refused =
        assertThrows(XenException.class, () -> UserFile.open(nobody(), link, false));
    assertEquals(Errno.EACCES, refused.errno());
  }

  @Test
  void theOpenFileIsReachedWhateverBecomesOfItsPath() throws Exception {
    assumeRoot();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path image = Files.writeString(dir.resolve("image"), "the user's\n");
    Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-rw-rw-"));
    try (UserFile file = UserFile.open(nobody(), image, true)) {
      Files.delete(image);
      Files.createSymbolicLink(image, Path.of("/etc/shadow")); // swapped after the check
      assertEquals("the user's\n", Files.readString(file.path()));
    }
  }

  @Test
  void aFileOpenedToWriteIsEmptiedAndItsStreamsShareTheOffset() throws Exception {
    assumeRoot();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path image = Files.writeString(dir.resolve("image"), "an older image, longer\n");
    Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-rw-rw-"));
    try (UserFile file = UserFile.openToWrite(nobody(), image)) {
      assertEquals(true, file.isRegularFile());
      assertEquals(0, Files.size(image));
      try (OutputStream out = file.output()) {
        out.write("head|stream".getBytes(US_ASCII));
      }
      assertEquals(11, file.position()); // and closing the stream left the file open
    }
    try (UserFile file = UserFile.open(nobody(), image, false);
        InputStream in = file.input()) {
      assertEquals("head", new String(in.readNBytes(4), US_ASCII));
      assertEquals(4, file.position()); // no read ahead: C code goes on from here
    }
  }

  @Test
  void aFileTheUserMayNotWriteIsNotOpenedToWrite() throws Exception {
    assumeRoot();
    Path image = Files.writeString(dir.resolve("image"), "root's\n");
    Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
    XenException refused =
        assertThrows(XenException.class, () -> UserFile.openToWrite(nobody(), image));
    assertEquals(Errno.EACCES, refused.errno());
    assertEquals("root's\n", Files.readString(image)); // not emptied
  }

  @Test
  void aPipesWaitingReadsTakeWhatComesFailWhenNothingDoesAndEndWhenClosed() throws Exception {
    assumeRoot();
    Path fifo = dir.resolve("fifo");
    UserFile.makeFifo(fifo);
    UnixUser root = UnixUser.named("root").orElseThrow();
    try (UserFile file = UserFile.open(root, fifo, false);
        OutputStream writer = Files.newOutputStream(fifo)) {
      assertEquals(true, file.isFifo());
      InputStream in = file.input(Duration.ofMillis(300));
      writer.write("line\n".getBytes(US_ASCII));
      writer.flush();
      assertEquals("line\n", new String(in.readNBytes(5), US_ASCII));
      long start = System.nanoTime();
      java.io.IOException idle = assertThrows(java.io.IOException.class, in::read);
      assertEquals(fifo + " sent nothing more within 300 ms", idle.getMessage());
      assertEquals(true, System.nanoTime() - start >= 290_000_000L);
      // A read that waits ends once another thread closes its stream.
      InputStream patient = file.input(Duration.ofSeconds(30));
      Thread closer =
          new Thread(
              () -> {
                try {
                  Thread.sleep(200);
                  patient.close();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      closer.start();
      start = System.nanoTime();
      assertThrows(java.io.IOException.class, patient::read);
      assertEquals(true, System.nanoTime() - start < 5_000_000_000L);
      closer.join();
      writer.write('x');
      writer.close();
      InputStream rest = file.input(Duration.ofSeconds(30));
      assertEquals('x', rest.read()); // the file stayed open, and its writer's end is the end
      assertEquals(-1, rest.read());
    }
  }
}
