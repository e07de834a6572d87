package org.chaosvm.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class XlConfigReaderTest {
  private static final Path FILE = Path.of("vm.cfg");

  private static GuestConfig read(String text) throws ConfigException {
    return XlConfigReader.read(FILE, text);
  }

  private static ConfigException failure(String text) {
    return assertThrows(ConfigException.class, () -> read(text));
  }

  @Test
  void fullPvConfigAsXlReadsIt() throws Exception {
    GuestConfig guest =
        read(
            """
            # a web server
            name = "web1"
            type = "pv"
            kernel = "/boot/vmlinuz"; ramdisk = '/boot/initrd.img'
            root = "/dev/xvda1 ro"
            extra = "console=hvc0"
            memory = 256
            maxmem = 0x200
            vcpus = 2
            maxvcpus = 4
            cpus = "0-1,3"
            uuid = "6d7ec2ea-3d7e-4cb1-9e0e-2a3c8f0b1a10"
            on_poweroff = "destroy"
            on_reboot = "restart"
            on_crash = "preserve"
            vif = [ 'mac=00:16:3e:00:00:01,bridge=xenbr0,ip=10.0.0.2',
                    'bridge=xenbr0', ]
            disk = [ '/srv/web1.img,raw,xvda,rw', 'phy:/dev/sdb,xvdb,r' ]
            """);

    assertEquals("web1", guest.name());
    assertEquals(Path.of("/boot/vmlinuz"), guest.kernel());
    assertEquals(Optional.of(Path.of("/boot/initrd.img")), guest.ramdisk());
    assertEquals("root=/dev/xvda1 ro console=hvc0", guest.cmdline());
    assertEquals(256, guest.memoryMib());
    assertEquals(512, guest.maxMemoryMib());
    assertEquals(2, guest.vcpus());
    assertEquals(4, guest.maxVcpus());
    BitSet cpus = new BitSet();
    cpus.set(0, 2);
    cpus.set(3);
    assertEquals(Optional.of(cpus), guest.cpus());
    assertEquals(
        Optional.of(UUID.fromString("6d7ec2ea-3d7e-4cb1-9e0e-2a3c8f0b1a10")), guest.uuid());
    assertEquals(LifecycleAction.PRESERVE, guest.onCrash());
    assertEquals(2, guest.vifs().size());
    assertEquals(Optional.of("00:16:3e:00:00:01"), guest.vifs().get(0).mac());
    assertEquals(Optional.of("10.0.0.2"), guest.vifs().get(0).ip());
    assertEquals(DiskSpec.of("/srv/web1.img", "xvda", true), guest.disks().get(0));
    assertEquals(DiskSpec.of("/dev/sdb", "xvdb", false), guest.disks().get(1));
    assertFalse(guest.paused());
  }

  @Test
  void defaultsAreXls() throws Exception {
    GuestConfig guest = read("name = \"a\"\nkernel = \"/k\"\n");

    assertEquals(128, guest.memoryMib());
    assertEquals(1, guest.vcpus());
    assertEquals(LifecycleAction.DESTROY, guest.onPoweroff());
    assertEquals(LifecycleAction.RESTART, guest.onReboot());
    assertEquals("", guest.cmdline());
    assertEquals(List.of(), guest.vifs());
  }

  @Test
  void cmdlineIsTakenAsItIs() throws Exception {
    assertEquals(
        "console=hvc0 quiet",
        read("name=\"a\"\nkernel=\"/k\"\ncmdline=\"console=hvc0 quiet\"").cmdline());
  }

  @Test
  void aBootloaderGuestNeedsNoKernelAndGivesItsKernelRamdiskAndArgsToTheBootloader()
      throws ConfigException {
    GuestConfig plain = read("name = \"a\"\nbootloader = \"pygrub\"\ndisk = [ '/d.img,,xvda' ]\n");
    assertEquals(
        Optional.of(new Bootloader("pygrub", List.of(), Optional.empty(), Optional.empty())),
        plain.bootloader());
    assertEquals("", plain.cmdline());

    GuestConfig hinted =
        read(
            "name = \"a\"\nbootloader = \"pygrub\"\nkernel = \"/boot/vmlinuz\"\n"
                + "ramdisk = \"/boot/initrd\"\nextra = \"quiet\"\ndisk = [ '/d.img,,xvda' ]\n"
                + "bootloader_args = [ \"--entry=1\", \"--offset=0\" ]\n");
    Bootloader bootloader = hinted.bootloader().orElseThrow();
    assertEquals(Optional.of("/boot/vmlinuz"), bootloader.kernel());
    assertEquals(Optional.of("/boot/initrd"), bootloader.ramdisk());
    assertEquals(List.of("--entry=1", "--offset=0"), bootloader.args());
    assertEquals("quiet", hinted.cmdline());
    assertEquals(Optional.empty(), hinted.ramdisk());
  }

  @Test
  void bootloaderArgsAsAStringAreSplitAtBlanksAsXlStillDoes() throws ConfigException {
    GuestConfig guest =
        read(
            "name = \"a\"\nbootloader = \"pygrub\"\ndisk = [ '/d.img,,xvda' ]\n"
                + "bootloader_args = \" -q  --entry=1\\t\"\n");
    assertEquals(List.of("-q", "--entry=1"), guest.bootloader().orElseThrow().args());
  }

  @Test
  void bootloaderArgsWithoutABootloaderOrAnEmptyBootloaderAreRefused() {
    assertEquals(
        "vm.cfg:3:1: bootloader_args is given, but no bootloader",
        failure("name = \"a\"\nkernel = \"/k\"\nbootloader_args = [ \"-q\" ]\n").getMessage());
    assertEquals(
        "vm.cfg:2:14: bootloader is empty: give \"pygrub\" or none",
        failure("name = \"a\"\nbootloader = \"\"\n").getMessage());
    assertEquals(
        "vm.cfg:2:1: bootloader \"pygrub\" boots the guest from its first disk, and there is no"
            + " disk",
        failure("name = \"a\"\nbootloader = \"pygrub\"\n").getMessage());
  }

  @Test
  void unknownKeyNamesTheKeyAndItsPlace() {
    ConfigException e = failure("name = \"a\"\nkernel = \"/k\"\n  pci = [ \"01:00.0\" ]\n");

    assertEquals(3, e.line());
    assertEquals(3, e.column());
    assertEquals("vm.cfg:3:3: unknown or unsupported key 'pci'", e.getMessage());
  }

  @Test
  void hvmIsRefusedNamingTheValue() {
    ConfigException e = failure("name = \"a\"\ntype = \"hvm\"\nkernel = \"/k\"\n");

    assertEquals(2, e.line());
    assertTrue(e.problem().contains("type \"hvm\" is not supported"), e.getMessage());
  }

  @Test
  void syntaxErrorsSayWhatWasExpectedWhere() {
    assertEquals(
        "vm.cfg:1:8: expected a value (a \"string\", a number or a [list]), found the end of the line",
        failure("name = \nkernel=\"/k\"").getMessage());
    assertEquals(
        "vm.cfg:1:6: expected '=' after the key 'name', found '\"'",
        failure("name \"a\"").getMessage());
    assertEquals(
        "vm.cfg:1:8: this string is not closed with \"",
        failure("name = \"a\nkernel=\"/k\"").getMessage());
    assertEquals(
        "vm.cfg:1:8: this list is not closed with ']'",
        failure("disk = [ 'a,raw,xvda'").getMessage());
    assertEquals(
        "vm.cfg:1:10: '12M' is not a number (whole numbers only)",
        failure("memory = 12M").getMessage());
  }

  @Test
  void valuesOfTheWrongKindAreNamed() {
    assertTrue(failure("name = 5\nkernel = \"/k\"").problem().contains("name is a string"));
    assertTrue(
        failure("name = \"a\"\nkernel = \"/k\"\nmemory = \"256\"")
            .problem()
            .contains("memory is a whole number above 0"));
    assertTrue(failure("name = \"a\"\nkernel = \"/k\"\nmemory = 0").problem().contains("not 0"));
    assertTrue(
        failure("name = \"a\"\nkernel = \"/k\"\nmemory = 256\nmaxmem = 128")
            .problem()
            .contains("maxmem (128) is less than memory (256)"));
    assertTrue(
        failure("name = \"a\"\nkernel = \"/k\"\non_crash = \"coredump-destroy\"")
            .problem()
            .contains("use destroy, restart or preserve"));
    assertTrue(
        failure("name = \"a\"\nkernel = \"/k\"\nuuid = \"nope\"").problem().contains("not a UUID"));
    assertTrue(
        failure("name = \"a\"\nkernel = \"/k\"\ncpus = \"3-1\"")
            .problem()
            .contains("'3-1' in cpus"));
  }

  @Test
  void missingKernelOrNameIsNamed() {
    assertEquals(
        "vm.cfg: 'kernel' is missing: a PV guest needs it", failure("name = \"a\"").getMessage());
    assertEquals(
        "vm.cfg: 'name' is missing: a PV guest needs it", failure("kernel = \"/k\"").getMessage());
  }

  @Test
  void namesThatCommandsCouldMistakeAreRefused() {
    assertTrue(failure("name = \"42\"\nkernel = \"/k\"").problem().contains("reads as a domid"));
    assertTrue(failure("name = \"a b\"\nkernel = \"/k\"").problem().contains("is not valid"));
  }

  @Test
  void keySetTwiceIsAnError() {
    ConfigException e = failure("name = \"a\"\nkernel = \"/k\"\nname = \"b\"");
    assertEquals("vm.cfg:3:1: 'name' is set twice (first on line 1)", e.getMessage());
  }

  @Test
  void plusEqualsExtendsAList() throws Exception {
    GuestConfig guest =
        read("name=\"a\"\nkernel=\"/k\"\nvif=['bridge=br0']\nvif+=['bridge=br1']\n");
    assertEquals(2, guest.vifs().size());
  }

  @Test
  void stringEscapesAreCs() throws Exception {
    assertEquals(
        "a\"b\tc\\d A",
        read("name=\"a\"\nkernel=\"/k\"\ncmdline=\"a\\\"b\\tc\\\\d \\x41\"").cmdline());
  }

  @Test
  void badDeviceSpecsNameWhatIsWrong() {
    assertTrue(
        failure("name=\"a\"\nkernel=\"/k\"\nvif=['mac=00:16:3e:zz:00:01']")
            .problem()
            .contains("not a MAC address"));
    assertTrue(
        failure("name=\"a\"\nkernel=\"/k\"\nvif=['model=e1000']")
            .problem()
            .contains("model=e1000 is not supported"));
    assertTrue(
        failure("name=\"a\"\nkernel=\"/k\"\ndisk=['/a.img,qcow2,xvda,rw']")
            .problem()
            .contains("format 'qcow2' is not supported"));
    assertTrue(
        failure("name=\"a\"\nkernel=\"/k\"\ndisk=['/a.img,raw']")
            .problem()
            .contains("no vdev specified"));
    assertEquals(3, failure("name=\"a\"\nkernel=\"/k\"\ndisk=['/a.img,raw,xvda,x']").line());
  }

  @Test
  void vifRatesBecomeBytesPerIntervalAsNetbackTakesThem() throws Exception {
    assertEquals(
        new VifSpec.Rate(62_500, 50_000, "10Mb/s"), DeviceSpecs.rate(FILE, 1, 1, "10Mb/s"));
    assertEquals("100000,20000", DeviceSpecs.rate(FILE, 1, 1, "5MB/s@20ms").node());
    assertEquals("0,1", DeviceSpecs.rate(FILE, 1, 1, "8b/s@1us").node());
    assertTrue(
        assertThrows(ConfigException.class, () -> DeviceSpecs.rate(FILE, 3, 5, "fast"))
            .getMessage()
            .contains("vm.cfg:3:5: vif rate: invalid rate in 'fast'"));
  }

  @Test
  void vifSettingsAreCheckedWhereTheyAreWritten() {
    assertTrue(
        failure("name=\"a\"\nkernel=\"/k\"\nvif=['mac=01:16:3e:00:00:01']")
            .getMessage()
            .contains("is a multicast address"));
    assertTrue(
        failure("name=\"a\"\nkernel=\"/k\"\nvif=['vifname=a/b']")
            .getMessage()
            .contains("vifname 'a/b' cannot name a network interface"));
    assertTrue(
        failure("name=\"a\"\nkernel=\"/k\"\nvif=['mtu=20']")
            .getMessage()
            .contains("vif mtu 20 is not between 68 and 65535"));
  }

  @Test
  void twoDisksOnOneVdevOrTwoVifsWithOneMacAreRefused() {
    ConfigException disks =
        assertThrows(
            ConfigException.class,
            () ->
                GuestConfigs.parse(
                    FILE,
                    "name=\"a\"\nkernel=\"/k\"\n"
                        + "disk=['/a.img,raw,xvdb,rw', 'vdev=xvdb,target=/b.img']"));
    assertTrue(disks.getMessage().contains("two disks are attached as xvdb"), disks.getMessage());
    ConfigException macs =
        assertThrows(
            ConfigException.class,
            () ->
                GuestConfigs.parse(
                    FILE,
                    "name=\"a\"\nkernel=\"/k\"\n"
                        + "vif=['mac=00:16:3e:00:00:01', 'mac=00:16:3E:00:00:01']"));
    assertTrue(macs.getMessage().contains("two vifs have the mac 00:16:3e:00:00:01"));
  }

  @Test
  void devicesGivenOnTheirOwnParseAsInAConfig() throws Exception {
    VifSpec vif = GuestConfigs.vif("network-attach", "bridge=br1,mac=00:16:3e:aa:bb:cc");
    assertEquals(Optional.of("br1"), vif.bridge());
    assertEquals(VifSpec.DEFAULT_BRIDGE, GuestConfigs.vif("network-attach", "").bridgeOrDefault());
    DiskSpec disk = GuestConfigs.disk("block-attach", "/a.img,raw,xvdc,ro");
    assertEquals(DiskSpec.of("/a.img", "xvdc", false), disk);
    assertTrue(
        assertThrows(ConfigException.class, () -> GuestConfigs.disk("block-attach", "/a.img"))
            .getMessage()
            .startsWith("block-attach: disk '/a.img': no vdev specified"));
  }

  @Test
  void devMethodPicksTheDeviceMechanismAndNothingElseIsAccepted() throws Exception {
    String base = "name = \"n\"\nkernel = \"/k\"\n";
    assertEquals(Optional.empty(), read(base).devices());
    assertEquals(
        Optional.of(DeviceMechanism.NOXS), read(base + "dev_method = \"noxs\"\n").devices());
    assertEquals(
        Optional.of(DeviceMechanism.XENSTORE),
        read(base + "dev_method = \"xenstore\"\n").devices());

    ConfigException e = failure(base + "dev_method = \"xs\"\n");
    assertEquals(3, e.line());
    assertEquals("dev_method \"xs\" is not \"xenstore\" or \"noxs\"", e.problem());
  }

  // Hostile input from a member of the socket's group: config errors with their place, never an
  // internal error, a stack overflow or an allocation sized by the input (issue 19's findings).

  @Test
  void listsNestedDeeperThanTheLimitAreAConfigErrorNotAStackOverflow() throws Exception {
    String base = "name = \"a\"\nkernel = \"/k\"\n";
    ConfigException e = failure(base + "vif = " + "[".repeat(5000) + "]".repeat(5000) + "\n");
    assertEquals(3, e.line());
    assertEquals("lists nest more than 16 deep here", e.problem());
    ConfigException inner = failure(base + "vif = [ [ 'a' ] ]\n");
    assertEquals("vif lists strings, not a list", inner.problem());
  }

  @Test
  void aListIsBoundedAndPlusEqualsCostsWhatItAdds() throws Exception {
    String base = "name = \"a\"\nkernel = \"/k\"\n";
    String many = "vif = [" + "'',".repeat(XlSyntax.MAX_ITEMS + 1) + "]\n";
    assertEquals("this list holds more than 4096 items", failure(base + many).problem());

    StringBuilder appended = new StringBuilder(base + "extra = []\n");
    appended.append("extra += ['x']\n".repeat(XlSyntax.MAX_ITEMS));
    long start = System.nanoTime();
    assertEquals(
        4096,
        XlSyntax.parse(FILE, appended.toString()).get("extra").value() instanceof XlSyntax.Lst l
            ? l.items().size()
            : -1);
    assertTrue(System.nanoTime() - start < 5_000_000_000L, "4096 += in seconds: not linear");
    appended.append("extra += ['x']\n");
    assertEquals("'extra' would hold more than 4096 items", failure(appended.toString()).problem());
  }

  @Test
  void numbersAndNamesAreAsciiAsXlReadsThem() {
    String base = "name = \"a\"\nkernel = \"/k\"\n";
    // Arabic-Indic digits, which Long.parseLong would take as 128.
    assertTrue(
        failure(base + "memory = \u0661\u0662\u0668\n").problem().startsWith("expected a value"));
    assertEquals(
        "expected the end of the line after the value of 'memory', found '\u0662'",
        failure(base + "memory = 1\u0662\n").problem());
    assertTrue(failure(base + "m\u00e9moire = 1\n").problem().startsWith("expected"));
  }

  @Test
  void cpuNumbersAreCheckedBeforeAnySetIsMade() throws Exception {
    String base = "name = \"a\"\nkernel = \"/k\"\n";
    assertEquals(
        "'0-2147483646' in cpus goes beyond CPU 4094",
        failure(base + "cpus = \"0-2147483646\"\n").problem());
    assertEquals(
        "CPU 2147483648 is not between 0 and 4094",
        failure(base + "cpus = [2147483648]\n").problem());
    assertEquals(
        "CPU 4294967296 is not between 0 and 4094", // not wrapped to CPU 0
        failure(base + "cpus = [4294967296]\n").problem());
    assertEquals(
        "'99999999999999999999' in cpus is not a CPU number or a range such as 0-3",
        failure(base + "cpus = \"99999999999999999999\"\n").problem());
    assertEquals(
        "'3-1' in cpus is a range that ends before it starts",
        failure(base + "cpus = \"3-1\"\n").problem());
    BitSet set = new BitSet();
    set.set(0, 4);
    set.set(4094);
    assertEquals(Optional.of(set), read(base + "cpus = \"0-3, 4094\"\n").cpus());
  }

  @Test
  void kernelAndRamdiskAreAbsolutePathsWithoutNul() {
    assertEquals(
        "kernel holds a NUL character: not a path",
        failure("name = \"a\"\nkernel = \"/k\\0x\"\n").problem());
    assertEquals(
        "ramdisk holds a NUL character: not a path",
        failure("name = \"a\"\nkernel = \"/k\"\nramdisk = \"/r\u0000\"\n").problem());
    ConfigException relative = failure("name = \"a\"\nkernel = \"vmlinuz\"\n");
    assertEquals(2, relative.line());
    assertEquals(
        "kernel 'vmlinuz' is a relative path, which chaos-daemon would read from its own working"
            + " directory: give an absolute path",
        relative.problem());
    assertEquals(
        "kernel is empty: give the file's path", failure("name=\"a\"\nkernel=\"\"").problem());
  }

  @Test
  void aNulInADeviceSpecIsAConfigError() {
    String base = "name = \"a\"\nkernel = \"/k\"\n";
    assertEquals(
        "disk spec holds a NUL character",
        failure(base + "disk = ['/d\u0000,raw,xvda,rw']\n").problem());
    assertEquals(
        "vif spec holds a NUL character", failure(base + "vif = ['bridge=br\u00000']\n").problem());
    assertTrue(
        failure(base + "disk = ['/d,raw,xvda99999999999,rw']\n")
            .problem()
            .endsWith("vdev 'xvda99999999999' is not a disk name such as xvda or hda"));
  }
}
