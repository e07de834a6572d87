package org.chaosvm.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * The daemon's logging, set up in code (found by Logback through its service file) rather than from
 * an XML file: Logback's XML configuration loads some 400 classes (its Joran and the JDK's XML
 * parser), which cost a daemon's start seconds under the rig's emulation. To stdout, at
 * CHAOS_LOG_LEVEL (INFO by default), written by a thread of its own ({@link BackgroundAppender}).
 * Each line starts with its time unless stdout is the journal, which keeps its own ({@link
 * #toJournal}). A JVM given {@code -Dlogback.configurationFile} (the chaos command's) is left to
 * that file.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%-5level [%thread] %logger{0}: %msg%n";

  /** A line's time, to the millisecond, in the local time zone. */
  static final String TIME = "%d{yyyy-MM-dd HH:mm:ss.SSS} ";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(pattern(System.getenv("JOURNAL_STREAM"), Path.of("/proc/self/fd/1")));
    encoder.start();
    ConsoleAppender<ILoggingEvent> stdout = new ConsoleAppender<>();
    stdout.setContext(context);
    stdout.setName("STDOUT");
    stdout.setEncoder(encoder);
    stdout.start();
    BackgroundAppender background = new BackgroundAppender(stdout);
    background.setContext(context);
    background.setName("BACKGROUND");
    background.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(System.getenv("CHAOS_LOG_LEVEL"), Level.INFO));
    root.addAppender(background);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** The pattern of a line: with its time unless {@code stdout} is the journal. */
  static String pattern(String journalStream, Path stdout) {
    return toJournal(journalStream, stdout) ? PATTERN : TIME + PATTERN;
  }

  /**
   * Whether {@code stdout} is the journal's stream: systemd names it in {@code JOURNAL_STREAM}
   * ("DEVICE:INODE", systemd.exec(5)), which a process started from a service inherits even when
   * its own output goes elsewhere, so the two are compared.
   */
  static boolean toJournal(String journalStream, Path stdout) {
    if (journalStream == null) {
      return false;
    }
    try {
      String[] parts = journalStream.split(":");
      return parts.length == 2
          && Long.parseLong(parts[0])
              == ((Number) Files.getAttribute(stdout, "unix:dev")).longValue()
          && Long.parseLong(parts[1])
              == ((Number) Files.getAttribute(stdout, "unix:ino")).longValue();
    } catch (IOException | NumberFormatException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static final Set<String> LEVELS = Set.of("error", "warn", "info", "debug", "trace");

  static boolean isLevel(String level) {
    return LEVELS.contains(level.toLowerCase(Locale.ROOT));
  }

  /** The root logger's level from now on ({@code --log-level}), over CHAOS_LOG_LEVEL's. */
  static void setLevel(String level) {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
        instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(Level.toLevel(level, Level.INFO));
    }
  }
}
