package org.chaosvm.daemon.config;

import java.math.BigInteger;
import java.util.regex.Pattern;

/**
 * A vif's {@code rate=} as Xen 4.17's libxlutil reads it ({@code libxlu_vif.c}): {@code
 * AMOUNT[G|M|K](B|b)/s[@INTERVAL]}, the amount a C number (a leading 0 makes it octal), decimal
 * prefixes, {@code b} bits; the interval a number with {@code s} (or no unit: seconds), {@code m}
 * or {@code ms}, {@code u} or {@code us}, 50 ms when not given. The limit is what netback takes: so
 * many bytes per interval, rounded down (to 0 for a rate below one byte per interval, as xl does).
 */
final class VifRate {
  private static final Pattern AMOUNT = Pattern.compile("[0-9]+[GMK]?[Bb]/s");
  private static final Pattern INTERVAL = Pattern.compile("[0-9]+[mu]?s?");
  private static final long UINT32_MAX = 0xffff_ffffL;
  private static final BigInteger UINT64_MAX =
      BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  /** What libxlutil reports; the message is its own. */
  static final class RateError extends Exception {
    RateError(String message, String near) {
      super(message + " in '" + near + "'");
    }
  }

  private VifRate() {}

  static VifSpec.Rate parse(String text) throws RateError {
    int at = text.indexOf('@');
    String amount = at < 0 ? text : text.substring(0, at);
    if (amount.isEmpty()) {
      throw new RateError("no rate specified", text);
    }
    long bytesPerSecond = bytesPerSecond(amount);
    long interval = at < 0 ? 50_000 : intervalMicros(text.substring(at + 1));
    BigInteger perInterval =
        BigInteger.valueOf(bytesPerSecond).multiply(BigInteger.valueOf(interval));
    if (perInterval.compareTo(UINT64_MAX) > 0) {
      throw new RateError("rate overflow", text);
    }
    return new VifSpec.Rate(
        perInterval.divide(BigInteger.valueOf(1_000_000)).longValueExact(), interval, text);
  }

  private static long bytesPerSecond(String amount) throws RateError {
    Number number = Number.checked(amount, AMOUNT, "invalid rate", "rate overflow");
    long value = number.value();
    String after = amount.substring(number.end());
    value *=
        switch (after.charAt(0)) {
          case 'G' -> 1_000_000_000L;
          case 'M' -> 1_000_000L;
          case 'K' -> 1_000L;
          default -> 1L;
        };
    if (after.charAt(0) == 'b' || (after.length() > 1 && after.charAt(1) == 'b')) {
      value /= 8;
    }
    return value;
  }

  private static long intervalMicros(String interval) throws RateError {
    Number number =
        Number.checked(
            interval,
            INTERVAL,
            "invalid replenishment interval",
            "replenishment interval overflow");
    long value = number.value();
    String unit = interval.substring(number.end());
    if (unit.isEmpty() || unit.charAt(0) == 's') {
      value *= 1_000_000L;
    } else if (unit.charAt(0) == 'm') {
      value *= 1_000L;
    }
    if (value > UINT32_MAX) {
      throw new RateError("replenishment interval overflow", interval);
    }
    return value;
  }

  /**
   * C's {@code strtoull(s, &end, 0)} on a string that starts with a digit: octal after a leading 0,
   * else decimal; {@link Long#MAX_VALUE} stands for any value too large to matter here.
   */
  private record Number(long value, int end) {
    /** The number at the start of {@code text}, which must match {@code form}: 1 to 2^32-1. */
    static Number checked(String text, Pattern form, String invalid, String overflow)
        throws RateError {
      if (!form.matcher(text).matches()) {
        throw new RateError(invalid, text);
      }
      Number number = parse(text);
      if (number.value() == 0 || number.value() > UINT32_MAX) {
        throw new RateError(overflow, text);
      }
      return number;
    }

    static Number parse(String s) {
      boolean octal = s.length() > 1 && s.charAt(0) == '0';
      int radix = octal ? 8 : 10;
      int i = 0;
      BigInteger value = BigInteger.ZERO;
      while (i < s.length() && Character.digit(s.charAt(i), radix) >= 0) {
        value =
            value.multiply(BigInteger.valueOf(radix)).add(BigInteger.valueOf(s.charAt(i) - '0'));
        i++;
      }
      long clamped = value.bitLength() < 63 ? value.longValueExact() : Long.MAX_VALUE;
      return new Number(clamped, i);
    }
  }
}
