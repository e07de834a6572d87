package org.chaosvm.daemon.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * xl's DISKSPEC grammar (xl-disk-configuration(5)), read as Xen 4.17's libxlutil scans it ({@code
 * libxlu_disk_l.l}): at each position every rule is tried, the longest match wins, and of matches
 * of one length the rule listed first. Rules written with flex's trailing context (the deprecated
 * prefixes, leading whitespace) count the rest of the string in their length, as flex does, so that
 * they win over a positional parameter. What this class reads is what xl reads; what chaos supports
 * of it is decided after ({@link DeviceSpecs#disk}).
 */
final class DiskSpecScanner {
  /** Every setting xl's scanner can produce; {@code null}/empty where the spec gave none. */
  static final class Parsed {
    String target;
    String format;
    String vdev;
    boolean writable = true;
    boolean cdrom;
    String backend;
    String backendType;
    String specification;
    String script;

    /** The deprecated prefix that gave {@link #script}, if one did ({@code iscsi:}, ...). */
    String scriptPrefix;

    /** The deprecated prefix that gave {@link #format}, if one did ({@code qcow2:}, ...). */
    String formatPrefix;

    boolean directIoSafe;

    /** Null when not given: xl's default depends on {@link #writable}. */
    Boolean discard;

    boolean colo;
    boolean trusted = true;

    /** COLO's keyed settings ({@code colo-host=...}), as written. */
    final List<String> coloSettings = new ArrayList<>();
  }

  /** xl's error: what is wrong, near which text of the spec. */
  static final class SyntaxError extends Exception {
    SyntaxError(String message, String near) {
      super(near == null ? message : message + " near '" + near + "'");
    }
  }

  private static final List<String> FORMATS =
      List.of("raw", "qcow", "qcow2", "vhd", "empty", "qed");

  private final Parsed parsed = new Parsed();
  private boolean hadDeprecatedPrefix;
  private boolean accessSet;

  private DiskSpecScanner() {}

  /** Reads one DISKSPEC as xl does, defaults applied; a {@link SyntaxError} where xl fails. */
  static Parsed scan(String spec) throws SyntaxError {
    DiskSpecScanner scanner = new DiskSpecScanner();
    scanner.run(spec);
    return scanner.finish();
  }

  private void run(String spec) throws SyntaxError {
    int at = 0;
    while (at < spec.length()) {
      at += step(spec, at);
    }
  }

  private Parsed finish() throws SyntaxError {
    if (parsed.format == null) {
      parsed.format = "raw";
    }
    if (parsed.cdrom) {
      parsed.writable = false;
      if (parsed.target == null || parsed.target.isEmpty()) {
        parsed.format = "empty";
      }
    }
    if (parsed.vdev == null) {
      throw new SyntaxError("no vdev specified", null);
    }
    if (parsed.target == null && !parsed.cdrom) {
      throw new SyntaxError("no target specified (and device not removable)", null);
    }
    return parsed;
  }

  /** Scans one token at {@code at}, acts on it, and returns how many characters it took. */
  private int step(String s, int at) throws SyntaxError {
    char c = s.charAt(at);
    if (c == ' ' || c == '\t' || c == '\n') {
      return 1; // whitespace before a parameter is ignored
    }
    String rest = s.substring(at);
    // The rules in libxlu_disk_l.l's order, each with the length it matches (-1: no match); of
    // two matches of one length, the first rule's wins.
    int best = -1;
    int bestLength = -1;
    for (int rule = 0; rule < RULES; rule++) {
      int length = match(rule, rest);
      if (length > bestLength) {
        best = rule;
        bestLength = length;
      }
    }
    if (best < 0) {
      throw new SyntaxError("bad disk syntax", rest);
    }
    return act(best, rest, bestLength);
  }

  // Keyed settings whose value runs to the next comma, in the scanner's order.
  private static final List<String> KEYS =
      List.of(
          "format",
          "devtype",
          "access",
          "backend",
          "backendtype",
          "specification",
          "vdev",
          "script",
          "colo-host",
          "colo-port",
          "colo-export",
          "active-disk",
          "hidden-disk");
  private static final List<String> FLAGS =
      List.of(
          "cdrom",
          "direct-io-safe",
          "discard",
          "no-discard",
          "colo",
          "no-colo",
          "trusted",
          "untrusted");
  private static final List<String> FORMAT_PREFIXES = List.of("raw", "qcow", "qcow2", "vhd");
  private static final List<String> SCRIPT_PREFIXES = List.of("iscsi", "nbd", "enbd", "drbd");
  private static final List<String> IGNORED_PREFIXES =
      List.of("tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy");

  private static final int KEYED = 0;
  private static final int FLAG = 1;
  private static final int TARGET = 2;
  private static final int UNKNOWN_KEY = 3;
  private static final int PREFIX = 4;
  private static final int UNKNOWN_PREFIX = 5;
  private static final int POSITIONAL = 6;
  private static final int RULES = 7;

  private static int match(int rule, String rest) {
    return switch (rule) {
      case KEYED -> longest(rest, KEYS, true);
      case FLAG -> longest(rest, FLAGS, false);
      case TARGET -> rest.startsWith("target=") ? rest.length() : -1;
      case UNKNOWN_KEY -> unknownKey(rest);
      case PREFIX -> knownPrefix(rest).isPresent() ? rest.length() : -1;
      case UNKNOWN_PREFIX -> unknownPrefix(rest);
      case POSITIONAL -> positionalLength(rest);
      default -> throw new IllegalArgumentException("rule " + rule);
    };
  }

  /** {@code key=[^,]*,?} for keyed settings, {@code flag,?} for flags; the longest of them. */
  private static int longest(String rest, List<String> words, boolean keyed) {
    int best = -1;
    for (String word : words) {
      String head = keyed ? word + "=" : word;
      if (rest.startsWith(head)) {
        int end = keyed ? upTo(rest, head.length(), ",") : head.length();
        best = Math.max(best, withComma(rest, end));
      }
    }
    return best;
  }

  /** {@code [a-z][-a-z0-9]*=[^,],?}: a key xl does not know, with a one-character value. */
  private static int unknownKey(String rest) {
    int i = lowerWord(rest, 0, true);
    if (i < 0 || i + 1 >= rest.length() || rest.charAt(i) != '=' || rest.charAt(i + 1) == ',') {
      return -1;
    }
    return withComma(rest, i + 2);
  }

  /**
   * {@code [a-z][a-z0-9]*:/([^a-z0-9].*)?}: with flex's trailing context, the whole rest when the
   * colon ends the string or a character other than a letter or digit follows it, else the prefix
   * alone.
   */
  private static int unknownPrefix(String rest) {
    int i = lowerWord(rest, 0, false);
    if (i < 0 || i >= rest.length() || rest.charAt(i) != ':') {
      return -1;
    }
    if (i + 1 == rest.length() || !isLowerOrDigit(rest.charAt(i + 1))) {
      return rest.length();
    }
    return i + 1;
  }

  /** {@code [^=,]*,|[^=,]+,?}. */
  private static int positionalLength(String rest) {
    int end = upTo(rest, 0, "=,");
    if (end < rest.length() && rest.charAt(end) == ',') {
      return end + 1;
    }
    return end == 0 ? -1 : end;
  }

  private static Optional<String> knownPrefix(String rest) {
    int colon = rest.indexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    String word = rest.substring(0, colon);
    return FORMAT_PREFIXES.contains(word)
            || SCRIPT_PREFIXES.contains(word)
            || IGNORED_PREFIXES.contains(word)
        ? Optional.of(word)
        : Optional.empty();
  }

  /** The end of {@code [a-z][a-z0-9]*} (with {@code -} too when {@code dash}) at 0, or -1. */
  private static int lowerWord(String s, int from, boolean dash) {
    if (from >= s.length() || s.charAt(from) < 'a' || s.charAt(from) > 'z') {
      return -1;
    }
    int i = from + 1;
    while (i < s.length() && (isLowerOrDigit(s.charAt(i)) || (dash && s.charAt(i) == '-'))) {
      i++;
    }
    return i;
  }

  private static boolean isLowerOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  }

  private static int upTo(String s, int from, String stops) {
    int i = from;
    while (i < s.length() && stops.indexOf(s.charAt(i)) < 0) {
      i++;
    }
    return i;
  }

  private static int withComma(String s, int end) {
    return end < s.length() && s.charAt(end) == ',' ? end + 1 : end;
  }

  private static String stripComma(String text) {
    return text.endsWith(",") ? text.substring(0, text.length() - 1) : text;
  }

  /**
   * Acts on the token {@code rule} matched, {@code length} characters at the start of {@code rest}
   * (its trailing context included); returns how many characters it took.
   */
  private int act(int rule, String rest, int length) throws SyntaxError {
    switch (rule) {
      case TARGET -> {
        saveTarget(stripComma(rest.substring("target=".length())));
        return length;
      }
      case PREFIX -> {
        String word = knownPrefix(rest).orElseThrow();
        prefix(word);
        return word.length() + 1;
      }
      case UNKNOWN_PREFIX -> {
        throw new SyntaxError("unknown deprecated disk prefix", rest);
      }
      case UNKNOWN_KEY -> throw new SyntaxError("unknown parameter", rest.substring(0, length));
      case POSITIONAL -> {
        positional(stripComma(rest.substring(0, length)));
        return length;
      }
      case KEYED -> {
        String text = stripComma(rest.substring(0, length));
        int eq = text.indexOf('=');
        keyed(text.substring(0, eq), text.substring(eq + 1), text);
        return length;
      }
      case FLAG -> {
        flag(stripComma(rest.substring(0, length)));
        return length;
      }
      default -> throw new IllegalArgumentException("rule " + rule);
    }
  }

  private void keyed(String key, String value, String text) throws SyntaxError {
    switch (key) {
      case "format" -> setFormat(value, text);
      case "devtype" -> {
        switch (value) {
          case "cdrom" -> parsed.cdrom = true;
          case "disk" -> parsed.cdrom = false;
          default -> throw new SyntaxError("unknown value for type", text);
        }
      }
      case "access" -> setAccess(value);
      case "backend" -> parsed.backend = save("backend", parsed.backend, value);
      case "backendtype" -> {
        if (!List.of("phy", "tap", "qdisk", "standalone").contains(value)) {
          throw new SyntaxError("unknown value for backendtype", value);
        }
        parsed.backendType = set("backendtype", parsed.backendType, value);
      }
      case "specification" -> {
        if (!List.of("xen", "virtio").contains(value)) {
          throw new SyntaxError("unknown value for specification", value);
        }
        parsed.specification = set("specification", parsed.specification, value);
      }
      case "vdev" -> parsed.vdev = save("vdev", parsed.vdev, value);
      case "script" -> parsed.script = save("script", parsed.script, value);
      case "colo-port" -> {
        if (leadingInt(value) == 0) {
          throw new SyntaxError("unknown value for colo_port", value);
        }
        parsed.coloSettings.add(text);
      }
      default -> parsed.coloSettings.add(text); // colo-host, colo-export, active-, hidden-disk
    }
  }

  private void flag(String text) {
    switch (text) {
      case "cdrom" -> parsed.cdrom = true;
      case "direct-io-safe" -> parsed.directIoSafe = true;
      case "discard" -> parsed.discard = true;
      case "no-discard" -> parsed.discard = false;
      case "colo" -> parsed.colo = true;
      case "no-colo" -> parsed.colo = false;
      case "trusted" -> parsed.trusted = true;
      case "untrusted" -> parsed.trusted = false;
      default -> throw new IllegalStateException("flag " + text);
    }
  }

  private void prefix(String word) throws SyntaxError {
    hadDeprecatedPrefix = true;
    if (FORMAT_PREFIXES.contains(word)) {
      setFormat(word, word + ":");
      parsed.formatPrefix = word + ":";
    } else if (SCRIPT_PREFIXES.contains(word)) {
      parsed.script = save("script", parsed.script, "block-" + word);
      parsed.scriptPrefix = word + ":";
    }
  }

  private void positional(String text) throws SyntaxError {
    if (parsed.target == null) {
      saveTarget(text);
    } else if (!hadDeprecatedPrefix && parsed.format == null) {
      if (parsed.target.isEmpty() && vdevAndDevtype(text)) {
        parsed.format = "empty";
      } else {
        setFormat(text, text);
      }
    } else if (parsed.vdev == null) {
      if (!vdevAndDevtype(text)) {
        parsed.vdev = save("vdev", parsed.vdev, text);
      }
    } else if (!accessSet) {
      accessSet = true;
      setAccess(text);
    } else {
      throw new SyntaxError("too many positional parameters", text);
    }
  }

  /** The deprecated {@code VDEV:DEVTYPE} form; false (nothing done) without a colon. */
  private boolean vdevAndDevtype(String text) throws SyntaxError {
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      return false;
    }
    parsed.vdev = save("vdev", parsed.vdev, text.substring(0, colon));
    switch (text.substring(colon + 1)) {
      case "cdrom" -> parsed.cdrom = true;
      case "disk" -> parsed.cdrom = false;
      default -> throw new SyntaxError("unknown deprecated type", text.substring(colon + 1));
    }
    return true;
  }

  private void saveTarget(String value) throws SyntaxError {
    parsed.target = save("target", parsed.target, value);
  }

  /** libxlutil's savestring: a second non-empty value is an error; an empty one may be replaced. */
  private static String save(String what, String current, String value) throws SyntaxError {
    if (current != null && !current.isEmpty()) {
      throw new SyntaxError(what + " respecified", value);
    }
    return value;
  }

  /** libxlutil's DSET: an enumerated setting may be given again only with the same value. */
  private static String set(String what, String current, String value) throws SyntaxError {
    if (current != null && !current.equals(value)) {
      throw new SyntaxError(what + " respecified", value);
    }
    return value;
  }

  private void setFormat(String value, String near) throws SyntaxError {
    String format = value.isEmpty() ? "raw" : value;
    if (!FORMATS.contains(format)) {
      throw new SyntaxError("unknown value for format", near);
    }
    parsed.format = set("format", parsed.format, format);
  }

  private void setAccess(String value) throws SyntaxError {
    switch (value) {
      case "r", "ro" -> parsed.writable = false;
      case "rw", "w", "" -> parsed.writable = true;
      default -> throw new SyntaxError("unknown value for access", value);
    }
  }

  /** C's atoi: the leading decimal number, 0 if none. */
  private static int leadingInt(String value) {
    int i = 0;
    while (i < value.length() && Character.isDigit(value.charAt(i)) && i < 9) {
      i++;
    }
    return i == 0 ? 0 : Integer.parseInt(value.substring(0, i));
  }
}
