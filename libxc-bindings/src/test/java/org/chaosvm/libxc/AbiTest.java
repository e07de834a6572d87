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
    describePvRestore(probe);
    describeRestoredPages(probe);
    describePvSave(probe);
    mismatches.addAll(probe.mismatches(dir, "-D__XEN_TOOLS__"));
  }

  /** The offsets PvRestore writes at in the structs a PV stream carries (x86_64). */
  private static void describePvRestore(CProbe probe) {
    String context = "vcpu_guest_context_x86_64_t";
    probe.expect("PvRestore.CONTEXT_SIZE", PvRestore.CONTEXT_SIZE, "sizeof(" + context + ")");
    probe.expect(
        "PvRestore.CONTEXT_SIZE (any)", PvRestore.CONTEXT_SIZE, "sizeof(vcpu_guest_context_any_t)");
    Map<String, Integer> offsets = new LinkedHashMap<>();
    offsets.put(context + ", flags", PvRestore.CONTEXT_FLAGS);
    offsets.put(context + ", user_regs.rdx", PvRestore.CONTEXT_RDX);
    offsets.put(context + ", gdt_frames", PvRestore.CONTEXT_GDT_FRAMES);
    offsets.put(context + ", gdt_ents", PvRestore.CONTEXT_GDT_ENTS);
    offsets.put(context + ", ctrlreg", PvRestore.CONTEXT_CTRLREG);
    offsets.put("start_info_t, nr_pages", PvRestore.START_NR_PAGES);
    offsets.put("start_info_t, shared_info", PvRestore.START_SHARED_INFO);
    offsets.put("start_info_t, flags", PvRestore.START_FLAGS);
    offsets.put("start_info_t, store_mfn", PvRestore.START_STORE_MFN);
    offsets.put("start_info_t, store_evtchn", PvRestore.START_STORE_EVTCHN);
    offsets.put("start_info_t, console.domU.mfn", PvRestore.START_CONSOLE_MFN);
    offsets.put("start_info_t, console.domU.evtchn", PvRestore.START_CONSOLE_EVTCHN);
    offsets.put("shared_info_t, evtchn_pending", PvRestore.SHARED_EVTCHN_PENDING);
    offsets.put("shared_info_t, evtchn_mask", PvRestore.SHARED_EVTCHN_MASK);
    offsets.put("shared_info_t, arch", PvRestore.SHARED_ARCH);
    offsets.put("shared_info_t, arch.pfn_to_mfn_frame_list_list", PvRestore.SHARED_FRAME_LIST_LIST);
    offsets.put("struct vcpu_info, evtchn_pending_sel", PvRestore.SHARED_PENDING_SEL);
    offsets.put("struct xen_domctl, u", Domctl.UNION);
    offsets.forEach(
        (field, offset) ->
            probe.expect("PvRestore offsetof(" + field + ")", offset, "offsetof(" + field + ")"));
    probe.expect(
        "PvRestore.SHARED_VCPU_INFO_SIZE",
        PvRestore.SHARED_VCPU_INFO_SIZE,
        "sizeof(struct vcpu_info)");
    probe.expect(
        "PvRestore.SHARED_LEGACY_VCPUS", PvRestore.SHARED_LEGACY_VCPUS, "XEN_LEGACY_MAX_VCPUS");
    probe.expect(
        "PvRestore.SHARED_EVTCHN_BYTES",
        PvRestore.SHARED_EVTCHN_BYTES,
        "sizeof(((shared_info_t *)0)->evtchn_mask)");
    probe.expect(
        "PvRestore.SHARED_ARCH_SIZE",
        PvRestore.SHARED_ARCH_SIZE,
        "sizeof(((shared_info_t *)0)->arch)");
    probe.expect("Domctl.SIZE", Domctl.SIZE, "sizeof(struct xen_domctl)");
  }

  /** The offsets PvSave reads at: the shared info's p2m list, the domctls' unions. */
  private static void describePvSave(CProbe probe) {
    Map<String, Integer> offsets = new LinkedHashMap<>();
    offsets.put("shared_info_t, arch.max_pfn", PvSave.SHARED_MAX_PFN);
    offsets.put("shared_info_t, arch.p2m_cr3", PvSave.SHARED_P2M_CR3);
    offsets.put("shared_info_t, arch.p2m_vaddr", PvSave.SHARED_P2M_VADDR);
    offsets.put("struct xen_domctl_getvcpuinfo, online", PvSave.VCPUINFO_ONLINE);
    offsets.put("struct xen_domctl_ext_vcpucontext, size", PvSave.EXT_VCPUCONTEXT_SIZE);
    offsets.put("struct xen_domctl_vcpuextstate, xfeature_mask", PvSave.VCPUEXTSTATE_MASK);
    offsets.put("struct xen_domctl_vcpuextstate, size", PvSave.VCPUEXTSTATE_SIZE);
    offsets.put("struct xen_domctl_vcpuextstate, buffer", PvSave.VCPUEXTSTATE_BUFFER);
    offsets.put("struct xen_domctl_vcpu_msrs, msr_count", PvSave.VCPU_MSRS_COUNT);
    offsets.put("struct xen_domctl_vcpu_msrs, msrs", PvSave.VCPU_MSRS_BUFFER);
    offsets.forEach(
        (field, offset) ->
            probe.expect("PvSave offsetof(" + field + ")", offset, "offsetof(" + field + ")"));
  }

  /** The page types of a stream's PAGE_DATA and the MMU operations a restore uses. */
  private static void describeRestoredPages(CProbe probe) {
    Map<String, Integer> types = new LinkedHashMap<>();
    types.put("NOTAB", RestoredPages.NOTAB);
    types.put("L1TAB", RestoredPages.L1TAB);
    types.put("L4TAB", RestoredPages.L4TAB);
    types.put("LTABTYPE_MASK", RestoredPages.LTABTYPE_MASK);
    types.put("LPINTAB", RestoredPages.LPINTAB);
    types.put("XTAB", RestoredPages.XTAB);
    types.put("XALLOC", RestoredPages.XALLOC);
    types.put("BROKEN", RestoredPages.BROKEN);
    types.forEach(
        (name, value) ->
            probe.expect(
                "RestoredPages." + name,
                Integer.toUnsignedLong(value),
                "XEN_DOMCTL_PFINFO_" + name));
    probe.expect(
        "RestoredPages.MMUEXT_CLEAR_PAGE", RestoredPages.MMUEXT_CLEAR_PAGE, "MMUEXT_CLEAR_PAGE");
    probe.expect("RestoredPages.mmuext_op size", 24, "sizeof(struct mmuext_op)");
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
