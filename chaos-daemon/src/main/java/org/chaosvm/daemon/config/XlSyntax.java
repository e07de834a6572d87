package org.chaosvm.daemon.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The syntax of xl.cfg files as xl reads them (libxlu): {@code KEY = VALUE} settings ended by a
 * newline or ';', values that are strings ("..." with C escapes, or '...'), numbers (decimal or 0x
 * hex) or lists ({@code [v, v, ...]}, which may span lines and end with a comma), {@code #}
 * comments, and {@code KEY += LIST} to extend a list. Only the syntax: what keys mean is {@link
 * XlConfigReader}'s.
 *
 * <p>Bounded for a daemon that reads configs from its socket's group: lists nest at most {@link
 * #MAX_DEPTH} deep and hold at most {@link #MAX_ITEMS} items, digits and names are ASCII (as xl's
 * lexer reads them), and {@code +=} costs the items it adds, whatever came before.
 */
final class XlSyntax {
  /** How deep lists may nest (xl's own keys use two levels at most). */
  static final int MAX_DEPTH = 16;

  /** How many items a list may hold, {@code +=} included. */
  static final int MAX_ITEMS = 4096;

  /** A value, where it starts in the file. */
  sealed interface Value permits Str, Num, Lst {
    int line();

    int column();

    String describe();
  }

  record Str(String text, int line, int column) implements Value {
    public String describe() {
      return "a string";
    }
  }

  record Num(long number, String text, int line, int column) implements Value {
    public String describe() {
      return "a number";
    }
  }

  record Lst(List<Value> items, int line, int column) implements Value {
    public String describe() {
      return "a list";
    }
  }

  /** A setting: the key where it appears, and its value. */
  record Setting(String key, int line, int column, Value value) {}

  private final Path file;
  private final String text;
  private int depth;
  private int pos;
  private int line = 1;
  private int lineStart;

  private XlSyntax(Path file, String text) {
    this.file = file;
    this.text = text;
  }

  /** The settings of {@code text}, by key, in file order. A key set twice is an error. */
  static Map<String, Setting> parse(Path file, String text) throws ConfigException {
    return new XlSyntax(file, text).settings();
  }

  private Map<String, Setting> settings() throws ConfigException {
    Map<String, Setting> settings = new LinkedHashMap<>();
    Map<String, List<Value>> extended = new HashMap<>(); // the lists += grows, in place
    while (true) {
      skipBlankAndComments(true);
      if (pos >= text.length()) {
        return settings;
      }
      int keyLine = line;
      int keyColumn = column();
      String key = identifier();
      skipBlankAndComments(false);
      boolean append = false;
      if (peek() == '+') {
        pos++;
        append = true;
      }
      expect('=', "'=' after the key '" + key + "'");
      skipBlankAndComments(false);
      Value value = value();
      endOfSetting(key);
      Setting previous = settings.get(key);
      if (append) {
        if (previous == null) {
          settings.put(key, new Setting(key, keyLine, keyColumn, value));
        } else if (previous.value() instanceof Lst old && value instanceof Lst more) {
          List<Value> items = extended.get(key);
          if (items == null) {
            items = new ArrayList<>(old.items());
            extended.put(key, items);
            settings.put(
                key,
                new Setting(key, keyLine, keyColumn, new Lst(items, old.line(), old.column())));
          }
          if (items.size() + more.items().size() > MAX_ITEMS) {
            throw error(
                keyLine, keyColumn, "'" + key + "' would hold more than " + MAX_ITEMS + " items");
          }
          items.addAll(more.items());
        } else {
          throw error(keyLine, keyColumn, "'+=' needs lists on both sides for '" + key + "'");
        }
      } else if (previous != null) {
        throw error(
            keyLine,
            keyColumn,
            "'" + key + "' is set twice (first on line " + previous.line() + ")");
      } else {
        settings.put(key, new Setting(key, keyLine, keyColumn, value));
      }
    }
  }

  private String identifier() throws ConfigException {
    int start = pos;
    if (pos < text.length() && isIdentifierStart(text.charAt(pos))) {
      pos++;
      while (pos < text.length() && isIdentifierPart(text.charAt(pos))) {
        pos++;
      }
      return text.substring(start, pos);
    }
    throw error(line, column(), "expected a key (a name such as 'memory'), found " + found());
  }

  private Value value() throws ConfigException {
    int valueLine = line;
    int valueColumn = column();
    char c = peek();
    if (c == '"' || c == '\'') {
      return new Str(string(c), valueLine, valueColumn);
    }
    if (c == '[') {
      return list();
    }
    if (isDigit(c) || c == '-') {
      return number();
    }
    throw error(
        valueLine,
        valueColumn,
        "expected a value (a \"string\", a number or a [list]), found " + found());
  }

