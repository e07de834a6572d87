package org.chaosvm.libxc;

import java.util.Optional;
import java.util.UUID;

/**
 * A domain as {@code xc_domain_getinfolist} reports it ({@code struct xen_domctl_getdomaininfo}).
 *
 * @param shutdownReason set when {@code shutdown} is
 * @param totPages pages the domain has now
 * @param maxPages pages it may have
 * @param cpuTimeNs CPU time used, in nanoseconds
 */
public record DomainInfo(
    DomId domid,
    UUID handle,
    boolean dying,
    boolean hvm,
    boolean shutdown,
    boolean paused,
    boolean blocked,
    boolean running,
    Optional<ShutdownReason> shutdownReason,
    long totPages,
    long maxPages,
    int onlineVcpus,
    long cpuTimeNs) {

  /** Whether it shut down for a suspend (a save's, or its own): it may yet resume. */
  public boolean suspended() {
    return shutdownReason.filter(r -> r == ShutdownReason.SUSPEND).isPresent();
  }

  static DomainInfo from(XenDomctlGetdomaininfo info) {
    int flags = (int) info.flags.get();
    boolean shutdown = (flags & XenAbi.XEN_DOMINF_shutdown) != 0;
    int reasonCode = (flags >>> XenAbi.XEN_DOMINF_shutdownshift) & XenAbi.XEN_DOMINF_shutdownmask;
    byte[] handle = new byte[16];
    for (int i = 0; i < handle.length; i++) {
      handle[i] = (byte) info.handle[i].get();
    }
    return new DomainInfo(
        DomId.of(info.domain.get()),
        Uuids.fromBytes(handle),
        (flags & XenAbi.XEN_DOMINF_dying) != 0,
        (flags & XenAbi.XEN_DOMINF_hvm_guest) != 0,
        shutdown,
        (flags & XenAbi.XEN_DOMINF_paused) != 0,
        (flags & XenAbi.XEN_DOMINF_blocked) != 0,
        (flags & XenAbi.XEN_DOMINF_running) != 0,
        shutdown ? Optional.of(ShutdownReason.of(reasonCode)) : Optional.empty(),
        info.tot_pages.get(),
        info.max_pages.get(),
        (int) info.nr_online_vcpus.get(),
        info.cpu_time.get());
  }
}
