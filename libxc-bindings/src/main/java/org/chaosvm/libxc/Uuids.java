package org.chaosvm.libxc;

import java.nio.ByteBuffer;
import java.util.UUID;

/** {@code xen_domain_handle_t}: a UUID as 16 bytes, most significant first. */
final class Uuids {
  private Uuids() {}

  static byte[] toBytes(UUID uuid) {
    return ByteBuffer.allocate(16)
        .putLong(uuid.getMostSignificantBits())
        .putLong(uuid.getLeastSignificantBits())
        .array();
  }

  static UUID fromBytes(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    return new UUID(buffer.getLong(), buffer.getLong());
  }
}
