package org.chaosvm.libxc;

import java.util.Objects;
import java.util.UUID;

/**
 * What {@code xc_domain_create} needs to create a domain: the typed face of {@code struct
 * xen_domctl_createdomain}. {@link #pv} gives what libxl uses for an x86 PV guest.
 *
 * @param handle the domain's UUID ({@code xen_domain_handle_t})
 * @param ssidref XSM security label; 0 without XSM
 * @param maxVcpus vCPUs the domain may ever have
 * @param maxEvtchnPort highest event channel port the domain may use
 * @param maxGrantFrames grant table frames; -1 for the hypervisor's default
 * @param maxMaptrackFrames maptrack frames; -1 for the hypervisor's default
 * @param maxGrantVersion highest grant table version the guest may use (1 or 2)
 */
public record DomainConfig(
    UUID handle,
    int ssidref,
    int maxVcpus,
    int maxEvtchnPort,
    int maxGrantFrames,
    int maxMaptrackFrames,
    int maxGrantVersion) {
  /** libxl's default event channel limit ({@code event_channels = 1023}). */
  public static final int DEFAULT_MAX_EVTCHN_PORT = 1023;

  public DomainConfig {
    Objects.requireNonNull(handle, "handle");
    if (maxVcpus < 1) {
      throw new IllegalArgumentException("maxVcpus must be at least 1, not " + maxVcpus);
    }
    if (maxGrantVersion < 1 || maxGrantVersion > 2) {
      throw new IllegalArgumentException("grant table version must be 1 or 2");
    }
  }

  /** An x86 PV domain with {@code maxVcpus} vCPUs and the hypervisor's default limits. */
  public static DomainConfig pv(UUID handle, int maxVcpus) {
    return new DomainConfig(handle, 0, maxVcpus, DEFAULT_MAX_EVTCHN_PORT, -1, -1, 2);
  }

  void writeTo(XenDomctlCreatedomain c) {
    c.ssidref.set(ssidref);
    byte[] uuid = Uuids.toBytes(handle);
    for (int i = 0; i < uuid.length; i++) {
      c.handle[i].set(uuid[i] & 0xff);
    }
    c.flags.set(0); // PV: no HVM, no HAP; nothing else is asked of Xen
    c.iommu_opts.set(0);
    c.max_vcpus.set(maxVcpus);
    c.max_evtchn_port.set(maxEvtchnPort);
    c.max_grant_frames.set(maxGrantFrames);
    c.max_maptrack_frames.set(maxMaptrackFrames);
    c.grant_opts.set(maxGrantVersion & XenAbi.XEN_DOMCTL_GRANT_version_mask);
    c.vmtrace_size.set(0);
    c.cpupool_id.set(0);
    c.arch.emulation_flags.set(0); // an x86 PV domain has no emulated devices
    c.arch.misc_flags.set(0);
  }
}
