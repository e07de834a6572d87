package org.chaosvm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The daemon's log lines written on a thread of their own: all of them, in order. */
class BackgroundAppenderTest {
  private final LoggerContext context = new LoggerContext();
  private final ListAppender<ILoggingEvent> target = new ListAppender<>();

  private ILoggingEvent line(int n) {
    return new LoggingEvent(
        getClass().getName(), context.getLogger("test"), Level.INFO, "line " + n, null, null);
  }

  private List<String> written() {
    synchronized (target) {
      return target.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  BackgroundAppenderTest() {
    context.setMDCAdapter(new LogbackMDCAdapter()); // a context of a test's own needs one given
  }

  @Test
  void everyLineIsWrittenInOrderByTheTimeItStopsAndThenAtOnce() {
    target.setContext(context);
    target.start();
    BackgroundAppender background = new BackgroundAppender(target);
    background.setContext(context);
    background.start();
    int lines = 3 * BackgroundAppender.CAPACITY; // more than the queue holds: the logger waits
    IntStream.range(0, lines).forEach(n -> background.doAppend(line(n)));
    background.stop();
    assertEquals(IntStream.range(0, lines).mapToObj(n -> "line " + n).toList(), written());

    background.doAppend(line(lines)); // during the JVM's exit, say
    assertEquals("line " + lines, written().get(lines));
  }
}
