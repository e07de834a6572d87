package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.chaosvm.daemon.checkpoint.CheckpointImage;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.engine.GuestRegistry.State;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.DomainStream;
import org.chaosvm.libxc.FdPipe;
import org.chaosvm.libxc.PipeWatch;
import org.chaosvm.libxc.UserFile;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.ImageFrames;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints of running guests (docs/checkpoints.md): a save suspends the guest through its
 * mechanism's control and sends chaos's head and libxenguest's stream to the client or into the
 * file it names, opened with the client's rights; a restore fills a shell from such an image
 * ({@link org.chaosvm.libxc.PvRestore}).
 */
final class Checkpoints {
  private static final Logger log = LoggerFactory.getLogger(Checkpoints.class);

  /** How long a guest has to suspend once asked (a Linux guest's freeze takes a while). */
  static final Duration SUSPEND_WAIT = Duration.ofSeconds(30);

  /**
   * How long a migration's held guest waits for the client's {@link Request.Decision}: the other
   * side's restore ends soon after the stream does, so a longer wait means a client gone astray.
   */
  static final Duration DECISION_WAIT = Duration.ofSeconds(60);

  /**
   * How long a migration's image may stand still in its transport's pipe before the migration is
   * given up ({@link PipeWatch}): libxenguest writes up to 4 MiB at once, and its thread's counts
   * move only once such a write is done: 5 minutes are more than one takes at 14 KB/s.
   */
  static final Duration TRANSPORT_STALL = Duration.ofMinutes(5);

  /** The name a migration's incoming guest has until it is committed: xl's. */
  static final String INCOMING = "--incoming";

  /** Closes the connections of migrations whose decision does not come in time. */
  private static final ScheduledExecutorService DEADLINES =
      DaemonThreads.scheduler("migration-deadline");

  private final XenHandles handles;
  private final GuestRegistry registry;
  private final Lifecycle lifecycle;
  private final DomainFactory factory;
  private final GuestOwners owners;

  /**
   * How long a migration's incoming image may stand still in the pipe its relay named: a
   * connection's idle limit (the restore's reads move its thread's counts as bytes come).
   */
  private final Duration incomingStall;

  Checkpoints(
      XenHandles handles,
      GuestRegistry registry,
      Lifecycle lifecycle,
      DomainFactory factory,
      GuestOwners owners,
      Duration incomingStall) {
    this.handles = handles;
    this.registry = registry;
    this.lifecycle = lifecycle;
    this.factory = factory;
    this.owners = owners;
    this.incomingStall = incomingStall;
  }

