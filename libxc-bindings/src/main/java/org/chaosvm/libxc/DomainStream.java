package org.chaosvm.libxc;

import java.lang.ref.Reference;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A PV domain's memory and vCPU state as libxenguest's migration stream (format v2, {@code
 * xc_domain_save} and {@code xc_domain_restore}), the stream {@code xl save} writes after its own
 * header. A save asks its caller to suspend the domain. chaos restores it itself ({@link
 * PvRestore}), and writes a suspended guest's itself ({@link PvSave}); libxenguest's save sends a
 * live one (and a guest {@link PvSave} leaves to it).
 */
public final class DomainStream {
  private static final int XCFLAGS_LIVE = 1;
  private static final int XC_STREAM_PLAIN = 0;

  /**
   * {@code struct save_callbacks} (Xen 4.17): suspend, precopy_policy, postcopy, checkpoint,
   * wait_checkpoint, switch_qemu_logdirty, data; NULL but for suspend (a plain stream's default
   * precopy policy).
   */
  private static final int SAVE_CALLBACKS_SIZE = 7 * 8;

  /** Suspends the domain when the save needs it still. */
  @FunctionalInterface
  public interface Suspender {
    /**
     * Returns once the domain is shut down with reason suspend, true; false (or an exception, which
     * the save then throws) if it is not.
     */
    boolean suspend();
  }

  private DomainStream() {}

  /**
   * Writes {@code domid}'s stream to {@code fd}; {@code live}: the memory is sent while the guest
   * runs, then again what it changed, before the suspend (a migration's short pause). On success
   * the domain is left suspended (destroy it, or {@link #resume} it); on failure it is left as it
   * is, suspended or not.
   */
  public static void save(XenCtrl xc, DomId domid, int fd, boolean live, Suspender suspender) {
    if (live) {
      xc.domainInfo(domid).ifPresent(info -> xc.growShadowMemory(domid, liveShadowMib(info)));
      libxenguestSave(xc, domid, fd, true, suspender);
      return;
    }
    // Not live: suspended first, then written by chaos, or by libxenguest if PvSave declines.
    if (!suspender.suspend()) {
      throw new XenException(PvSave.FUNCTION, Errno.EINVAL, domid, "the domain did not suspend");
    }
    if (!PvSave.save(xc, domid, fd)) {
      libxenguestSave(xc, domid, fd, false, () -> true);
    }
  }

  private static void libxenguestSave(
      XenCtrl xc, DomId domid, int fd, boolean live, Suspender suspender) {
    Runtime runtime = NativeLibraries.runtime(LibXenGuest.lib());
    RuntimeException[] thrown = new RuntimeException[1];
    LibXenGuest.SaveCallback suspend =
        data -> {
          try {
            return suspender.suspend() ? 1 : 0;
          } catch (RuntimeException e) {
            thrown[0] = e;
            return 0;
          }
        };
    Pointer callbacks = Memory.allocateDirect(runtime, SAVE_CALLBACKS_SIZE, true);
    callbacks.putAddress(
        0,
        runtime
            .getClosureManager()
            .getClosurePointer(LibXenGuest.SaveCallback.class, suspend)
            .address());
    try {
      int rc =
          LibXenGuest.lib()
              .xc_domain_save(
                  xc.handle(),
                  fd,
                  domid.value(),
                  live ? XCFLAGS_LIVE : 0,
                  callbacks,
                  XC_STREAM_PLAIN,
                  -1);
      if (thrown[0] != null) {
        xc.takeLastError();
        throw thrown[0];
      }
      NativeCall.checkZero(runtime, "xc_domain_save", rc, domid, xc::takeLastError);
    } finally {
      Reference.reachabilityFence(suspend);
      Reference.reachabilityFence(callbacks);
    }
  }

  /**
   * The shadow memory a live save needs, in MiB, as libxl reckons a shadow-paged guest's: 4 KiB
   * times 256 per vCPU plus 2 per MiB of memory, and a MiB more. Xen gives a PV domain in log-dirty
   * mode only the least it accepts, from which its dirty bitmap's pages soon fail to come (a 1 MiB
   * guest's live save failed with ENOMEM: "failed page allocs while logging dirty pages"), and
   * libxl sets none for PV guests.
   */
  static int liveShadowMib(DomainInfo info) {
    long maxMib = info.maxPages() * PhysInfo.PAGE_SIZE >> 20;
    long kib = 4 * (256L * Math.max(1, info.onlineVcpus()) + 2 * maxMib);
    return (int) ((kib + 1023) / 1024) + 1;
  }

  /**
   * Lets a domain a save left suspended go on where it was (a cooperative resume: its suspend call
   * returns "cancelled"), as {@code xl save -c} does.
   */
  public static void resume(XenCtrl xc, DomId domid) {
    NativeCall.checkNonNegative(
        NativeLibraries.runtime(LibXenGuest.lib()),
        "xc_domain_resume",
        LibXenGuest.lib().xc_domain_resume(xc.handle(), domid.value(), 1),
        domid,
        xc::takeLastError);
  }
}
