package org.chaosvm.libxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Watches the calling thread read or write a pipe that another process feeds or drains (a
 * migration's transport), through C code that waits as long as the pipe does (libxenguest has no
 * time limit): when the thread's reads and writes ({@code rchar} and {@code wchar} of {@code
 * /proc/self/task/TID/io}) stay still for the idle limit, the pipe has stalled, and the watch
 * unblocks the thread: it drains the pipe the thread writes (its writes then go on, and the caller,
 * told {@link #stalled}, throws away what they made), or feeds the pipe the thread reads with bytes
 * that no stream has (0xff: its reads go on and fail). It stops at {@link #close}.
 */
public final class PipeWatch implements AutoCloseable {
  private static final long SYS_GETTID = 186; // x86-64
  private static final long LOOK_MS = 1000;
  private static final long UNBLOCK_MS = 20;

  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "pipe-watch");
            thread.setDaemon(true);
            return thread;
          });

  private final int fd;
  private final boolean threadWrites;
  private final long idleMillis;
  private final Path counters;
  private final Pointer buffer = Memory.allocateDirect(LibC.runtime(), FdStreams.CHUNK);
  private final ScheduledFuture<?> looks;
  private long lastCount = -1;
  private long stillSince = System.nanoTime();
  private volatile boolean stalled;
  private int otherEnd = -1;
  private boolean closed;

  private PipeWatch(int fd, boolean threadWrites, Duration idle) {
    this.fd = fd;
    this.threadWrites = threadWrites;
    this.idleMillis = idle.toMillis();
    long tid = LibC.lib().syscall(SYS_GETTID, 0);
    this.counters = Path.of("/proc/self/task/" + tid + "/io");
    this.looks = TIMER.scheduleWithFixedDelay(this::look, LOOK_MS, LOOK_MS, TimeUnit.MILLISECONDS);
  }

  /**
   * Watches the calling thread's I/O from now on: it writes {@code fd} ({@code threadWrites}) or
   * reads it, and stalls if it moves nothing for {@code idle}.
   */
  public static PipeWatch watch(int fd, boolean threadWrites, Duration idle) {
    return new PipeWatch(fd, threadWrites, idle);
  }

  /**
   * Whether the pipe stalled: the watch then unblocked the thread, and what it did is worthless.
   */
  public boolean stalled() {
    return stalled;
  }

  private synchronized void look() {
    if (closed || stalled) {
      return; // once stalled, unblock() goes on by itself
    }
    long count = count();
    long now = System.nanoTime();
    if (count < 0 || count != lastCount) { // unknown counts are not taken for a stall
      lastCount = count;
      stillSince = now;
      return;
    }
    if ((now - stillSince) / 1_000_000 >= idleMillis) {
      stalled = true;
      // The pipe again, the other way round: /proc/self/fd/N opens the pipe itself.
      int mode = threadWrites ? LinuxAbi.O_RDONLY : LinuxAbi.O_WRONLY;
      otherEnd =
          LibC.lib().open("/proc/self/fd/" + fd, mode | LinuxAbi.O_NONBLOCK | LinuxAbi.O_CLOEXEC);
      if (!threadWrites) {
        buffer.setMemory(0, FdStreams.CHUNK, (byte) 0xff);
      }
      unblock();
    }
  }

  /**
   * Drains what the thread writes, or feeds what it reads, while the pipe takes it; again every
   * {@link #UNBLOCK_MS} until closed.
   */
  private synchronized void unblock() {
    if (closed || otherEnd < 0) {
      return;
    }
    if (threadWrites) {
      while (LibC.lib().read(otherEnd, buffer, FdStreams.CHUNK) > 0) {
        // thrown away
      }
    } else {
      LibC.lib().write(otherEnd, buffer, FdStreams.CHUNK);
    }
    TIMER.schedule(this::unblock, UNBLOCK_MS, TimeUnit.MILLISECONDS);
  }

  /** The thread's bytes read and written so far; -1 if they cannot be read. */
  private long count() {
    try {
      long sum = 0;
      for (String line : Files.readAllLines(counters)) {
        if (line.startsWith("rchar:") || line.startsWith("wchar:")) {
          sum += Long.parseLong(line.substring(6).strip());
        }
      }
      return sum;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /** Stops watching, and unblocking. */
  @Override
  public synchronized void close() {
    closed = true;
    looks.cancel(false);
    LibC.closeQuietly(otherEnd);
    otherEnd = -1;
  }
}
