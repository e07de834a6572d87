package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.GuestConfigs;
import org.chaosvm.daemon.config.XlConfigReader;
import org.chaosvm.libxc.DomId;
import org.chaosvm.protocol.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may do what, on the host: the owners' records, the pool cap, and the files of a member's
 * create opened as the member (as root, which the daemon is; those tests are skipped otherwise).
 */
class AccessTest {
  @TempDir Path dir;

  private final Caller alice = Caller.named("nobody").orElseThrow(); // any user but root

  private static void assumeRoot() {
    assumeTrue(Caller.named(System.getProperty("user.name")).orElseThrow().isRoot(), "not root");
  }

  @Test
  void aMemberActsOnItsOwnGuestsOnlyAndRootOnAll() {
    GuestOwners owners = new GuestOwners(dir);
    Access access = new Access(MemberPolicy.DEFAULT, owners);
    Guest mine = GuestRegistryTest.guest(5, "mine");
    Guest roots = GuestRegistryTest.guest(6, "roots");
    owners.record(mine.domid(), mine.uuid(), alice);
    assertTrue(access.mayUse(alice, mine));
    assertFalse(access.mayUse(alice, roots));
    assertTrue(access.mayUse(Caller.ROOT, mine));
    ChaosException denied =
        assertThrows(ChaosException.class, () -> access.requireOwner(alice, roots, "destroy"));
    assertEquals(ErrorCode.DENIED, denied.code());
    assertEquals("nobody may not destroy roots: it is root's guest", denied.getMessage());
  }

  @Test
  void ownersAreReadBackByARestartedDaemonForTheirOwnDomainOnly() {
    GuestOwners before = new GuestOwners(dir);
    Guest mine = GuestRegistryTest.guest(5, "mine");
    Guest gone = GuestRegistryTest.guest(7, "gone");
    before.record(mine.domid(), mine.uuid(), alice);
    before.record(gone.domid(), gone.uuid(), alice);
    GuestOwners after = new GuestOwners(dir);
    after.load(Set.of(DomId.of(5)));
    assertEquals("nobody", after.ownerOf(mine));
    assertEquals(
        "root", after.ownerOf(GuestRegistryTest.guest(5, "another guest on a reused domid")));
    assertFalse(Files.exists(dir.resolve("owners").resolve("7")), "a gone domain's record stays");
    after.forget(mine.domid());
    assertEquals("root", after.ownerOf(mine));
    assertFalse(Files.exists(dir.resolve("owners").resolve("5")));
  }

  @Test
  void aMembersPoolTargetsAreCappedAndRootsAreNot() {
    Access access = new Access(new MemberPolicy(4, List.of(), List.of()), new GuestOwners(dir));
    Map<SizeClass, Integer> current = Map.of(new SizeClass(256, 1), 2);
    access.requirePoolTargets(alice, current, Map.of(new SizeClass(64, 1), 2));
    ChaosException denied =
        assertThrows(
            ChaosException.class,
            () -> access.requirePoolTargets(alice, current, Map.of(new SizeClass(64, 1), 3)));
    assertEquals(ErrorCode.DENIED, denied.code());
    assertTrue(denied.getMessage().contains("adding up to 5 shells"), denied.getMessage());
    access.requirePoolTargets(Caller.ROOT, current, Map.of(new SizeClass(64, 1), 100_000));
    // Over the cap already (root's doing): a member may lower it, not raise it.
    Map<SizeClass, Integer> high = Map.of(new SizeClass(256, 1), 20);
    access.requirePoolTargets(alice, high, Map.of(new SizeClass(256, 1), 10));
    assertThrows(
        ChaosException.class,
        () -> access.requirePoolTargets(alice, high, Map.of(new SizeClass(64, 1), 1)));
  }

  @Test
  void aMembersVifsAreOnTheBridgesThePolicyNamesAndNameNoInterfaceOfDom0s() throws Exception {
    MemberPolicy tenants = new MemberPolicy(8, List.of(), List.of("tenant*", "xenbr1"));
    Access access = new Access(tenants, new GuestOwners(dir));
    access.requireNetwork(alice, "web", GuestConfigs.vif("test", "bridge=tenant7"));
    access.requireNetwork(
        alice, "web", GuestConfigs.vif("test", "bridge=xenbr1,mac=00:16:3e:00:00:01"));
    ChaosException denied =
        assertThrows(
            ChaosException.class,
            () -> access.requireNetwork(alice, "web", GuestConfigs.vif("test", "ip=10.0.0.2")));
    assertEquals(ErrorCode.DENIED, denied.code());
    assertEquals(
        "nobody may not connect web to bridge xenbr0: members may use only the bridges"
            + " chaos-daemon --member-bridge names",
        denied.getMessage());
    denied =
        assertThrows(
            ChaosException.class,
            () ->
                access.requireNetwork(
                    alice, "web", GuestConfigs.vif("test", "bridge=tenant7,vifname=trusted0")));
    assertEquals(
        "nobody may not name web's interface in Dom0 (vifname=trusted0): only root may",
        denied.getMessage());
    assertThrows(
        ChaosException.class,
        () -> access.requireNetwork(alice, "web", GuestConfigs.vif("test", "bridge=xenbr10")));
    access.requireNetwork(
        Caller.ROOT, "web", GuestConfigs.vif("test", "bridge=mgmt0,vifname=trusted0"));
    // None by default; never a path.
    assertFalse(MemberPolicy.DEFAULT.allowsBridge("xenbr0"));
    assertFalse(new MemberPolicy(8, List.of(), List.of("*")).allowsBridge("a/b"));
    assertTrue(new MemberPolicy(8, List.of(), List.of("*")).allowsBridge("xenbr0"));
  }

