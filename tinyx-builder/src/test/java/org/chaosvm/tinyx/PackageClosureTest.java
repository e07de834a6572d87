package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PackageClosureTest {
  private static final String OUTPUT =
      AptDependsTest.OUTPUT
          + """
          init-system-helpers
            Depends: perl-base
          libpcre2-8-0
            Depends: libc6
          media-types
          libgcc-s1
            Depends: gcc-12-base
            Depends: libc6
          gcc-12-base
          python3-minimal
            Depends: python3.11-minimal
          python3.11
          python3.11-minimal
          """;

  private final List<List<String>> asked = new ArrayList<>();

  private PackageClosure.Result resolve(String... roots) throws IOException {
    Map<String, String> rootMap = new LinkedHashMap<>();
    for (String root : roots) {
      rootMap.put(root, "the application");
    }
    Map<String, String> excludes = new LinkedHashMap<>();
    for (String pkg : PackageClosure.DEFAULT_EXCLUDES) {
      excludes.put(pkg, "left out by default");
    }
    Map<String, List<AptDepends.Dependency>> all = AptDepends.parse(OUTPUT);
    return PackageClosure.resolve(
        rootMap,
        excludes,
        packages -> {
          asked.add(List.copyOf(packages));
          Map<String, List<AptDepends.Dependency>> some = new LinkedHashMap<>();
          packages.forEach(p -> some.put(p, all.getOrDefault(p, List.of())));
          return some;
        });
  }

  @Test
  void takesDependsRecursivelyWithReasonsAndLeavesOutPackagingAndInitSystems() throws Exception {
    PackageClosure.Result result = resolve("lighttpd");
    assertEquals(
        List.of("lighttpd", "libc6", "libpcre2-8-0", "media-types", "libgcc-s1", "gcc-12-base"),
        result.names());
    Map<String, String> reasons = new LinkedHashMap<>();
    result.taken().forEach(t -> reasons.put(t.name(), t.reason()));
    assertEquals("the application", reasons.get("lighttpd"));
    assertEquals("Depends of lighttpd", reasons.get("media-types")); // first alternative
    assertEquals("Depends of libc6", reasons.get("libgcc-s1"));

    Map<String, String> leftOut = new LinkedHashMap<>();
    result.leftOut().forEach(l -> leftOut.put(l.name(), l.reason()));
    assertEquals(
        List.of("init-system-helpers", "systemd-sysv", "lsb-base"), List.copyOf(leftOut.keySet()));
    assertTrue(leftOut.get("init-system-helpers").startsWith("PreDepends of lighttpd"));
    // one apt-cache call per level of the graph, not one per package
    assertEquals(List.of("lighttpd"), asked.get(0));
    assertEquals(4, asked.size(), asked.toString());
  }

  @Test
  void aVirtualDependencyIsMetByItsProviderOrByAPackageTakenAlready() throws Exception {
    PackageClosure.Result result = resolve("python3");
    assertEquals(
        List.of("python3", "python3-minimal", "python3.11", "python3.11-minimal"), result.names());
    assertTrue(result.leftOut().isEmpty(), result.leftOut().toString());
  }
}