  /**
   * Saves a running guest: a {@link Reply.Image} to {@code toClient}, then the image, into {@code
   * file} if the daemon has it open ({@link ImageFiles}), else in frames to {@code toClient}.
   * Without {@code keep} the guest is destroyed once its image is written; with it, it goes on. If
   * anything fails (the guest does not suspend, the client goes away, the file's disk is full), the
   * guest goes on as it was. With {@code hold} (a migration's source) it waits, suspended, for the
   * client's decision read from {@code fromClient} ({@link #handOver}). {@code phases} has what
   * came before (the guest found, the file opened) and gets the save's own.
   */
  Reply.Done save(
      Guest guest,
      boolean keep,
      boolean live,
      boolean hold,
      InputStream fromClient,
      OutputStream toClient,
      Optional<UserFile> file,
      Phases phases) {
    DomId domid = guest.domid();
    if (guest.configText().isEmpty()) {
      throw new ChaosException(
          ErrorCode.WRONG_STATE,
          "cannot save "
              + guest.name()
              + ": its config was not kept (an adopted guest whose config was too long)");
    }
    if (registry.claim(domid, Lifecycle.LIVE, State.SUSPENDING).isEmpty()) {
      registry.require(guest, Lifecycle.LIVE, "save"); // it changed state meanwhile: say which
    }
    boolean sent = false;
    OutputStream image = file.map(UserFile::output).orElseGet(() -> ImageFrames.writer(toClient));
    // A migration's transport's pipe: libxenguest would wait for it as long as it takes nothing.
    Optional<PipeWatch> watch =
        file.filter(UserFile::isFifo).map(f -> PipeWatch.watch(f.fd(), true, TRANSPORT_STALL));
    try {
      Codec.write(toClient, new Reply.Image(domid.value(), guest.name(), file.isPresent()));
      CheckpointImage.writeHead(
          image,
          new CheckpointImage.Guest(
              guest.name(),
              guest.uuid().toString(),
              guest.mechanism(),
              guest.name(),
              guest.configText()));
      phases.end("head");
      if (file.isPresent()) {
        streamInto(guest, live, file.get().fd(), watch, phases);
      } else {
        stream(guest, live, image, phases);
      }
      image.close();
      if (stalled(watch)) {
        throw new IOException(tookNothing());
      }
      phases.end("stream");
      sent = true;
    } catch (IOException e) {
      String what =
          file.map(f -> "cannot write " + guest.name() + "'s image into " + f.opened())
              .orElse("cannot send " + guest.name() + "'s image (the client went away?)");
      throw new ChaosException(
          ErrorCode.INTERNAL, what + ": " + e.getMessage() + "; it goes on", e);
    } finally {
      watch.ifPresent(PipeWatch::close);
      if (!sent) {
        goOn(guest, State.SUSPENDING);
        endQuietly(image); // the frames end, then the error reply follows
      }
    }
    if (hold) {
      log.info(
          "sent {} (domain {}), ms {}; it waits for the migration's end",
          guest.name(),
          domid,
          phases.millis());
      return handOver(guest, fromClient, toClient);
    }
    if (keep) {
      DomainStream.resume(handles.xc(), domid);
      lifecycle.transition(domid, State.SUSPENDING, State.RUNNING);
      phases.end("resume");
      log.info("saved {} (domain {}), ms {}; it goes on", guest.name(), domid, phases.millis());
      return new Reply.Done("saved " + guest.name() + "; it goes on");
    }
    lifecycle.end(guest, true, EnumSet.of(State.SUSPENDING), phases);
    log.info("saved {} (domain {}), ms {}", guest.name(), domid, phases.millis());
    return new Reply.Done("saved " + guest.name() + " (domain " + domid + " destroyed)");
  }

  /**
   * A migration's source, once its image is sent: the guest waits, suspended, for the client's
   * decision. Commit destroys it (its copy runs elsewhere now); abort, or no decision, lets it go
   * on here.
   */
  private Reply.Done handOver(Guest guest, InputStream fromClient, OutputStream toClient) {
    DomId domid = guest.domid();
    registry.transition(domid, State.SUSPENDING, State.MIGRATING);
    Optional<Request.Decision> decision =
        awaitDecision(
            fromClient,
            toClient,
            new Reply.Done("sent " + guest.name() + "; it waits, suspended, for commit or abort"));
    if (decision.filter(Request.Decision::commit).isPresent()) {
      lifecycle.end(guest, true, EnumSet.of(State.MIGRATING));
      log.info("migrated {} (domain {}) away", guest.name(), domid);
      return new Reply.Done("migrated " + guest.name() + " away (domain " + domid + " destroyed)");
    }
    goOn(guest, State.MIGRATING);
    log.info(
        "the migration of {} (domain {}) ended without commit: it goes on", guest.name(), domid);
    return new Reply.Done("the migration of " + guest.name() + " was aborted; it goes on here");
  }