  private GuestConfig config(String text) throws Exception {
    return XlConfigReader.read(dir.resolve("vm.cfg"), text);
  }

  @Test
  void aMemberCreatesFromFilesItCanOpenItselfOnly() throws Exception {
    assumeRoot();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path kernel = Files.writeString(dir.resolve("vmlinuz"), "a kernel");
    Path secret = Files.writeString(dir.resolve("secret"), "root's");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    GuestConfig readable = config("name = \"a\"\nkernel = \"" + kernel + "\"\n");
    try (CallerFiles files = new CallerFiles(alice, MemberPolicy.DEFAULT)) {
      GuestConfig build = files.open(readable);
      assertTrue(build.kernel().startsWith("/proc/self/fd"), build.kernel().toString());
      assertEquals("a kernel", Files.readString(build.kernel()));
    }
    GuestConfig unreadable =
        config("name = \"a\"\nkernel = \"" + kernel + "\"\nramdisk = \"" + secret + "\"\n");
    try (CallerFiles files = new CallerFiles(alice, MemberPolicy.DEFAULT)) {
      ChaosException denied = assertThrows(ChaosException.class, () -> files.open(unreadable));
      assertEquals(ErrorCode.DENIED, denied.code());
      assertEquals(
          "nobody may not read " + secret + " (the ramdisk): permission denied",
          denied.getMessage());
    }
    try (CallerFiles files = new CallerFiles(Caller.ROOT, MemberPolicy.DEFAULT)) {
      assertEquals(unreadable, files.open(unreadable)); // root's paths are used as they are
    }
  }

  @Test
  void aMembersDiskIsAFileItMayWriteOrAnAllowedDevice() throws Exception {
    assumeRoot();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path image = Files.writeString(dir.resolve("disk.img"), "");
    Files.setPosixFilePermissions(image, PosixFilePermissions.fromString("rw-r--r--"));
    try (CallerFiles files = new CallerFiles(alice, MemberPolicy.DEFAULT)) {
      DiskSpec readOnly = files.open(DiskSpec.of(image.toString(), "xvda", false));
      assertTrue(readOnly.target().startsWith("/proc/self/fd/"), readOnly.target());
      ChaosException denied =
          assertThrows(
              ChaosException.class, () -> files.open(DiskSpec.of(image.toString(), "xvdb", true)));
      assertEquals(ErrorCode.DENIED, denied.code());
      assertTrue(denied.getMessage().contains("may not read and write"), denied.getMessage());
    }
    assumeTrue(Files.exists(Path.of("/dev/loop0")), "no /dev/loop0 here");
    try (CallerFiles files = new CallerFiles(alice, MemberPolicy.DEFAULT)) {
      ChaosException denied =
          assertThrows(
              ChaosException.class, () -> files.open(DiskSpec.of("/dev/loop0", "xvdc", true)));
      assertEquals(ErrorCode.DENIED, denied.code());
    }
    MemberPolicy loops = new MemberPolicy(8, List.of("/dev/loop*"), List.of());
    try (CallerFiles files = new CallerFiles(alice, loops)) {
      DiskSpec allowed = DiskSpec.of("/dev/loop0", "xvdc", true);
      assertEquals(allowed, files.open(allowed));
    }
  }

  @Test
  void aFifoIsNotAKernelAndDoesNotHoldTheCreate() throws Exception {
    assumeRoot();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path fifo = dir.resolve("fifo");
    new ProcessBuilder("mkfifo", "-m", "666", fifo.toString()).start().waitFor();
    try (CallerFiles files = new CallerFiles(alice, MemberPolicy.DEFAULT)) {
      ChaosException refused =
          assertThrows(
              ChaosException.class,
              () -> files.open(config("name = \"a\"\nkernel = \"" + fifo + "\"\n")));
      assertEquals(ErrorCode.CONFIG, refused.code());
      assertTrue(refused.getMessage().contains("is not a regular file"), refused.getMessage());
    }
  }
}
