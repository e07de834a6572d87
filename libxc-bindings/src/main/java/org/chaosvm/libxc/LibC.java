package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.Out;

/**
 * The C library calls the bindings need: freeing what Xen's libraries malloc, strerror, and the
 * file and ioctl calls of the Dom0 side of the device back-ends (loop devices, network interfaces),
 * and a thread's nice value. All of these but {@code free} and {@code strerror} follow "-1 and
 * errno".
 */
final class LibC {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    @IgnoreError
    void free(Pointer pointer);

    @IgnoreError
    String strerror(int errnum);

    @IgnoreError
    int geteuid();

    /** Below, 0 or above as the first {@code n} bytes of {@code a} compare to {@code b}'s. */
    @IgnoreError
    int memcmp(Pointer a, Pointer b, long n);

    int open(String path, int flags);

    /** {@code mode} is C's mode_t. */
    int mkfifo(String path, int mode);

    int close(int fd);

    /** A C stream ({@code FILE *}) on {@code fd}, or NULL and errno. */
    Pointer fdopen(int fd, String mode);

    int socket(int domain, int type, int protocol);

    /** {@code request} is C's unsigned long; {@code arg} points at the request's struct. */
    int ioctl(int fd, long request, Pointer arg);

    /** An ioctl whose argument is a number (or unused). */
    int ioctl(int fd, long request, long arg);

    /** NULL when there is no such user (errno then may or may not be set). */
    @IgnoreError
    Pointer getpwnam(String name);

    /** -1 when {@code groups} is too small, {@code count} then set to the number needed. */
    @IgnoreError
    int getgrouplist(String user, int group, int[] groups, int[] count);

    /** A system call with one number: setfsuid and setfsgid (which answer the previous id). */
    long syscall(long number, int arg);

    /** A system call with a count and an array of ids: getgroups and setgroups (per thread). */
    long syscall(long number, int count, int[] ids);

    /** {@code fds}: out, the read end then the write end. */
    int pipe2(@Out int[] fds, int flags);

    /** The bytes read (0 at the end), or -1 and errno. {@code count} is C's size_t. */
    long read(int fd, Pointer buffer, long count);

    /** The bytes written, or -1 and errno. */
    long write(int fd, Pointer buffer, long count);

    /** The new offset, or -1 and errno ({@code offset} is C's off_t). */
    long lseek(int fd, long offset, int whence);

    /**
     * {@code fds} points at {@code count} {@code struct pollfd} (C's nfds_t); the number ready, 0
     * after {@code timeoutMs}, or -1 and errno.
     */
    int poll(Pointer fds, long count, int timeoutMs);

    /** fcntl with an int argument (F_SETPIPE_SZ: the new size, or -1 and errno). */
    int fcntl(int fd, int command, int argument);

    /** With PRIO_PROCESS and {@code who} 0, Linux sets the calling thread's nice value alone. */
    int setpriority(int which, int who, int prio);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.LIBC);
  }

  private LibC() {}

  static void free(Pointer pointer) {
    if (pointer != null) {
      Holder.LIB.free(pointer);
    }
  }

  static String strerror(int errnum) {
    return Holder.LIB.strerror(errnum);
  }

  static Native lib() {
    return Holder.LIB;
  }

  static jnr.ffi.Runtime runtime() {
    return NativeLibraries.runtime(Holder.LIB);
  }

  /** Opens {@code path} with {@code flags} (close-on-exec added); the file descriptor. */
  static int open(String path, int flags) {
    return NativeCall.checkNonNegative(
        runtime(), "open(" + path + ")", lib().open(path, flags | LinuxAbi.O_CLOEXEC), null);
  }

  /** Closes {@code fd}; a failure is not reported (nothing can be done about it). */
  static void closeQuietly(int fd) {
    if (fd >= 0) {
      lib().close(fd);
    }
  }
}
