package org.chaosvm.libxc;

import java.util.function.Supplier;
import jnr.ffi.LastError;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The one funnel every return of a C call goes through. Xen's libraries mix conventions; each
 * method here is one of them, and each raw declaration says which applies to it. {@code detail}
 * supplies more of the story where the library keeps one (libxc's last error); it is asked only on
 * failure, after errno has been read.
 */
final class NativeCall {
  private static final Supplier<String> NO_DETAIL = () -> "";

  private NativeCall() {}

  /** Convention "-1 and errno" (libxenctrl, libxenevtchn): a negative return is a failure. */
  static int checkNonNegative(Runtime runtime, String function, int rc, DomId domain) {
    return checkNonNegative(runtime, function, rc, domain, NO_DETAIL);
  }

  static int checkNonNegative(
      Runtime runtime, String function, int rc, DomId domain, Supplier<String> detail) {
    if (rc < 0) {
      throw failure(runtime, function, domain, detail);
    }
    return rc;
  }

  /** Convention "0 or non-zero, errno when set" (libxenguest's builder). */
  static void checkZero(
      Runtime runtime, String function, int rc, DomId domain, Supplier<String> detail) {
    if (rc != 0) {
      throw failure(runtime, function, domain, detail);
    }
  }

  /** Convention "NULL and errno" (handles, memory handed over by libxenstore). */
  static Pointer checkNotNull(Runtime runtime, String function, Pointer result, DomId domain) {
    return checkNotNull(runtime, function, result, domain, NO_DETAIL);
  }

  static Pointer checkNotNull(
      Runtime runtime, String function, Pointer result, DomId domain, Supplier<String> detail) {
    if (result == null || result.address() == 0) {
      throw failure(runtime, function, domain, detail);
    }
    return result;
  }

  /** Convention "C bool false and errno" (libxenstore); {@code ok} is the bool's low byte. */
  static void checkTrue(Runtime runtime, String function, byte ok, DomId domain, String subject) {
    if (ok == 0) {
      throw failure(runtime, function, domain, () -> subject);
    }
  }

  static Errno lastErrno(Runtime runtime) {
    return Errno.of(LastError.getLastError(runtime));
  }

  static XenException failure(
      Runtime runtime, String function, DomId domain, Supplier<String> detail) {
    Errno errno = lastErrno(runtime);
    return new XenException(function, errno, domain, detail.get());
  }
}
