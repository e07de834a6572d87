package org.chaosvm.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaosJsonReaderTest {
  private static final Path FILE = Path.of("vm.json");

  @Test
  void lightvmChaosConfigIsRead() throws Exception {
    GuestConfig guest =
        ChaosJsonReader.read(
            FILE,
            """
            {"name": "daytime", "kernel": "/root/daytime.gz", "memory": 8, "vcpus": 1,
             "cmdline": "-v", "paused": true,
             "vifs": [{"mac": "00:16:3e:00:00:02", "bridge": "xenbr0"}],
             "vbds": [{"target": "/srv/d.img", "vdev": "xvda", "access": "ro"}]}
            """);

    assertEquals("daytime", guest.name());
    assertEquals(8, guest.memoryMib());
    assertEquals("-v", guest.cmdline());
    assertTrue(guest.paused());
    assertEquals(Optional.of("xenbr0"), guest.vifs().get(0).bridge());
    assertEquals(DiskSpec.of("/srv/d.img", "xvda", false), guest.disks().get(0));
  }

  @Test
  void unknownKeyIsNamedWithItsPlace() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ChaosJsonReader.read(FILE, "{\"name\": \"a\",\n \"kernal\": \"/k\"}"));

    assertEquals(2, e.line());
    assertTrue(e.problem().startsWith("unknown key 'kernal'"), e.getMessage());
  }

  @Test
  void duplicateKeyIsAnError() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ChaosJsonReader.read(
                    FILE, "{\"name\": \"a\", \"name\": \"b\", \"kernel\": \"/k\"}"));

    assertTrue(e.problem().contains("Duplicate field 'name'"), e.getMessage());
    assertEquals(1, e.line());
  }

  @Test
  void brokenJsonSaysWhere() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ChaosJsonReader.read(FILE, "{\"name\": \"a\",\n\n  \"kernel\" \"/k\"}"));

    assertEquals(3, e.line());
  }

  @Test
  void formatIsChosenByTheFirstCharacter(@TempDir Path dir) throws Exception {
    Path json = Files.writeString(dir.resolve("a.conf"), "  {\"name\": \"j\", \"kernel\": \"/k\"}");
    Path xl = Files.writeString(dir.resolve("b.conf"), "name = \"x\"\nkernel = \"/k\"\n");

    assertEquals("j", GuestConfigs.read(json).name());
    assertEquals("x", GuestConfigs.read(xl).name());
  }

  @Test
  void missingFileIsNamed(@TempDir Path dir) {
    ConfigException e =
        assertThrows(ConfigException.class, () -> GuestConfigs.read(dir.resolve("nope.cfg")));
    assertEquals(dir.resolve("nope.cfg") + ": no such file", e.getMessage());
  }

  @Test
  void xenDevMethodPicksTheDeviceMechanismAsLightVmsChaosWroteIt() throws Exception {
    String base = "{\"name\": \"a\", \"kernel\": \"/k\"";
    assertEquals(Optional.empty(), ChaosJsonReader.read(FILE, base + "}").devices());
    assertEquals(
        Optional.of(DeviceMechanism.NOXS),
        ChaosJsonReader.read(FILE, base + ", \"xen\": {\"dev_method\": \"noxs\"}}").devices());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ChaosJsonReader.read(FILE, base + ", \"xen\": {\"dev_method\": \"x\"}}"));
    assertEquals("xen.dev_method \"x\" is not \"xenstore\" or \"noxs\"", e.problem());
  }

  @Test
  void typesAreStrictAndNullItemsAreConfigErrors() {
    String head = "{\"name\":\"a\",\"kernel\":\"/k\",";
    for (String body :
        List.of(
            "\"memory\":\"128\"}",
            "\"memory\":1.9}",
            "\"paused\":\"true\"}",
            "\"cmdline\":5}",
            "\"vcpus\":true}")) {
      ConfigException e =
          assertThrows(ConfigException.class, () -> ChaosJsonReader.read(FILE, head + body));
      assertTrue(e.problem().startsWith("Cannot "), body + ": " + e.problem());
    }
    assertEquals(
        "vifs[0] is null, not an object",
        assertThrows(
                ConfigException.class, () -> ChaosJsonReader.read(FILE, head + "\"vifs\":[null]}"))
            .problem());
    assertEquals(
        "vbds[1] is null, not an object",
        assertThrows(
                ConfigException.class,
                () ->
                    ChaosJsonReader.read(
                        FILE, head + "\"vbds\":[{\"target\":\"/d\",\"vdev\":\"xvda\"},null]}"))
            .problem());
    assertEquals(
        "kernel 'k' is a relative path, which chaos-daemon would read from its own working"
            + " directory: give an absolute path",
        assertThrows(
                ConfigException.class,
                () -> ChaosJsonReader.read(FILE, "{\"name\":\"a\",\"kernel\":\"k\"}"))
            .problem());
    assertTrue(
        assertThrows(
                ConfigException.class,
                () ->
                    ChaosJsonReader.read(
                        FILE, head + "\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}"))
            .problem()
            .contains("nesting depth"));
  }
}
