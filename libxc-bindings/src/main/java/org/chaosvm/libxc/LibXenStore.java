package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.u_int32_t;

/**
 * libxenstore (Xen 4.17), raw. Calls returning {@code bool} fail with false and errno (declared
 * {@code byte}: a C bool is its low byte); those returning pointers fail with NULL and errno and
 * hand over malloc'd memory the caller frees.
 */
final class LibXenStore {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    Pointer xs_open(long flags);

    void xs_close(Pointer h);

    /**
     * The path of xenstored's socket, as xs_open uses it ({@code XENSTORED_PATH}, else the run
     * directory's {@code socket}); a static buffer, NULL when the path is too long.
     */
    String xs_daemon_socket();

    Pointer xs_read(Pointer h, @u_int32_t int t, String path, @Out IntByReference len);

    byte xs_write(Pointer h, @u_int32_t int t, String path, @In byte[] data, int len);

    byte xs_mkdir(Pointer h, @u_int32_t int t, String path);

    byte xs_rm(Pointer h, @u_int32_t int t, String path);

    Pointer xs_directory(Pointer h, @u_int32_t int t, String path, @Out IntByReference num);

    Pointer xs_get_permissions(Pointer h, @u_int32_t int t, String path, @Out IntByReference num);

    byte xs_set_permissions(Pointer h, @u_int32_t int t, String path, Pointer perms, int num);

    /** 0 and errno on failure (a transaction id is never 0). */
    int xs_transaction_start(Pointer h);

    /** False with errno EAGAIN when the transaction must be retried. */
    byte xs_transaction_end(Pointer h, @u_int32_t int t, boolean abort);

    byte xs_introduce_domain(Pointer h, int domid, long mfn, int eventchn);

    byte xs_release_domain(Pointer h, int domid);

    Pointer xs_get_domain_path(Pointer h, int domid);

    byte xs_watch(Pointer h, String path, String token);

    byte xs_unwatch(Pointer h, String path, String token);

    /** -1 and errno on failure. */
    int xs_fileno(Pointer h);

    /** Blocks until a watch fires; NULL and errno on failure. */
    Pointer xs_read_watch(Pointer h, @Out IntByReference num);

    /** NULL with errno EAGAIN when no watch has fired. */
    Pointer xs_check_watch(Pointer h);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENSTORE);
  }

  private LibXenStore() {}

  static Native lib() {
    return Holder.LIB;
  }
}
