package org.chaosvm.packaging;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * A manual page in troff's man macros, written from a picocli command's model: the help a command
 * prints and its manual page say the same, from one source. Sections beyond the model's (FILES, SEE
 * ALSO, a file format) are given as {@link Section}s of plain paragraphs.
 */
final class ManPage {
  /** A section of plain text: each entry a paragraph, or a {@code term: text} item. */
  record Section(String title, List<String> paragraphs) {}

  /** What the page's heading and NAME say: NAME(SECTION), its one-line summary, the release. */
  record Title(String name, int section, String summary, String version, String date) {}

  private final StringBuilder out = new StringBuilder();

  private ManPage() {}

  /**
   * The page of {@code line}'s command, its subcommands in a COMMANDS section, then {@code extra}.
   */
  static String of(CommandLine line, Title title, List<Section> extra) {
    ManPage page = new ManPage();
    CommandSpec spec = line.getCommandSpec();
    page.header(title);
    page.heading("SYNOPSIS");
    page.synopsis(line);
    page.heading("DESCRIPTION");
    for (String paragraph : spec.usageMessage().description()) {
      page.paragraph(paragraph);
    }
    page.parameters(spec);
    page.options(spec);
    if (!line.getSubcommands().isEmpty()) {
      page.heading("COMMANDS");
      line.getSubcommands()
          .forEach(
              (name, sub) -> {
                if (name.equals("generate-completion")) {
                  return; // picocli's, hidden from the help too
                }
                page.raw(".SS " + quote(spec.name() + " " + name));
                page.synopsis(sub);
                for (String paragraph : sub.getCommandSpec().usageMessage().description()) {
                  page.paragraph(paragraph);
                }
                page.items(sub.getCommandSpec());
              });
    }
    Map<String, String> exits = spec.usageMessage().exitCodeList();
    if (!exits.isEmpty()) {
      page.heading("EXIT STATUS");
      exits.forEach((code, meaning) -> page.item(code.strip(), meaning));
    }
    extra.forEach(page::section);
    return page.out.toString();
  }

  /**
   * A page with no command behind it (a file format): {@code body} (after NAME), troff already
   * ({@link MarkdownPage}) or empty, then {@code extra}.
   */
  static String of(Title title, String body, List<Section> extra) {
    ManPage page = new ManPage();
    page.header(title);
    page.out.append(body);
    extra.forEach(page::section);
    return page.out.toString();
  }

  private void header(Title title) {
    raw(
        ".TH "
            + quote(title.name().toUpperCase(Locale.ROOT))
            + " "
            + title.section()
            + " "
            + quote(title.date())
            + " "
            + quote(title.version())
            + " "
            + quote("chaos manual"));
    heading("NAME");
    raw(escape(title.name()) + " \\- " + escape(title.summary()));
  }

  private void section(Section section) {
    heading(section.title());
    for (String paragraph : section.paragraphs()) {
      int colon = paragraph.indexOf(": ");
      if (paragraph.startsWith("$ ")) {
        raw(".PP");
        raw(".nf");
        raw(".RS 4");
        for (String code : paragraph.substring(2).split("\n")) {
          raw(escape(code));
        }
        raw(".RE");
        raw(".fi");
      } else if (paragraph.startsWith("* ") && colon > 0) {
        item(paragraph.substring(2, colon), paragraph.substring(colon + 2));
      } else {
        paragraph(paragraph);
      }
    }
  }

  private void heading(String title) {
    raw(".SH " + quote(title));
  }

  private void synopsis(CommandLine line) {
    String synopsis = line.getHelp().synopsis(0).replaceFirst("^Usage: ", "").stripTrailing();
    raw(".PP");
    raw(".nf");
    for (String text : synopsis.split("\n")) {
      raw("\\fB" + escape(text.strip()) + "\\fR");
    }
    raw(".fi");
  }

  private void parameters(CommandSpec spec) {
    List<PositionalParamSpec> shown = new ArrayList<>();
    for (PositionalParamSpec parameter : spec.positionalParameters()) {
      if (!parameter.hidden()) {
        shown.add(parameter);
      }
    }
    if (shown.isEmpty()) {
      return;
    }
    heading("ARGUMENTS");
    for (PositionalParamSpec parameter : shown) {
      item(parameter.paramLabel(), String.join(" ", parameter.description()));
    }
  }

  private void options(CommandSpec spec) {
    if (spec.options().stream().anyMatch(o -> !o.hidden())) {
      heading("OPTIONS");
      items(spec);
    }
  }

  /** A command's parameters and options as tagged paragraphs. */
  private void items(CommandSpec spec) {
    for (PositionalParamSpec parameter : spec.positionalParameters()) {
      if (!parameter.hidden() && spec.parent() != null) {
        item(parameter.paramLabel(), String.join(" ", parameter.description()));
      }
    }
    for (OptionSpec option : spec.options()) {
      if (option.hidden()) {
        continue;
      }
      String names = String.join(", ", option.names());
      String label = option.arity().max() == 0 ? "" : "=" + option.paramLabel();
      item(names + label, description(option));
    }
  }

  /** An option's description as the help shows it, its default value filled in. */
  static String description(OptionSpec option) {
    return String.join(" ", option.description())
        .replace("${DEFAULT-VALUE}", String.valueOf(option.defaultValueString()));
  }

  private void item(String term, String text) {
    raw(".TP");
    raw("\\fB" + escape(term) + "\\fR");
    raw(escape(expand(text)));
  }

  private void paragraph(String text) {
    if (text.isBlank()) {
      return;
    }
    raw(".PP");
    raw(escape(expand(text)));
  }

  private void raw(String line) {
    out.append(line).append('\n');
  }

  /** picocli's variables as the help would show them, without the model's values. */
  private static String expand(String text) {
    return text.replace("%n", " ");
  }

  /** Text for a troff line: backslashes, minus signs, and a leading dot or quote made literal. */
  static String escape(String text) {
    String escaped = text.replace("\\", "\\e").replace("-", "\\-");
    if (escaped.startsWith(".") || escaped.startsWith("'")) {
      escaped = "\\&" + escaped;
    }
    return escaped;
  }

  private static String quote(String text) {
    return "\"" + escape(text).replace("\"", "\\(dq") + "\"";
  }
}
