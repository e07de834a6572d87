package org.chaosvm.rig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Xen's own toolstack, {@code xl}, as the rig's tests use it: the reference chaos is held to. */
public final class Xl {
  /** A generous limit for one xl call under QEMU's TCG, where a create takes about 8 s. */
  public static final Duration CALL_TIMEOUT = Duration.ofSeconds(180);

  private static final Duration POLL_INTERVAL = Duration.ofMillis(250);

  private Xl() {}

  /** {@code xl create CFG}: builds and starts the guest; returns xl's output. */
  public static String create(Path config) {
    return xl("create", config.toString()).output();
  }

  /** {@code xl destroy NAME}. */
  public static void destroy(String domain) {
    xl("destroy", domain);
  }

  /** {@code xl shutdown NAME}: asks the guest to power off (through XenStore), without waiting. */
  public static void shutdown(String domain) {
    xl("shutdown", domain);
  }

  /** Destroys {@code domain} if it exists; for cleaning up after a failed test. */
  public static void destroyIfPresent(String domain) {
    if (domainNames().contains(domain)) {
      Command.run(CALL_TIMEOUT, "xl", "destroy", domain);
    }
  }

  /** The names of the domains {@code xl list} shows, Domain-0 first. */
  public static List<String> domainNames() {
    return parseListNames(xl("list").output());
  }

  /**
   * Waits until {@code xl list} no longer shows {@code domain}.
   *
   * @throws IllegalStateException if it is still there after {@code timeout}
   */
  public static void awaitGone(String domain, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (domainNames().contains(domain)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "domain " + domain + " still exists after " + timeout.toSeconds() + " s");
      }
      ConsoleLog.sleep(POLL_INTERVAL);
    }
  }

  /**
   * The domain names in the output of {@code xl list}: a header line starting with "Name", then one
   * line a domain. Anything before the header (a warning of xl's) is skipped.
   */
  static List<String> parseListNames(String listOutput) {
    List<String> names = new ArrayList<>();
    boolean pastHeader = false;
    for (String line : listOutput.split("\n")) {
      String[] fields = line.trim().split("\\s+");
      if (!pastHeader) {
        pastHeader = fields[0].equals("Name");
      } else if (!fields[0].isEmpty()) {
        names.add(fields[0]);
      }
    }
    return names;
  }

  private static Command.Result xl(String... arguments) {
    String[] argv = new String[arguments.length + 1];
    argv[0] = "xl";
    System.arraycopy(arguments, 0, argv, 1, arguments.length);
    return Command.run(CALL_TIMEOUT, argv).orThrow();
  }
}
