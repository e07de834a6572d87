package org.chaosvm.libxc;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * libxenguest's domain builder ({@code struct xc_dom_image *}) for one x86 PV domain: loads the
 * kernel and ramdisk into a domain that {@link XenCtrl#createDomain} made. The steps run in the
 * order of their declarations here, as libxl runs them:
 *
 * <pre>
 * kernel, ramdisk, event channels, vCPUs   (on the builder)
 * bootXenInit(domid) → parseImage → memInit(MiB) → bootMemInit → buildImage → bootImage → gnttabInit
 * consoleMfn(), xenstoreMfn()               (for XenStore and xenconsoled), then close
 * </pre>
 */
public final class DomainBuilder implements AutoCloseable {
  private final XenCtrl xc;
  private final LibXenGuest.Native lib;
  private final Runtime runtime;
  private Pointer dom;
  private final XcDomImage image;
  private DomId domid;

  /** Native memory libxenguest points into until release (kernel_mem and module_mem keep it). */
  private final List<KernelImage> keepAlive = new ArrayList<>();

  private DomainBuilder(XenCtrl xc, LibXenGuest.Native lib, Pointer dom) {
    this.xc = xc;
    this.lib = lib;
    this.runtime = NativeLibraries.runtime(lib);
    this.dom = dom;
    this.image = new XcDomImage(dom);
    image.putInt(XcDomImage.Field.container_type, XenAbi.XC_DOM_PV_CONTAINER);
  }

  /**
   * Starts a build on {@code xc}.
   *
   * @param cmdline the guest kernel's command line
   * @param features Xen features to require of the kernel (xl's {@code features}), or null
   */
  public static DomainBuilder allocate(XenCtrl xc, String cmdline, String features) {
    LibXenGuest.Native lib = LibXenGuest.lib();
    Pointer dom = lib.xc_dom_allocate(xc.handle(), cmdline, features);
    NativeCall.checkNotNull(
        NativeLibraries.runtime(lib), "xc_dom_allocate", dom, null, xc::takeLastError);
    return new DomainBuilder(xc, lib, dom);
  }

  public DomainBuilder kernelFile(Path kernel) {
    check("xc_dom_kernel_file", lib.xc_dom_kernel_file(dom(), kernel.toString()));
    return this;
  }

  public DomainBuilder kernelMemory(byte[] kernel) {
    return kernelMemory(KernelImage.of(kernel));
  }

  /** A kernel already in native memory (a cached {@link #kernelImage()}); no copy is made. */
  public DomainBuilder kernelMemory(KernelImage kernel) {
    keepAlive.add(kernel);
    check("xc_dom_kernel_mem", lib.xc_dom_kernel_mem(dom(), kernel.memory(), kernel.size()));
    return this;
  }

  /**
   * A copy of the kernel as the builder holds it after {@link #parseImage}: a bzImage comes out
   * decompressed (the ELF inside), which is what a toolstack caches to skip decompressing it on
   * every build.
   */
  public KernelImage kernelImage() {
    long size = image.getLong(XcDomImage.Field.kernel_size);
    Pointer blob = image.getPointer(XcDomImage.Field.kernel_blob);
    if (blob == null || size <= 0) {
      throw new IllegalStateException("the builder holds no kernel");
    }
    return KernelImage.copyOf(runtime, blob, size);
  }

  /** The ramdisk: the first module of a PV guest. */
  public DomainBuilder ramdiskFile(Path ramdisk) {
    check("xc_dom_module_file", lib.xc_dom_module_file(dom(), ramdisk.toString(), null));
    return this;
  }

  public DomainBuilder ramdiskMemory(byte[] ramdisk) {
    KernelImage copy = KernelImage.of(ramdisk);
    keepAlive.add(copy);
    check("xc_dom_module_mem", lib.xc_dom_module_mem(dom(), copy.memory(), copy.size(), null));
    return this;
  }

  /** The console's event channel port in the guest, and the domain serving its console. */
  public DomainBuilder console(int port, DomId backend) {
    image.putInt(XcDomImage.Field.console_evtchn, port);
    image.putInt(XcDomImage.Field.console_domid, backend.value());
    return this;
  }

  /** XenStore's event channel port in the guest, and the domain running XenStore. */
  public DomainBuilder xenstore(int port, DomId backend) {
    image.putInt(XcDomImage.Field.xenstore_evtchn, port);
    image.putInt(XcDomImage.Field.xenstore_domid, backend.value());
    return this;
  }

  /** {@code SIF_*} start-info flags; 0 for an ordinary guest. */
  public DomainBuilder flags(long flags) {
    image.putLong(XcDomImage.Field.flags, flags);
    return this;
  }

  public DomainBuilder maxVcpus(int vcpus) {
    image.putInt(XcDomImage.Field.max_vcpus, vcpus);
    return this;
  }

  /** Whether the builder may claim the guest's memory up front (libxl's claim_mode). */
  public DomainBuilder claim(boolean enabled) {
    image.putInt(XcDomImage.Field.claim_enabled, enabled ? 1 : 0);
    return this;
  }

  public void bootXenInit(DomId target) {
    this.domid = target;
    check("xc_dom_boot_xen_init", lib.xc_dom_boot_xen_init(dom(), xc.handle(), target.value()));
  }

  /** Finds a loader for the kernel (ELF, bzImage) and reads its Xen notes. */
  public void parseImage() {
    check("xc_dom_parse_image", lib.xc_dom_parse_image(dom()));
  }

  /** Lays out the guest's memory: {@code mib} MiB. */
  public void memInit(int mib) {
    check("xc_dom_mem_init", lib.xc_dom_mem_init(dom(), mib));
  }

  /** Populates the domain's memory. */
  public void bootMemInit() {
    check("xc_dom_boot_mem_init", lib.xc_dom_boot_mem_init(dom()));
  }

  /** Places kernel, ramdisk, page tables, start info and the special pages. */
  public void buildImage() {
    check("xc_dom_build_image", lib.xc_dom_build_image(dom()));
  }

  /** Copies the image into the domain and sets up its first vCPU. */
  public void bootImage() {
    check("xc_dom_boot_image", lib.xc_dom_boot_image(dom()));
  }

  /** Seeds the grant table with the console and XenStore pages for their back-ends. */
  public void gnttabInit() {
    check("xc_dom_gnttab_init", lib.xc_dom_gnttab_init(dom()));
  }

  /** The console ring's guest frame number (valid after {@link #buildImage}). */
  public long consolePfn() {
    return image.getLong(XcDomImage.Field.console_pfn);
  }

  public long xenstorePfn() {
    return image.getLong(XcDomImage.Field.xenstore_pfn);
  }

  /** The console ring's machine frame: what XenStore's {@code console/ring-ref} holds. */
  public long consoleMfn() {
    return p2m(consolePfn());
  }

  /** The XenStore ring's machine frame: what {@code xs_introduce_domain} is given. */
  public long xenstoreMfn() {
    return p2m(xenstorePfn());
  }

  private long p2m(long pfn) {
    return image.p2m(pfn, lib.xc_dom_translated(dom()) != 0);
  }

  private Pointer dom() {
    if (dom == null) {
      throw new IllegalStateException("the domain builder is released");
    }
    return dom;
  }

  private void check(String function, int rc) {
    NativeCall.checkZero(runtime, function, rc, domid, xc::takeLastError);
  }

  /** Releases the builder's memory; the domain itself stays. */
  @Override
  public void close() {
    if (dom != null) {
      lib.xc_dom_release(dom);
      dom = null;
      keepAlive.clear();
    }
  }
}
