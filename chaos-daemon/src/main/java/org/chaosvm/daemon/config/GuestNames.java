package org.chaosvm.daemon.config;

import java.util.Optional;

/** What a guest name may be: a command names a guest by name or by domid, never ambiguously. */
public final class GuestNames {
  public static final int MAX_LENGTH = 64;

  private GuestNames() {}

  /** Why {@code name} cannot name a guest, or empty when it can. */
  public static Optional<String> problem(String name) {
    if (name.isEmpty() || name.length() > MAX_LENGTH || !name.matches("[A-Za-z0-9_.-]+")) {
      return Optional.of(
          "name \""
              + name
              + "\" is not valid: use 1 to "
              + MAX_LENGTH
              + " letters, digits, '_', '.' or '-'");
    }
    if (name.matches("[0-9]+")) {
      return Optional.of(
          "name \"" + name + "\" is not valid: a name of digits only reads as a domid");
    }
    if (name.equals("Domain-0")) {
      return Optional.of("name \"Domain-0\" is Dom0's");
    }
    return Optional.empty();
  }
}
