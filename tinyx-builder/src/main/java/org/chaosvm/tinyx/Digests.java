package org.chaosvm.tinyx;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Short SHA-256 digests of text, for cache keys and folder names. */
final class Digests {
  private Digests() {}

  /** The first {@code hexDigits} hex digits of the SHA-256 of {@code text} (UTF-8). */
  static String sha256(String text, int hexDigits) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha.digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, hexDigits);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
