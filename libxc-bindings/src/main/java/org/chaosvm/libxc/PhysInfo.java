package org.chaosvm.libxc;

/**
 * The host as {@code xc_physinfo} reports it (pages are 4 KiB).
 *
 * @param nrCpus CPUs online
 * @param totalPages all memory Xen manages
 * @param freePages memory not given to any domain
 */
public record PhysInfo(int nrCpus, int cpuKhz, long totalPages, long freePages) {
  public static final int PAGE_SIZE = 4096;

  public long freeMib() {
    return freePages * PAGE_SIZE / (1024 * 1024);
  }

  public long totalMib() {
    return totalPages * PAGE_SIZE / (1024 * 1024);
  }
}
