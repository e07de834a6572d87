package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.chaosvm.rig.CProbe;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every struct, field offset and constant that crosses into C against the installed Xen 4.17
 * headers (libxen-dev): a C probe generated from the Java side prints what gcc says, and each line
 * is compared with what the Java side says.
 */
class AbiTest {
  private static final List<Class<? extends Struct>> STRUCTS =
      List.of(
          XenArchDomainconfig.class,
          XenDomctlCreatedomain.class,
          XenDomctlGetdomaininfo.class,
          XenSysctlPhysinfo.class,
          XsPermissions.class,
          XcError.class,
          Ifreq.class,
          LoopInfo64.class,
          LoopConfig.class,
          XenconsInterface.class,
          EvtchnStatus.class,
          Passwd.class);

  private static final String HEADERS =
      String.join(
          "\n",
          "#include <errno.h>",
          "#include <xenctrl.h>",
          "#include <xenguest.h>",
          "#include <xenstore.h>",
          "#include <xenevtchn.h>",
          "#include <xen/domctl.h>",
          "#include <xen/sysctl.h>",
          "#include <xen/sched.h>",
          "#include <xen/io/console.h>",
          "#include <sys/mman.h>",
          "#include <fcntl.h>",
          "#include <sys/stat.h>",
          "#include <unistd.h>",
          "#include <poll.h>",
          "#include <sys/socket.h>",
          "#include <net/if.h>",
          "#include <linux/sockios.h>",
          "#include <linux/loop.h>",
          "#include <pwd.h>",
          "#include <sys/syscall.h>",
          "#include <sys/resource.h>",
          "");

  /** What gcc says otherwise than the Java side, one line each. */
  private static final List<String> mismatches = new ArrayList<>();

  @BeforeAll
  static void compileAndRunProbe(@TempDir Path dir) throws Exception {
    CProbe probe = new CProbe(HEADERS + "typedef struct xc_dom_image xc_dom_image_t;\n");
    for (Class<? extends Struct> type : STRUCTS) {
      describeStruct(type, probe);
    }
    for (XcDomImage.Field field : XcDomImage.Field.values()) {
      String key = "xc_dom_image." + field.name();
      probe.expect(
          "offsetof " + key, field.offset, "offsetof(struct xc_dom_image, " + field.name() + ")");
      probe.expect(
          "sizeof " + key, field.size, "sizeof(((struct xc_dom_image *)0)->" + field.name() + ")");
    }
    for (Class<?> constants : List.of(XenAbi.class, LinuxAbi.class)) {
      for (Field constant : constants.getDeclaredFields()) {
        if (Modifier.isStatic(constant.getModifiers()) && constant.getType() == int.class) {
          constant.setAccessible(true);
          probe.expect("const " + constant.getName(), constant.getInt(null), constant.getName());
        }
      }
    }
    for (Errno errno : Errno.values()) {
      if (errno != Errno.UNKNOWN) {
        probe.expect("errno " + errno.name(), errno.number(), errno.name());
      }
    }
    probe.expect("const DOMID_FIRST_RESERVED(DomId)", DomId.FIRST_RESERVED, "DOMID_FIRST_RESERVED");
    mismatches.addAll(probe.mismatches(dir, "-D__XEN_TOOLS__"));
  }

  @Test
  void everyStructFieldAndConstantMatchesTheInstalledHeaders() {
    assertTrue(mismatches.isEmpty(), "ABI mismatches:\n" + String.join("\n", mismatches));
  }

  @Test
  void fieldsAreDeclaredInTheOrderOfTheirOffsets() throws Exception {
    for (Class<? extends Struct> type : STRUCTS) {
      long previous = -1;
      for (Map.Entry<String, Long> field : javaOffsets(type).entrySet()) {
        assertTrue(field.getValue() > previous, type.getSimpleName() + "." + field.getKey());
        previous = field.getValue();
      }
    }
  }

  private static void describeStruct(Class<? extends Struct> type, CProbe probe) throws Exception {
    String cName = type.getAnnotation(CStruct.class).value();
    probe.expect("sizeof " + cName, Struct.size(instantiate(type)), "sizeof(struct " + cName + ")");
    for (Map.Entry<String, Long> field : javaOffsets(type).entrySet()) {
      String key = "offsetof " + cName + "." + field.getKey();
      probe.expect(key, field.getValue(), "offsetof(struct " + cName + ", " + field.getKey() + ")");
    }
  }

  /** Each field's offset as jnr-ffi lays the struct out, in declaration order. */
  private static Map<String, Long> javaOffsets(Class<? extends Struct> type) throws Exception {
    Struct struct = instantiate(type);
    Map<String, Long> offsets = new LinkedHashMap<>();
    for (Field field : type.getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers()) || field.isSynthetic()) {
        continue;
      }
      field.setAccessible(true);
      Object member = field.get(struct);
      offsets.put(field.getName(), memberOffset(member));
    }
    return offsets;
  }

  /**
   * A member's offset in the outermost struct. jnr-ffi counts the members of an inner struct from
   * the outer one's start, so an inner struct's offset is that of its first member.
   */
  private static long memberOffset(Object member) throws Exception {
    if (member instanceof Struct inner) {
      for (Field field : inner.getClass().getDeclaredFields()) {
        if (!Modifier.isStatic(field.getModifiers()) && !field.isSynthetic()) {
          field.setAccessible(true);
          return memberOffset(field.get(inner));
        }
      }
      throw new IllegalStateException(inner.getClass() + " has no fields");
    }
    if (member.getClass().isArray()) {
      return memberOffset(Array.get(member, 0));
    }
    Method offset = member.getClass().getMethod("offset");
    return (long) offset.invoke(member);
  }

  private static Struct instantiate(Class<? extends Struct> type) throws Exception {
    Constructor<? extends Struct> constructor = type.getDeclaredConstructor(Runtime.class);
    constructor.setAccessible(true);
    return constructor.newInstance(Runtime.getSystemRuntime());
  }
}
