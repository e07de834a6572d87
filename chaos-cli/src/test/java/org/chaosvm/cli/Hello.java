package org.chaosvm.cli;

/** A bare JVM hello: what the CLI start-up benchmark compares the chaos command with. */
public final class Hello {
  private Hello() {}

  public static void main(String[] args) {
    System.out.println("hello");
  }
}
