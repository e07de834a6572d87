package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.UUID;
import jnr.ffi.Memory;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.Test;

class DomainConfigTest {
  private final Runtime runtime = Runtime.getSystemRuntime();

  @Test
  void pvConfigFillsCreatedomainAsLibxlDoesForPv() {
    UUID uuid = UUID.fromString("00112233-4455-6677-8899-aabbccddeeff");
    XenDomctlCreatedomain c = new XenDomctlCreatedomain(runtime);
    c.useMemory(Memory.allocateDirect(runtime, Struct.size(c), true));

    DomainConfig.pv(uuid, 2).writeTo(c);

    assertEquals(0, c.flags.get());
    assertEquals(2, c.max_vcpus.get());
    assertEquals(1023, c.max_evtchn_port.get());
    assertEquals(-1, c.max_grant_frames.get());
    assertEquals(-1, c.max_maptrack_frames.get());
    assertEquals(2, c.grant_opts.get());
    assertEquals(0, c.arch.emulation_flags.get());
    assertEquals(0x00, c.handle[0].get());
    assertEquals(0xff, c.handle[15].get());
  }

  @Test
  void domainIdsOfSpecialDomainsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> DomId.of(DomId.FIRST_RESERVED));
    assertThrows(IllegalArgumentException.class, () -> DomId.of(-1));
  }

  @Test
  void uuidRoundTripsThroughXenDomainHandleBytes() {
    UUID uuid = UUID.randomUUID();
    assertEquals(uuid, Uuids.fromBytes(Uuids.toBytes(uuid)));
  }

  @Test
  void shutdownReasonCodesAreXens() {
    assertEquals(ShutdownReason.CRASH, ShutdownReason.of(3));
    assertThrows(IllegalArgumentException.class, () -> ShutdownReason.of(99));
  }
}
