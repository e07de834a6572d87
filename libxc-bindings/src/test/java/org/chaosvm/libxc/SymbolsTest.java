package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.chaosvm.rig.Command;
import org.junit.jupiter.api.Test;

/**
 * Every C function a raw interface declares is exported by the library it is loaded from (Xen's
 * headers do not always say which library implements a function: xc_cpuid_apply_policy is declared
 * in xenctrl.h and exported by libxenguest).
 */
class SymbolsTest {
  private static final Map<Class<?>, String> LIBRARIES =
      Map.of(
          LibXenCtrl.Native.class, NativeLibraries.XENCTRL,
          LibXenGuest.Native.class, NativeLibraries.XENGUEST,
          LibXenStore.Native.class, NativeLibraries.XENSTORE,
          LibXenEvtchn.Native.class, NativeLibraries.XENEVTCHN,
          LibXenForeignMemory.Native.class, NativeLibraries.XENFOREIGNMEMORY,
          LibXenCall.Native.class, NativeLibraries.XENCALL,
          LibXenGntshr.Native.class, NativeLibraries.XENGNTTAB,
          LibXenToolLog.Native.class, NativeLibraries.XENTOOLLOG);

  @Test
  void everyDeclaredFunctionIsExportedByItsLibrary() {
    List<String> missing = new ArrayList<>();
    LIBRARIES.forEach(
        (api, soname) -> {
          Set<String> exported = exportedSymbols(soname);
          for (Method method : api.getDeclaredMethods()) {
            if (!exported.contains(method.getName())) {
              missing.add(method.getName() + " is not exported by " + soname);
            }
          }
        });
    assertTrue(missing.isEmpty(), String.join("\n", missing));
  }

  private static Set<String> exportedSymbols(String soname) {
    Path library = Path.of("/usr/lib/x86_64-linux-gnu", soname);
    assertTrue(Files.exists(library), library + " is missing (is libxen-dev installed?)");
    String table =
        Command.run(Duration.ofSeconds(30), "nm", "-D", "--defined-only", library.toString())
            .orThrow()
            .output();
    return table
        .lines()
        .map(line -> line.substring(line.lastIndexOf(' ') + 1).replaceAll("@.*", ""))
        .collect(Collectors.toSet());
  }
}