  /**
   * A migration's destination, once {@code incoming} is restored (paused, held, under its temporary
   * name): commit gives it {@code name} (and the handle {@code own}, if given: one the guest sent
   * from this host held until then) and lets it run unless {@code paused}; abort, or no decision,
   * destroys it.
   */
  Reply receive(
      Guest incoming,
      String name,
      Optional<UUID> own,
      boolean paused,
      Reply.Created restored,
      InputStream fromClient,
      OutputStream toClient) {
    DomId domid = incoming.domid();
    Optional<Request.Decision> decision = awaitDecision(fromClient, toClient, restored);
    if (decision.filter(Request.Decision::commit).isEmpty()) {
      lifecycle.end(incoming, true, EnumSet.of(State.MIGRATING));
      log.info("the migration of {} ended without commit: domain {} destroyed", name, domid);
      return new Reply.Done(
          "the migration of "
              + name
              + " was aborted; its copy here (domain "
              + domid
              + ") is gone");
    }
    Mechanism mechanism = factory.mechanism(incoming.mechanism());
    String taken = name;
    ChaosException clash = null;
    try {
      registry.rename(domid, name);
    } catch (ChaosException e) {
      clash = e; // the source's copy is gone by now: this one is kept, paused, under its own name
      taken = incoming.name();
    }
    UUID uuid = incoming.uuid();
    if (own.isPresent()) {
      if (registry.rehandle(domid, own.get())) {
        uuid = own.get();
        owners.rehandle(domid, uuid);
      } else {
        log.warn("{} keeps the handle {}: another guest took {} meanwhile", taken, uuid, own.get());
      }
    }
    if (!uuid.equals(incoming.uuid())) {
      // Before the mechanism's record: a daemon killed between destroys it, still held.
      handles.xc().setHandle(domid, uuid);
    }
    mechanism.confirm(incoming, taken, uuid);
    lifecycle.transition(domid, State.MIGRATING, State.RUNNING);
    if (clash != null) {
      throw new ChaosException(
          clash.code(),
          "cannot name the migrated guest "
              + name
              + " ("
              + clash.getMessage()
              + "): it is kept here, paused, as "
              + taken,
          clash);
    }
    if (!paused && !decision.get().paused()) {
      handles.xc().unpause(domid);
    }
    log.info("migrated {} in as domain {}", name, domid);
    return new Reply.Created(domid.value(), name, restored.fromPool(), restored.phasesMs());
  }

