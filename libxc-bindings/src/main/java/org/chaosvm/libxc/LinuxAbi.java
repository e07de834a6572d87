package org.chaosvm.libxc;

/**
 * Constants of Linux's user ABI that the Dom0 side of the device back-ends uses (loop devices,
 * network interfaces, bridges) and the daemon's threads' scheduling, under their C names. The ABI
 * test checks each against the installed headers, as for {@link XenAbi}.
 */
final class LinuxAbi {
  private LinuxAbi() {}

  // sys/syscall.h (x86-64)
  static final int SYS_getgroups = 115;
  static final int SYS_setgroups = 116;
  static final int SYS_setfsuid = 122;
  static final int SYS_setfsgid = 123;

  // fcntl.h
  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_RDWR = 2;
  static final int O_TRUNC = 01000;
  static final int O_NONBLOCK = 04000;
  static final int O_CLOEXEC = 0x80000;
  static final int F_GETFL = 3;
  static final int F_SETFL = 4;

  // sys/stat.h
  static final int S_IFIFO = 0010000;
  static final int S_IFREG = 0100000;
  static final int S_IFMT = 0170000;

  // poll.h
  static final int POLLIN = 1;

  // unistd.h
  static final int SEEK_CUR = 1;

  // sys/resource.h
  static final int PRIO_PROCESS = 0;

  // sys/mman.h
  static final int PROT_READ = 1;
  static final int PROT_WRITE = 2;

  // sys/socket.h
  static final int AF_UNIX = 1;
  static final int SOCK_DGRAM = 2;

  // linux/sockios.h
  static final int SIOCGIFFLAGS = 0x8913;
  static final int SIOCSIFFLAGS = 0x8914;
  static final int SIOCSIFMTU = 0x8922;
  static final int SIOCSIFNAME = 0x8923;
  static final int SIOCGIFINDEX = 0x8933;
  static final int SIOCBRADDIF = 0x89a2;
  static final int SIOCBRDELIF = 0x89a3;

  // net/if.h
  static final int IFF_UP = 0x1;
  static final int IFNAMSIZ = 16;

  // linux/loop.h
  static final int LOOP_CLR_FD = 0x4C01;
  static final int LOOP_CONFIGURE = 0x4C0A;
  static final int LOOP_CTL_GET_FREE = 0x4C82;
  static final int LO_FLAGS_READ_ONLY = 1;
  static final int LO_FLAGS_AUTOCLEAR = 4;
  static final int LO_NAME_SIZE = 64;
}
