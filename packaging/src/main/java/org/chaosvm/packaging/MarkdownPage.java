package org.chaosvm.packaging;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A manual page written from one of chaos's Markdown documents (docs/config.md becomes
 * chaos.cfg(5)), so that the page and the document cannot disagree. The subset the documents use:
 * headings, paragraphs, bullet lists, fenced code, tables (each row a tagged paragraph: the first
 * column the tag, the others its text, a last column headed "default" said as such) and inline
 * code.
 */
final class MarkdownPage {
  private final StringBuilder out = new StringBuilder();

  private MarkdownPage() {}

  /** The troff body (after NAME) of {@code markdown}, its first-level heading left out. */
  static String body(String markdown) {
    MarkdownPage page = new MarkdownPage();
    page.raw(".SH DESCRIPTION"); // what comes before the document's first section
    page.render(markdown.split("\n", -1));
    return page.out.toString();
  }

  private void render(String[] lines) {
    List<String> paragraph = new ArrayList<>();
    List<String> header = null;
    boolean code = false;
    for (String line : lines) {
      if (line.startsWith("```")) {
        flush(paragraph);
        code = !code;
        raw(code ? ".PP\n.nf\n.RS 4" : ".RE\n.fi");
        continue;
      }
      if (code) {
        raw(ManPage.escape(line));
        continue;
      }
      String text = line.strip();
      if (text.startsWith("|")) {
        flush(paragraph);
        List<String> cells = cells(text);
        if (header == null) {
          header = cells;
        } else if (!cells.stream().allMatch(c -> c.matches("-+"))) {
          row(header, cells);
        }
        continue;
      }
      header = null;
      if (text.isEmpty()) {
        flush(paragraph);
      } else if (text.startsWith("# ")) {
        flush(paragraph); // the title: the page's NAME says it
      } else if (text.startsWith("## ")) {
        flush(paragraph);
        raw(".SH " + quote(text.substring(3).toUpperCase(Locale.ROOT)));
      } else if (text.startsWith("### ")) {
        flush(paragraph);
        raw(".SS \"" + inline(text.substring(4)).replace("\"", "\\(dq") + "\"");
      } else if (text.startsWith("- ")) {
        flush(paragraph);
        paragraph.add("\u0000" + text.substring(2)); // a bullet item, continued by the next lines
      } else {
        paragraph.add(text);
      }
    }
    flush(paragraph);
  }

  private void row(List<String> header, List<String> cells) {
    StringBuilder text = new StringBuilder();
    for (int i = 1; i < cells.size(); i++) {
      String cell = cells.get(i);
      if (cell.isEmpty()) {
        continue;
      }
      boolean isDefault = i < header.size() && header.get(i).equalsIgnoreCase("default");
      if (text.length() > 0) {
        if (isDefault && text.charAt(text.length() - 1) != '.') {
          text.append('.');
        }
        text.append(isDefault ? " Default: " : " ");
      } else if (isDefault) {
        text.append("Default: ");
      }
      text.append(cell);
      if (isDefault && !cell.endsWith(".")) {
        text.append('.');
      }
    }
    raw(".TP");
    raw(inline(cells.get(0)));
    raw(inline(text.toString()));
  }

  /** A table row's cells: split at each {@code |} not escaped as {@code \|}. */
  private static List<String> cells(String row) {
    List<String> cells = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    String inner = row.substring(1, row.endsWith("|") ? row.length() - 1 : row.length());
    for (int i = 0; i < inner.length(); i++) {
      char c = inner.charAt(i);
      if (c == '\\' && i + 1 < inner.length() && inner.charAt(i + 1) == '|') {
        cell.append('|');
        i++;
      } else if (c == '|') {
        cells.add(cell.toString().strip());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    cells.add(cell.toString().strip());
    return cells;
  }

  private void flush(List<String> paragraph) {
    if (paragraph.isEmpty()) {
      return;
    }
    String text = String.join(" ", paragraph);
    if (text.startsWith("\u0000")) {
      raw(".IP \\(bu 2");
      text = text.substring(1);
    } else {
      raw(".PP");
    }
    raw(inline(text));
    paragraph.clear();
  }

  /** Escaped text with {@code `code`} in bold. */
  private static String inline(String text) {
    StringBuilder line = new StringBuilder();
    String[] parts = text.split("`", -1);
    for (int i = 0; i < parts.length; i++) {
      String part = ManPage.escape(parts[i]).replaceFirst("^\\\\&", "");
      line.append(i % 2 == 1 ? "\\fB" + part + "\\fR" : part);
    }
    String result = line.toString();
    return result.startsWith(".") || result.startsWith("'") ? "\\&" + result : result;
  }

  private void raw(String line) {
    out.append(line).append('\n');
  }

  private static String quote(String text) {
    return "\"" + ManPage.escape(text).replace("\"", "\\(dq") + "\"";
  }
}
