package org.chaosvm.noxs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  private static final Map<String, Long> expected = new LinkedHashMap<>();
  private static final Map<String, Long> actual = new LinkedHashMap<>();

  @BeforeAll
  static void compileAndRunProbe(@TempDir Path dir) throws Exception {
    Path include = dir.resolve("include");
    Command.run(
            Duration.ofSeconds(60),
            PATCHES.resolve("public-headers").toString(),
            include.toString())
        .orThrow();

    CProbe probe = new CProbe("#include <stdint.h>\n#include <xen/devctl.h>\n");
    for (NoxsLayout.Struct struct : NoxsLayout.Struct.values()) {
      expect(probe, "sizeof " + struct.cName, struct.size, "sizeof(struct " + struct.cName + ")");
    }
    for (NoxsLayout.Member member : NoxsLayout.Member.values()) {
      String c = member.struct.cName;
      String key = c + "." + member.cName;
      expect(
          probe,
          "offsetof " + key,
          member.offset,
          "offsetof(struct " + c + ", " + member.cName + ")");
      expect(
          probe,
          "sizeof " + key,
          member.size,
          "sizeof(((struct " + c + " *)0)->" + member.cName + ")");
    }
    for (Field constant : NoxsAbi.class.getDeclaredFields()) {
      if (Modifier.isStatic(constant.getModifiers()) && constant.getType() == int.class) {
        constant.setAccessible(true);
        expect(probe, "const " + constant.getName(), constant.getInt(null), constant.getName());
      }
    }
    actual.putAll(probe.run(dir, "-Werror", "-I", include.toString()));
  }

  @Test
  void everyStructMemberAndConstantMatchesThePatchedHeaders() {
    List<String> mismatches = new ArrayList<>();
    expected.forEach(
        (key, value) -> {
          if (!value.equals(actual.get(key))) {
            mismatches.add(key + ": Java says " + value + ", the C headers say " + actual.get(key));
          }
        });
    assertEquals(expected.keySet(), actual.keySet(), "the probe printed other keys than asked");
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

  private static void expect(CProbe probe, String key, long value, String cExpression) {
    expected.put(key, value);
    probe.print(key, cExpression);
  }
}
