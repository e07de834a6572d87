package org.chaosvm.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * xl's DISKSPEC (xl-disk-configuration(5)) as chaos reads it: every example, key, prefix and flag
 * of the man page, read as Xen 4.17's libxlutil reads it, or refused naming the setting.
 */
class DiskSpecTest {
  private static final Path FILE = Path.of("vm.cfg");

  private static DiskSpec read(String spec) throws ConfigException {
    return DeviceSpecs.disk(FILE, 4, 9, spec);
  }

  private static String refusal(String spec) {
    return assertThrows(ConfigException.class, () -> read(spec)).getMessage();
  }

  /** The man page's first example: four ways to write one disk. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "/dev/vg/guest-volume,,hda",
        "/dev/vg/guest-volume,raw,hda,rw",
        "format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
        "raw:/dev/vg/guest-volume,hda,w",
        // The deprecated prefixes xl strips and ignores, alone and stacked.
        "phy:/dev/vg/guest-volume,hda,w",
        "file:/dev/vg/guest-volume,hda,w",
        "tap:aio:/dev/vg/guest-volume,hda,w",
        "tap2:/dev/vg/guest-volume,hda,w",
        "tapdisk:aio:/dev/vg/guest-volume,hda,w",
        "ioemu:/dev/vg/guest-volume,hda,w",
        // A path that is not absolute is under /dev, as xl's block script reads it.
        "vg/guest-volume,,hda",
        "phy:vg/guest-volume,hda,w",
        // Empty values mean the default; whitespace before a parameter is ignored.
        "/dev/vg/guest-volume, raw, hda, ",
        "vdev=hda,access=,format=,target=/dev/vg/guest-volume",
        "/dev/vg/guest-volume,format=raw,hda",
        "/dev/vg/guest-volume,,hda,devtype=disk",
        "/dev/vg/guest-volume,,hda:disk",
        "backendtype=phy,backend=Domain-0,specification=xen,no-colo,/dev/vg/guest-volume,,hda",
      })
  void theWaysOfWritingOneDiskReadAlike(String spec) throws Exception {
    assertEquals(DiskSpec.of("/dev/vg/guest-volume", "hda", true), read(spec));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // target= takes the rest of the spec, commas and colons and trailing blanks included.
        "vdev=xvda,target=/srv/a,b:c.img | /srv/a,b:c.img | xvda | true",
        "vdev=xvda,target=/srv/disk.img , | '/srv/disk.img ' | xvda | true",
        // An empty positional target may be given again by name.
        "',,xvda,r,target=/srv/d.img' | /srv/d.img | xvda | false",
        "/srv/d.img,,xvdb,ro | /srv/d.img | xvdb | false",
        "/srv/d.img,,sda,r | /srv/d.img | sda | false",
        "access=ro,/srv/d.img,raw,xvdc | /srv/d.img | xvdc | false",
        // A value with blanks inside is kept as written.
        "'/srv/my disk.img,,xvda' | /srv/my disk.img | xvda | true",
      })
  void targetsVdevsAndAccessAreReadAsXlReadsThem(
      String spec, String target, String vdev, boolean writable) throws Exception {
    DiskSpec disk = read(spec);
    assertEquals(target, disk.target());
    assertEquals(vdev, disk.vdev());
    assertEquals(writable, disk.writable());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // spec | discard | trusted | direct-io-safe
        "/srv/d.img,,xvda | true | true | false",
        "/srv/d.img,,xvda,ro | false | true | false",
        "/srv/d.img,,xvda,discard,ro | true | true | false",
        "/srv/d.img,,xvda,no-discard | false | true | false",
        "untrusted,/srv/d.img,,xvda | true | false | false",
        "/srv/d.img,,xvda,trusted | true | true | false",
        "direct-io-safe,/srv/d.img,,xvda | true | true | true",
      })
  void flagsSetWhatTheBackEndAndTheFrontEndAreTold(
      String spec, boolean discard, boolean trusted, boolean directIoSafe) throws Exception {
    DiskSpec disk = read(spec);
    assertEquals(discard, disk.discard());
    assertEquals(trusted, disk.trusted());
    assertEquals(directIoSafe, disk.directIoSafe());
  }

  /** What xl itself refuses, with xl's words and the text it was near. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "'' | no vdev specified",
        "/srv/d.img | no vdev specified",
        "vdev=xvda | no target specified (and device not removable)",
        "/srv/d.img,raw,xvda,rw,extra | too many positional parameters near 'extra'",
        "/srv/d.img,vmdk,xvda | unknown value for format near 'vmdk'",
        "/srv/d.img,,xvda,x | unknown value for access near 'x'",
        "/srv/d.img,,xvda,devtype=floppy | unknown value for type near 'devtype=floppy'",
        "/srv/d.img,,xvda:floppy | unknown deprecated type near 'floppy'",
        "/srv/d.img,,xvda,backendtype=nvme | unknown value for backendtype near 'nvme'",
        "/srv/d.img,,xvda,specification=scsi | unknown value for specification near 'scsi'",
        "/srv/d.img,,xvda,colo-port=x | unknown value for colo_port near 'x'",
        "/srv/d.img,,xvda,size=1G | unknown parameter near 'size=1'",
        "nfs:/srv/d.img,xvda,w | unknown deprecated disk prefix near 'nfs:/srv/d.img,xvda,w'",
        "/srv/d.img,,xvda,=x | bad disk syntax near '=x'",
        "vdev=xvda,vdev=xvdb,/srv/d.img | vdev respecified near 'xvdb'",
        // With the vdev given by name, the third positional parameter is the access.
        "vdev=xvda,/srv/d.img,,xvdb | unknown value for access near 'xvdb'",
        "/srv/d.img,raw,xvda,format=qcow2 | format respecified near 'qcow2'",
        "/srv/a.img,,xvda,target=/srv/b.img | target respecified near '/srv/b.img'",
        "backendtype=phy,backendtype=qdisk,/a,,xvda | backendtype respecified near 'qdisk'",
      })
  void whatXlRefusesIsRefusedInXlsWords(String spec, String message) {
    assertEquals("vm.cfg:4:9: disk '" + spec + "': " + message, refusal(spec));
  }

  /** What xl takes and chaos does not support: the message names the setting as written. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // The man page's second example: five ways to write one cdrom.
        "/root/image.iso,,hdc,cdrom | a cdrom",
        "/root/image.iso,,hdc,,cdrom | a cdrom",
        "/root/image.iso,raw,hdc,devtype=cdrom | a cdrom",
        "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso | a cdrom",
        "raw:/root/image.iso,hdc:cdrom,ro | a cdrom",
        "',hdc:cdrom,r' | a cdrom",
        "/srv/d.qcow2,qcow2,xvda | format 'qcow2' is not supported",
        "/srv/d.img,qcow,xvda | format 'qcow' is not supported",
        "/srv/d.vhd,vhd,xvda | format 'vhd' is not supported",
        "/srv/d.qed,qed,xvda | format 'qed' is not supported",
        "qcow2:/srv/d.qcow2,xvda,w | format qcow2: is not supported",
        "vhd:/srv/d.vhd,xvda,w | format vhd: is not supported",
        "iscsi:iqn.2001-04.com.example:storage,xvda,w | the prefix iscsi: (script block-iscsi)",
        "nbd:host:1234,xvda,w | the prefix nbd: (script block-nbd)",
        "enbd:host:1234,xvda,w | the prefix enbd: (script block-enbd)",
        "drbd:resource,xvda,w | the prefix drbd: (script block-drbd)",
        "/srv/d.img,,xvda,script=block-crypt | script=block-crypt is not supported",
        "/srv/d.img,,xvda,backendtype=qdisk | backendtype=qdisk is not supported",
        "/srv/d.img,,xvda,backendtype=standalone | backendtype=standalone is not supported",
        "/srv/d.img,,xvda,backendtype=tap | backendtype=tap is not supported",
        "/srv/d.img,,xvda,backend=storage-dd | backend=storage-dd is not supported",
        "/srv/d.img,,xvda,specification=virtio | specification=virtio is not supported",
        "/srv/d.img,,xvda,colo | colo is not supported",
        "/srv/d.img,,xvda,colo-host=10.0.0.2 | colo-host=10.0.0.2 is not supported",
        "/srv/d.img,,xvda,colo-port=9000 | colo-port=9000 is not supported",
        "/srv/d.img,,xvda,colo-export=e | colo-export=e is not supported",
        "/srv/d.img,,xvda,active-disk=/a | active-disk=/a is not supported",
        "/srv/d.img,,xvda,hidden-disk=/h | hidden-disk=/h is not supported",
        "/srv/d.img,,xvdzzzzzz | vdev 'xvdzzzzzz' is not a disk name",
        "vdev=xvda,target= | names no target",
        "/srv/d.img,,xvda99999999999 | vdev 'xvda99999999999' is not a disk name",
      })
  void whatChaosDoesNotSupportIsRefusedNamingTheSetting(String spec, String named) {
    String message = refusal(spec);
    assertTrue(
        message.startsWith("vm.cfg:4:9: disk '" + spec + "'") && message.contains(named), message);
  }
}
