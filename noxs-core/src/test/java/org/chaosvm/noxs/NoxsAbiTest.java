package org.chaosvm.noxs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.chaosvm.rig.CProbe;
import org.chaosvm.rig.Command;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every noxs struct, member and constant against the public headers of the patch series in
 * kernel-patches/xen (its {@code public-headers} script applies them over the installed headers of
 * libxen-dev): a C probe generated from the Java side prints what gcc says.
 */
class NoxsAbiTest {
  private static final Path PATCHES = Path.of("..", "kernel-patches", "xen");
  private static final Path NETBACK = Path.of("..", "kernel-patches", "linux", "netback-noxs");

  /** What gcc says otherwise than the Java side, one line each. */
  private static final List<String> mismatches = new ArrayList<>();

  @BeforeAll
  static void compileAndRunProbe(@TempDir Path dir) throws Exception {
    Path include = dir.resolve("include");
    Command.run(
            Duration.ofSeconds(60),
            PATCHES.resolve("public-headers").toString(),
            include.toString())
        .orThrow();

    CProbe probe =
        new CProbe("#include <stdint.h>\n#include <xen/devctl.h>\n#include \"noxs-netback.h\"\n");
    for (NoxsLayout.Struct struct : NoxsLayout.Struct.values()) {
      probe.expect("sizeof " + struct.cName, struct.size, "sizeof(struct " + struct.cName + ")");
    }
    for (NoxsLayout.Member member : NoxsLayout.Member.values()) {
      String c = member.struct.cName;
      String key = c + "." + member.cName;
      probe.expect(
          "offsetof " + key, member.offset, "offsetof(struct " + c + ", " + member.cName + ")");
      probe.expect(
          "sizeof " + key, member.size, "sizeof(((struct " + c + " *)0)->" + member.cName + ")");
    }
    for (Field constant : NoxsAbi.class.getDeclaredFields()) {
      if (!Modifier.isStatic(constant.getModifiers())) {
        continue;
      }
      constant.setAccessible(true);
      if (constant.getType() == int.class) {
        // As C's (unsigned) int: NOXS_NETBACK_ALL is ~0u.
        probe.expect(
            "const " + constant.getName(),
            Integer.toUnsignedLong(constant.getInt(null)),
            constant.getName());
      } else if (constant.getType() == long.class) {
        probe.expect("const " + constant.getName(), constant.getLong(null), constant.getName());
      }
    }
    mismatches.addAll(
        probe.mismatches(
            dir, "-Werror", "-I", include.toString(), "-I", NETBACK.toAbsolutePath().toString()));
  }

  @Test
  void everyStructMemberAndConstantMatchesThePatchedHeaders() {
    assertTrue(mismatches.isEmpty(), "ABI mismatches:\n" + String.join("\n", mismatches));
  }

  @Test
  void everyMemberLiesInsideItsStruct() {
    for (NoxsLayout.Member member : NoxsLayout.Member.values()) {
      assertTrue(
          member.offset + member.size <= member.struct.size,
          member + " ends past the end of " + member.struct.cName);
    }
  }
}