  private Lst list() throws ConfigException {
    int listLine = line;
    int listColumn = column();
    if (depth == MAX_DEPTH) {
      throw error(listLine, listColumn, "lists nest more than " + MAX_DEPTH + " deep here");
    }
    depth++;
    pos++; // [
    List<Value> items = new ArrayList<>();
    while (true) {
      skipBlankAndComments(true);
      if (peek() == ']') {
        pos++;
        depth--;
        return new Lst(items, listLine, listColumn);
      }
      if (items.size() == MAX_ITEMS) {
        throw error(listLine, listColumn, "this list holds more than " + MAX_ITEMS + " items");
      }
      if (pos >= text.length()) {
        throw error(listLine, listColumn, "this list is not closed with ']'");
      }
      items.add(value());
      skipBlankAndComments(true);
      if (pos >= text.length()) {
        throw error(listLine, listColumn, "this list is not closed with ']'");
      }
      if (peek() == ',') {
        pos++;
      } else if (peek() != ']') {
        throw error(line, column(), "expected ',' or ']' in the list, found " + found());
      }
    }
  }

  private Num number() throws ConfigException {
    int numberLine = line;
    int numberColumn = column();
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    while (pos < text.length() && (isIdentifierPart(text.charAt(pos)) || text.charAt(pos) == '.')) {
      pos++;
    }
    String literal = text.substring(start, pos);
    try {
      long value =
          literal.startsWith("0x") || literal.startsWith("0X")
              ? Long.parseLong(literal.substring(2), 16)
              : Long.parseLong(literal);
      return new Num(value, literal, numberLine, numberColumn);
    } catch (NumberFormatException e) {
      throw error(
          numberLine, numberColumn, "'" + literal + "' is not a number (whole numbers only)");
    }
  }

  private String string(char quote) throws ConfigException {
    int stringLine = line;
    int stringColumn = column();
    pos++;
    StringBuilder out = new StringBuilder();
    while (true) {
      if (pos >= text.length() || text.charAt(pos) == '\n') {
        throw error(stringLine, stringColumn, "this string is not closed with " + quote);
      }
      char c = text.charAt(pos++);
      if (c == quote) {
        return out.toString();
      }
      if (c == '\\' && quote == '"') {
        out.append(escape());
      } else {
        out.append(c);
      }
    }
  }

  private char escape() throws ConfigException {
    if (pos >= text.length()) {
      throw error(line, column(), "a string ends in the middle of an escape");
    }
    char c = text.charAt(pos++);
    switch (c) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'a':
        return 7;
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return 11;
      case '\\':
      case '"':
      case '\'':
        return c;
      case 'x':
        return (char) digits(16, 2);
      default:
        if (c >= '0' && c <= '7') {
          pos--;
          return (char) digits(8, 3);
        }
        throw error(line, column() - 2, "unknown escape '\\" + c + "' in a string");
    }
  }

  private int digits(int radix, int max) throws ConfigException {
    int start = pos;
    while (pos < text.length()
        && pos - start < max
        && text.charAt(pos) < 128
        && Character.digit(text.charAt(pos), radix) >= 0) {
      pos++;
    }
    if (pos == start) {
      throw error(line, column(), "an escape needs digits");
    }
    return Integer.parseInt(text.substring(start, pos), radix);
  }

  private void endOfSetting(String key) throws ConfigException {
    while (pos < text.length()
        && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t' || text.charAt(pos) == '\r')) {
      pos++;
    }
    if (pos >= text.length()) {
      return;
    }
    char c = text.charAt(pos);
    if (c == ';') {
      pos++;
    } else if (c == '#') {
      skipBlankAndComments(false);
    } else if (c != '\n') {
      throw error(
          line,
          column(),
          "expected the end of the line after the value of '" + key + "', found " + found());
    }
  }

  private void skipBlankAndComments(boolean newlines) {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '#') {
        while (pos < text.length() && text.charAt(pos) != '\n') {
          pos++;
        }
      } else if (c == '\n' && newlines) {
        pos++;
        line++;
        lineStart = pos;
      } else if (c == ' ' || c == '\t' || c == '\r' || (c == ';' && newlines)) {
        pos++;
      } else {
        return;
      }
    }
  }

  private void expect(char c, String what) throws ConfigException {
    if (peek() != c) {
      throw error(line, column(), "expected " + what + ", found " + found());
    }
    pos++;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : 0;
  }

  private String found() {
    if (pos >= text.length()) {
      return "the end of the file";
    }
    char c = text.charAt(pos);
    return c == '\n' ? "the end of the line" : "'" + c + "'";
  }

  private int column() {
    return pos - lineStart + 1;
  }

  private ConfigException error(int atLine, int atColumn, String problem) {
    return new ConfigException(file, atLine, atColumn, problem);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isIdentifierStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  private static boolean isIdentifierPart(char c) {
    return isIdentifierStart(c) || isDigit(c);
  }
}
