package org.chaosvm.libxc;

import java.util.Optional;

/**
 * A call into one of Xen's C libraries failed. Carries the C function's name, the errno it left
 * (when the library sets one), the domain concerned (when there is one), and libxc's own last error
 * message (when it left one: the domain builder explains itself there).
 */
public final class XenException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String function;
  private final Errno errno;
  private final transient DomId domain;
  private final String detail;

  XenException(String function, Errno errno, DomId domain, String detail) {
    super(describe(function, errno, domain, detail));
    this.function = function;
    this.errno = errno;
    this.domain = domain;
    this.detail = detail;
  }

  /** The C function that failed, e.g. {@code xc_domain_destroy}. */
  public String function() {
    return function;
  }

  /** The errno the call left; {@link Errno#UNKNOWN} when it left none. */
  public Errno errno() {
    return errno;
  }

  public Optional<DomId> domain() {
    return Optional.ofNullable(domain);
  }

  /** libxc's message for the failure, or the empty string. */
  public String detail() {
    return detail;
  }

  private static String describe(String function, Errno errno, DomId domain, String detail) {
    StringBuilder text = new StringBuilder(function);
    if (domain != null) {
      text.append(" (domain ").append(domain.value()).append(')');
    }
    text.append(" failed: ").append(errno.describe());
    if (!detail.isEmpty()) {
      text.append(": ").append(detail);
    }
    return text.toString();
  }
}
