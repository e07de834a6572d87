package org.chaosvm.protocol;

/** A guest named on the command line or in a request: by name, or by domid when all digits. */
public record GuestRef(String text) {
  public GuestRef {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a guest is named by its name or its domid");
    }
  }

  public String text() {
    return text;
  }

  public boolean isDomid() {
    return text.matches("[0-9]{1,5}");
  }

  public int domid() {
    return Integer.parseInt(text);
  }

  @Override
  public String toString() {
    return text;
  }
}
