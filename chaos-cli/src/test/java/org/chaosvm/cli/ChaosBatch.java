package org.chaosvm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/**
 * Runs chaos commands in one JVM, one per line of standard input (its words separated by tabs),
 * printing each one's output and then "=== exit N": a test's commands as another user at the cost
 * of one JVM's start (some 25 s in the rig's Dom0) rather than one each.
 */
public final class ChaosBatch {
  static final String END = "=== exit ";

  private ChaosBatch() {}

  public static void main(String[] args) throws IOException {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = Chaos.run(new PrintWriter(out), new PrintWriter(err), line.split("\t"));
      System.out.print(out);
      System.out.print(err);
      System.out.println(END + code);
      System.out.flush();
    }
  }
}
