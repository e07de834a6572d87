package org.chaosvm.daemon;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.chaosvm.libxc.ThreadScheduling;

/**
 * Writes the daemon's log lines on a thread of their own, at nice 10 ({@link
 * ThreadScheduling#BACKGROUND}), so that a create does not wait for its log line: a line is a write
 * to stdout, and whoever reads it (the journal) then takes Dom0's CPU. Measured in the rig: about 3
 * ms of a 20 ms pooled noxs create went to its one line (docs/benchmarks.md). Lines keep their
 * order, and none is dropped: when {@link #CAPACITY} wait, the logging thread waits for room. At
 * the JVM's exit what is left is written, then each line at once. A daemon killed with SIGKILL
 * loses the lines not written yet, which on an idle Dom0 are those of the last milliseconds.
 */
final class BackgroundAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  /**
   * The writer's nice value: a woken thread at nice 10 preempts none of the daemon's at nice 0, and
   * still gets about a tenth of a busy CPU.
   */
  static final int CAPACITY = 4096;

  /** Queued last by {@link #stop}: the writer ends there (it waits for events, never polls). */
  private static final ILoggingEvent END = new LoggingEvent();

  private final Appender<ILoggingEvent> target;
  private final BlockingQueue<ILoggingEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final Thread writer = new Thread(this::write, "log-writer");
  private volatile boolean stopping;

  BackgroundAppender(Appender<ILoggingEvent> target) {
    this.target = target;
    writer.setDaemon(true);
  }

  @Override
  public void start() {
    super.start();
    writer.start();
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "log-flush"));
  }

  @Override
  protected void append(ILoggingEvent event) {
    event.prepareForDeferredProcessing(); // the thread's name and the message, taken now
    synchronized (this) {
      if (!stopping) {
        try {
          queue.put(event); // the writer takes events without this lock
          return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // written at once instead
        }
      }
    }
    writeNow(event);
  }

  private void writeNow(ILoggingEvent event) {
    synchronized (target) {
      target.doAppend(event);
    }
  }

  private void write() {
    try {
      ThreadScheduling.background();
    } catch (LinkageError e) {
      // written at the daemon's priority: nothing else changes
    }
    try {
      for (ILoggingEvent event = queue.take(); event != END; event = queue.take()) {
        writeNow(event);
      }
    } catch (InterruptedException e) {
      // stop writes what is left
    }
  }

  /**
   * Writes what is queued (the writer given two seconds, then this thread), and from then on each
   * line at once, on its logging thread. The appender stays started: lines logged during the JVM's
   * exit are still written.
   */
  @Override
  public void stop() {
    synchronized (this) {
      if (stopping) {
        return;
      }
      stopping = true; // no event is queued from here on
    }
    try {
      if (queue.offer(END, 2, TimeUnit.SECONDS)) {
        writer.join(2000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (ILoggingEvent event; (event = queue.poll()) != null; ) {
      if (event != END) {
        writeNow(event);
      }
    }
  }
}