  /**
   * Sends {@code interim} and reads the client's {@link Request.Decision}: empty if the connection
   * ends, sends something else, or sends nothing within {@link #DECISION_WAIT} (then it is closed).
   */
  private static Optional<Request.Decision> awaitDecision(
      InputStream in, OutputStream out, Reply interim) {
    try {
      Codec.write(out, interim);
    } catch (IOException e) {
      log.info("a migration's client went away: {}", e.getMessage());
      return Optional.empty();
    }
    // A read that outlives the wait is ended by closing the connection under it.
    AtomicBoolean expired = new AtomicBoolean();
    ScheduledFuture<?> deadline =
        DEADLINES.schedule(
            () -> {
              expired.set(true);
              closeQuietly(in);
            },
            DECISION_WAIT.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      Optional<byte[]> line = Codec.readLine(in);
      if (line.isEmpty()) {
        log.info("a migration's client closed the connection without commit or abort");
        return Optional.empty();
      }
      Request request = Codec.decodeRequest(line.get());
      if (request instanceof Request.Decision decision) {
        return Optional.of(decision);
      }
      log.warn("a migration's client sent {} instead of commit or abort", request);
    } catch (IOException | Codec.MalformedMessage e) {
      if (expired.get()) {
        log.warn("a migration's client sent no decision within {} s", DECISION_WAIT.toSeconds());
      } else {
        log.warn("a migration's client sent no decision: {}", e.getMessage());
      }
    } finally {
      deadline.cancel(false);
    }
    return Optional.empty();
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      log.debug("cannot close a connection: {}", e.getMessage());
    }
  }

  /** libxenguest's stream of the guest, through a pipe, into {@code image}. */
  private void stream(Guest guest, boolean live, OutputStream image, Phases phases)
      throws IOException {
    try (FdPipe pipe = FdPipe.open()) {
      CompletableFuture<Void> copier = pump(pipe.readStream(), image, true);
      try {
        streamInto(guest, live, pipe.writeFd(), Optional.empty(), phases);
      } finally {
        pipe.closeWrite();
      }
      try {
        copier.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        throw e;
      }
    }
  }

  /**
   * libxenguest's stream of the guest, written to {@code fd}; if {@code watch} finds its pipe
   * stalled before the suspend, the guest is not suspended.
   */
  private void streamInto(
      Guest guest, boolean live, int fd, Optional<PipeWatch> watch, Phases phases) {
    try {
      DomainStream.save(
          handles.xc(),
          guest.domid(),
          fd,
          live,
          () -> {
            phases.end("stream before the suspend");
            if (stalled(watch)) {
              throw new ChaosException(
                  ErrorCode.INTERNAL,
                  "cannot send " + guest.name() + ": " + tookNothing() + "; it goes on");
            }
            try {
              return suspend(guest);
            } finally {
              phases.end("suspend");
            }
          });
    } catch (XenException e) {
      throw new ChaosException(
          ErrorCode.XEN, "cannot save " + guest.name() + ": " + e.getMessage() + "; it goes on", e);
    }
  }

  /** Whether {@code watch} found its migration's pipe stalled. */
  private static boolean stalled(Optional<PipeWatch> watch) {
    return watch.filter(PipeWatch::stalled).isPresent();
  }

  /** Why a save into a migration's transport was given up ({@link #TRANSPORT_STALL}). */
  private static String tookNothing() {
    return "its transport took nothing for " + TRANSPORT_STALL.toSeconds() + " s";
  }

  /** Why a restore from a migration's relay was given up ({@link #incomingStall}). */
  private String sentNothing() {
    return "its transport sent nothing for " + incomingStall.toSeconds() + " s";
  }

  /** Asks the guest to suspend and waits until it has (the save's callback). */
  private boolean suspend(Guest guest) {
    DomId domid = guest.domid();
    GuestControl control = factory.mechanism(guest.mechanism()).control();
    control.ask(domid, GuestControl.Request.SUSPEND);
    // The save goes on only once this sees the guest suspended: short pauses, so that it is seen
    // within a few ms of it; 8 ms at most, some 4000 checks (a hypercall each) in the whole wait.
    boolean suspended =
        Polling.until(
            SUSPEND_WAIT,
            1,
            8,
            () -> handles.xc().domainInfo(domid).map(DomainInfo::suspended).orElse(true));
    if (!suspended) {
      control.withdraw(domid, GuestControl.Request.SUSPEND);
      throw new ChaosException(
          ErrorCode.WRONG_STATE,
          guest.name()
              + " did not suspend within "
              + SUSPEND_WAIT.toSeconds()
              + " s (its kernel ignores the request, or takes longer); it keeps running and"
              + " nothing was saved");
    }
    return handles.xc().domainInfo(domid).isPresent();
  }

  /**
   * Copies {@code in} to {@code out} on a thread of its own (blocking I/O, never a pool's), in 1
   * MiB steps: few system calls, which cost much under emulation. Then it closes the pipe's end,
   * {@code in} if {@code closeIn}, else {@code out}; the connection's side stays open.
   */
  private static CompletableFuture<Void> pump(InputStream in, OutputStream out, boolean closeIn) {
    return CompletableFuture.runAsync(
        () -> {
          try (AutoCloseable end = closeIn ? in : out) {
            byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) > 0) {
              out.write(buffer, 0, n);
            }
          } catch (Exception e) {
            throw new CompletionException(e);
          }
        },
        task -> ownThread(task, "checkpoint-pipe"));
  }

  /** Runs {@code task} on a daemon thread of its own (one that may block on I/O for long). */
  private static void ownThread(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }

  private static void endQuietly(OutputStream image) {
    try {
      image.close();
    } catch (IOException e) {
      log.debug("cannot end an image's frames: {}", e.getMessage());
    }
  }

  /** Whether the domain is there and shut down for suspend. */
  private boolean suspended(DomId domid) {
    return handles.xc().domainInfo(domid).map(DomainInfo::suspended).orElse(false);
  }

  /**
   * After a failed save or an aborted migration: the guest, if suspended, resumes where it was, and
   * is running again (from {@code from}).
   */
  private void goOn(Guest guest, State from) {
    DomId domid = guest.domid();
    try {
      if (suspended(domid)) {
        DomainStream.resume(handles.xc(), domid);
      }
    } catch (XenException e) {
      log.warn("cannot resume {} after its failed save: {}", guest.name(), e.getMessage());
    } finally {
      lifecycle.transition(domid, from, State.RUNNING);
    }
  }

  /** The head of an image the client sends, with its errors in the client's words. */
  CheckpointImage.Guest readHead(InputStream image, Optional<PipeWatch> watch) {
    try {
      return CheckpointImage.readHead(image, "the image");
    } catch (IOException | ChaosException e) {
      if (stalled(watch)) {
        throw new ChaosException(
            ErrorCode.BAD_REQUEST, "cannot read the image: " + sentNothing(), e);
      }
      if (e instanceof ChaosException chaos) {
        throw chaos;
      }
      throw new ChaosException(
          ErrorCode.BAD_REQUEST, "cannot read the image: " + e.getMessage(), e);
    }
  }

  /**
   * Fills {@code shell} with the rest of {@code image} (libxenguest's stream), as {@link
   * DomainFactory#restore}; a failure of the image's own (it ends early, it is not a stream) is
   * said as such.
   */
  void restoreInto(
      Shell shell,
      GuestConfig guest,
      UUID uuid,
      String configText,
      boolean paused,
      boolean held,
      InputStream image,
      Phases phases) {
    try (FdPipe pipe = FdPipe.open()) {
      CompletableFuture<Void> feeder = pump(image, pipe.writeStream(), false);
      try {
        factory.restore(
            shell, guest, uuid, configText, paused, held, pipe.readFd(), () -> {}, phases);
      } catch (RuntimeException e) {
        pipe.closeRead(); // a feeder blocked on a full pipe fails, and ends
        Optional<Throwable> fed = failure(feeder);
        if (fed.isPresent()) {
          ChaosException bad = incomplete(guest, fed.get().getMessage(), fed.get());
          bad.addSuppressed(e);
          throw bad;
        }
        throw e;
      }
      pipe.closeRead(); // what follows the stream's end, if anything, is not read
      failure(feeder);
    }
  }

  /**
   * Fills {@code shell} with the rest of {@code image} (libxenguest's stream, which the restore
   * reads from the file directly), as {@link DomainFactory#restore}; a file that ends before the
   * stream does, or a migration's pipe that {@code watch} found stalled, is said to be incomplete.
   */
  void restoreFrom(
      Shell shell,
      GuestConfig guest,
      UUID uuid,
      String configText,
      boolean paused,
      boolean held,
      UserFile image,
      Optional<PipeWatch> watch,
      Phases phases) {
    try {
      // The decision follows on a migration's pipe, unwatched: the watch ends with the stream.
      Runnable unwatch = () -> watch.ifPresent(PipeWatch::close);
      factory.restore(shell, guest, uuid, configText, paused, held, image.fd(), unwatch, phases);
    } catch (RuntimeException e) {
      if (stalled(watch)) {
        throw incomplete(guest, sentNothing(), e);
      }
      OptionalLong size = endReached(image);
      if (size.isPresent()) {
        // Read to its end: cut short, or damaged where it ends; what the restore said tells which.
        throw incomplete(
            guest,
            image.opened() + " ends after " + size.getAsLong() + " bytes (" + e.getMessage() + ")",
            e);
      }
      throw e;
    } finally {
      watch.ifPresent(PipeWatch::close); // when the stream failed
    }
  }

  /**
   * Watches the calling thread read {@code image}, if it is a migration's pipe ({@link
   * #incomingStall}).
   */
  Optional<PipeWatch> watchIncoming(Optional<UserFile> image) {
    return image.filter(UserFile::isFifo).map(f -> PipeWatch.watch(f.fd(), false, incomingStall));
  }

  /** A restore's failure because its image ends before libxenguest's stream does. */
  private static ChaosException incomplete(GuestConfig guest, String detail, Throwable cause) {
    return new ChaosException(
        ErrorCode.BAD_REQUEST,
        "cannot restore " + guest.name() + ": the image is incomplete: " + detail,
        cause);
  }

  /** The file's size, if its reads have reached its end. */
  private static OptionalLong endReached(UserFile image) {
    try {
      long size = Files.size(image.path());
      return image.position() >= size ? OptionalLong.of(size) : OptionalLong.empty();
    } catch (IOException | XenException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * The feeder's failure, if it failed or fails within a second (it may be waiting for a client
   * that sends nothing more: the connection's end, after the reply, ends it).
   */
  private static Optional<Throwable> failure(CompletableFuture<Void> feeder) {
    try {
      feeder.get(1, TimeUnit.SECONDS);
      return Optional.empty();
    } catch (ExecutionException e) {
      return Optional.of(e.getCause() == null ? e : e.getCause());
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
