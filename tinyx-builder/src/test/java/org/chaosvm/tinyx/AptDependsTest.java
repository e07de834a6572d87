package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.chaosvm.tinyx.AptDepends.Dependency;
import org.junit.jupiter.api.Test;

class AptDependsTest {
  /** What apt-cache depends --no-recommends ... printed for these packages on bookworm. */
  static final String OUTPUT =
      """
      lighttpd
        PreDepends: init-system-helpers
        Depends: libc6
        Depends: libpcre2-8-0
       |Depends: media-types
        Depends: mime-support
       |Depends: systemd-sysv
        Depends: lsb-base
          sysvinit-utils
      python3
        PreDepends: python3-minimal
        Depends: python3.11
        Depends: <python3:any>
          python3
      libc6
        Depends: libgcc-s1
        Breaks: <hurd>
      """;

  @Test
  void readsDependsAndPreDependsWithTheirAlternativesAndProviders() {
    Map<String, List<Dependency>> deps = AptDepends.parse(OUTPUT);
    assertEquals(List.of("lighttpd", "python3", "libc6"), List.copyOf(deps.keySet()));

    List<Dependency> lighttpd = deps.get("lighttpd");
    assertEquals(5, lighttpd.size(), lighttpd.toString());
    assertEquals("PreDepends", lighttpd.get(0).kind());
    assertEquals("init-system-helpers", lighttpd.get(0).alternatives().get(0).name());
    Dependency mime = lighttpd.get(3);
    assertEquals(
        List.of("media-types", "mime-support"),
        mime.alternatives().stream().map(AptDepends.Alternative::name).toList());
    Dependency init = lighttpd.get(4);
    assertEquals(2, init.alternatives().size());
    assertEquals(List.of("sysvinit-utils"), init.alternatives().get(1).providers());
    assertFalse(init.alternatives().get(1).virtual());
  }

  @Test
  void virtualPackagesAndArchitectureQualifiers() {
    Dependency any = AptDepends.parse(OUTPUT).get("python3").get(2);
    assertTrue(any.alternatives().get(0).virtual());
    assertEquals("python3", any.alternatives().get(0).name());
    assertEquals(List.of("python3"), any.alternatives().get(0).providers());
    assertEquals(1, AptDepends.parse(OUTPUT).get("libc6").size()); // Breaks is not read
  }
}
