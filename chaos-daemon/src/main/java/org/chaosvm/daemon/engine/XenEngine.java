package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.chaosvm.daemon.checkpoint.CheckpointImage;
import org.chaosvm.daemon.config.ConfigException;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.GuestConfigs;
import org.chaosvm.daemon.config.GuestNames;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.daemon.engine.GuestRegistry.State;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.MigrationStream;
import org.chaosvm.libxc.PhysInfo;
import org.chaosvm.libxc.PipeWatch;
import org.chaosvm.libxc.ThreadScheduling;
import org.chaosvm.libxc.UserFile;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.DeviceKind;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.ImageFrames;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * chaos on real Xen: the shell pool, the execute phase, and every guest's lifecycle. What it knows
 * of the host's domains is in its {@link GuestRegistry}: a daemon's is filled at start and kept
 * current from {@link DomainEvents}; a {@code --direct} engine's learns only what each request
 * needs. Thread-safe: requests may come from many connections at once.
 */
public final class XenEngine implements RequestHandler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XenEngine.class);

  /** How long {@code shutdown --wait} waits for the guest to go. */
  static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(Protocol.SHUTDOWN_WAIT_SECONDS);

  /** Free memory a new domain needs beyond its own, for Xen's bookkeeping (MiB). */
  private static final int HEADROOM_MIB = 4;

  /**
   * Builds (execute phases and on-demand prepares) running at once. More than Dom0 has CPUs gains
   * nothing, and each build holds tens of MB of Dom0 memory (the kernel image, the guest's mapped
   * pages): 20 at once got the daemon killed in a 2 GiB Dom0. Further creates queue.
   */
  static final int PARALLEL_BUILDS = Math.max(2, Runtime.getRuntime().availableProcessors());

  private static final Set<State> LIVE = Lifecycle.LIVE;
  private static final Set<State> DESTROYABLE = Lifecycle.DESTROYABLE;

  /**
   * The states of a guest being sent away: a migration's incoming guest takes its name and its
   * handle at the commit, once it is gone (a migration to its own host).
   */
  private static final Set<State> YIELDING = EnumSet.of(State.SUSPENDING, State.MIGRATING);

  /** Where a daemon keeps what it keeps on disk (noxs guests' records) unless told otherwise. */
  public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/chaos");

  /** Where a daemon writes its logs of its own (noxs guests' consoles) unless told otherwise. */
  public static final Path DEFAULT_LOG_DIR = Path.of("/var/log/chaos");

  /**
   * How long a migration's incoming image may stand still unless told otherwise: the connections'
   * default idle limit.
   */
  static final Duration DEFAULT_IDLE = Duration.ofSeconds(Protocol.IDLE_SECONDS);

  /**
   * How often a daemon looks at its noxs guests' domains: xenstored, which holds VIRQ_DOM_EXC,
   * tells of the domains it was introduced to only, and noxs guests are not.
   */
  private static final Duration NOXS_LOOK = Duration.ofMillis(500);

  private final boolean owner;
  private final DeviceMechanism defaultDevices;
  private final Semaphore builds = new Semaphore(PARALLEL_BUILDS, true);
  private final XenHandles handles = new XenHandles();
  private final BootWatch boots = new BootWatch();
  private final Booting booting = new Booting(this::cpuNanos);

  /** XenStore's mechanism; null on a Dom0 without xenstored. */
  private final XenStoreMechanism xenstore;

  private final NoxsMechanism noxs;
  private final DomainMarks marks;
  private final DomainFactory factory;
  private final GuestRegistry registry = new GuestRegistry();
  private final DomainDiscovery discovery;
  private final Lifecycle lifecycle;
  private final Checkpoints checkpoints;
  private final GuestOwners owners;
  private final Access access;

  private ShellPool pool;
  private DomainEvents events;
  private ScheduledExecutorService noxsLook;

  private XenEngine(
      boolean owner,
      DeviceMechanism defaultDevices,
      Path stateDir,
      Path logDir,
      boolean withXenStore,
      MemberPolicy members,
      Duration idle) {
    this.owner = owner;
    this.owners = new GuestOwners(stateDir);
    this.access = new Access(members, owners);
    this.defaultDevices = defaultDevices;
    this.noxs = new NoxsMechanism(handles, stateDir, logDir);
    Map<DeviceMechanism, Mechanism> mechanisms = new java.util.EnumMap<>(DeviceMechanism.class);
    mechanisms.put(DeviceMechanism.NOXS, noxs);
    if (withXenStore) {
      this.xenstore = new XenStoreMechanism(handles);
      this.marks = DomainMarks.inXenStore(handles);
      mechanisms.put(DeviceMechanism.XENSTORE, xenstore);
    } else {
      this.xenstore = null;
      this.marks = DomainMarks.NONE;
    }
    this.factory = new DomainFactory(handles, boots, mechanisms, new Pygrub(stateDir));
    this.discovery = new DomainDiscovery(handles, marks, registry);
    this.lifecycle =
        new Lifecycle(
            handles,
            registry,
            factory,
            discovery,
            owners,
            (config, text, creator) ->
                createAgain(
                        Caller.named(creator)
                            .orElseThrow(
                                () ->
                                    new ChaosException(
                                        ErrorCode.DENIED, "its creator " + creator + " is gone")),
                        config,
                        text,
                        false,
                        new Phases(),
                        System.nanoTime())
                    .domid(),
            this::lookAgain);
    this.checkpoints = new Checkpoints(handles, registry, lifecycle, factory, owners, idle);
  }

  /**
   * Starts the engine: adopts the chaos guests already running, destroys orphaned shells and
   * half-built domains, learns the other domains' names, fills the pool to {@code poolTargets} in
   * the background, and starts following domain events.
   */
  public static XenEngine start(Map<SizeClass, Integer> poolTargets) {
    return start(new Settings(poolTargets));
  }

  /**
   * What a daemon's engine is started with.
   *
   * @param poolTargets shells to keep ready per size class
   * @param defaultDevices the device mechanism of guests whose config names none
   * @param stateDir where the daemon keeps its own records (noxs guests')
   * @param logDir where it writes logs of its own (noxs guests' consoles)
   * @param xenstore false on a Dom0 without xenstored: noxs guests only, and the daemon binds
   *     VIRQ_DOM_EXC itself
   * @param members what members of the socket's group may do beyond their own guests
   * @param idle how long a migration's incoming image may stand still in its pipe before the
   *     restore is given up: the connections' idle limit ({@code --idle-timeout})
   */
  public record Settings(
      Map<SizeClass, Integer> poolTargets,
      DeviceMechanism defaultDevices,
      Path stateDir,
      Path logDir,
      boolean xenstore,
      MemberPolicy members,
      Duration idle) {
    public Settings {
      if (idle.isNegative() || idle.isZero()) {
        throw new IllegalArgumentException("the idle limit must be positive, not " + idle);
      }
    }

    /** XenStore guests by default, the usual folders, xenstored running. */
    public Settings(Map<SizeClass, Integer> poolTargets) {
      this(poolTargets, DeviceMechanism.XENSTORE, DEFAULT_STATE_DIR, DEFAULT_LOG_DIR, true);
    }

    /** The default member policy and idle limit. */
    public Settings(
        Map<SizeClass, Integer> poolTargets,
        DeviceMechanism defaultDevices,
        Path stateDir,
        Path logDir,
        boolean xenstore) {
      this(
          poolTargets,
          defaultDevices,
          stateDir,
          logDir,
          xenstore,
          MemberPolicy.DEFAULT,
          DEFAULT_IDLE);
    }
  }

  /** Where xenstored listens when it runs (its default, in Debian's packages too). */
  static final Path XENSTORED_SOCKET = Path.of("/run/xenstored/socket");

  private static boolean xenstoredListens() {
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(XENSTORED_SOCKET));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** {@link #start(Map)} with its settings. */
  public static XenEngine start(Settings settings) {
    if (settings.xenstore() && !xenstoredListens()) {
      // libxenstore would fall back to the kernel's xenbus device, where every request hangs.
      throw new ChaosException(
          ErrorCode.XEN,
          "xenstored is not running (nothing listens on "
              + XENSTORED_SOCKET
              + "): start it, or run chaos-daemon --no-xenstore to serve noxs guests only");
    }
    if (!settings.xenstore() && settings.defaultDevices() != DeviceMechanism.NOXS) {
      throw new IllegalArgumentException("without XenStore, guests are noxs guests by default");
    }
    Phases phases = new Phases();
    XenEngine engine =
        new XenEngine(
            true,
            settings.defaultDevices(),
            settings.stateDir(),
            settings.logDir(),
            settings.xenstore(),
            settings.members(),
            settings.idle());
    try {
      phases.end("handles");
      settings.poolTargets().keySet().forEach(size -> engine.factory.mechanism(size.devices()));
      if (engine.xenstore != null) {
        engine.xenstore.start();
      }
      phases.end("mechanisms");
      engine.recover();
      phases.end("recover");
      engine.pool =
          new ShellPool(
              engine::prepareShell,
              engine::destroyShell,
              settings.poolTargets(),
              XenEngine::refillInBackground,
              engine.booting::await);
      if (settings.xenstore()) {
        engine.events = new XenStoreDomainEvents(engine.handles);
        engine.noxsLook = DaemonThreads.scheduler("noxs-look");
        engine.noxsLook.scheduleWithFixedDelay(
            engine::lookAtNoxsGuests,
            NOXS_LOOK.toMillis(),
            NOXS_LOOK.toMillis(),
            TimeUnit.MILLISECONDS);
      } else {
        engine.events = new VirqDomainEvents();
      }
      engine.events.start(engine::onDomainEvent);
      phases.end("pool and events");
      log.info("engine started (ms: {})", phases.millis());
      return engine;
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
  }

  /**
   * An engine for one command run without a daemon ({@code chaos --direct}): it keeps no pool,
   * follows no events, reads of the host only what its request needs, and leaves every other domain
   * alone, shells and half-built domains included (a daemon may be running and own them).
   */
  public static XenEngine startDirect() {
    XenEngine engine =
        new XenEngine(
            false,
            DeviceMechanism.XENSTORE,
            DEFAULT_STATE_DIR,
            DEFAULT_LOG_DIR,
            true,
            MemberPolicy.DEFAULT,
            DEFAULT_IDLE);
    engine.pool =
        new ShellPool(
            engine::prepareShell,
            engine::destroyShell,
            Map.of(),
            XenEngine::refillInBackground,
            () -> false);
    return engine;
  }

  @Override
  public Reply handle(Caller caller, Request request) {
    return answer(request, () -> dispatch(caller, request));
  }

  @Override
  public Reply handleImage(
      Caller caller, Request request, InputStream fromClient, OutputStream toClient) {
    return answer(
        request,
        () -> {
          if (request instanceof Request.Save save) {
            Phases phases = new Phases();
            Guest guest = resolve(caller, save.guest(), LIVE, "save");
            Optional<UserFile> file = imageFile(caller, save.file(), true, save.hold(), why -> {});
            phases.end("open");
            try {
              return checkpoints.save(
                  guest, save.keep(), save.live(), save.hold(), fromClient, toClient, file, phases);
            } finally {
              file.ifPresent(UserFile::close);
            }
          } else if (request instanceof Request.Restore restore) {
            return restore(caller, restore, fromClient, toClient);
          }
          throw new ChaosException(
              ErrorCode.BAD_REQUEST, "not a request that carries an image: " + request);
        });
  }

  /**
   * The image file a request names ({@code path}; none if null), opened with the caller's rights
   * ({@link ImageFiles}); empty if the daemon cannot open it, {@code whyNot} then told why (and the
   * log), and the image travels in frames.
   */
  private static Optional<UserFile> imageFile(
      Caller caller, String path, boolean toWrite, boolean transport, Consumer<String> whyNot) {
    if (path == null) {
      return Optional.empty();
    }
    return ImageFiles.open(
        caller,
        path,
        toWrite,
        transport,
        why -> {
          log.info("{}: the image travels on the connection", why);
          whyNot.accept(why);
        });
  }

  /** The reply of {@code work}, its failures as error replies. */
  private static Reply answer(Request request, java.util.function.Supplier<Reply> work) {
    try {
      return work.get();
    } catch (ChaosException e) {
      return new Reply.Error(e.code(), e.getMessage());
    } catch (XenException e) {
      return new Reply.Error(ErrorCode.XEN, e.getMessage());
    } catch (RuntimeException e) {
      log.error("request {} failed", request, e);
      return new Reply.Error(ErrorCode.INTERNAL, "internal error: " + e);
    }
  }

  /** A connection's worker is ending: its Xen handles go with it. */
  @Override
  public void threadDone() {
    handles.closeThisThread();
  }

  private Reply dispatch(Caller caller, Request request) {
    if (request instanceof Request.Create create) {
      return create(caller, create);
    } else if (request instanceof Request.Destroy destroy) {
      return destroy(resolve(caller, destroy.guest(), DESTROYABLE, "destroy"));
    } else if (request instanceof Request.Shutdown shutdown) {
      return shutdown(resolve(caller, shutdown.guest(), LIVE, "shut down"), shutdown.await());
    } else if (request instanceof Request.Reboot reboot) {
      Guest guest = resolve(caller, reboot.guest(), LIVE, "reboot");
      mechanismOf(guest).control().ask(guest.domid(), GuestControl.Request.REBOOT);
      return new Reply.Done("asked " + guest.name() + " to reboot");
    } else if (request instanceof Request.Pause pause) {
      return pause(resolve(caller, pause.guest(), LIVE, "pause"), pause.guest(), true);
    } else if (request instanceof Request.Unpause unpause) {
      return pause(resolve(caller, unpause.guest(), LIVE, "unpause"), unpause.guest(), false);
    } else if (request instanceof Request.ListGuests) {
      return list(caller);
    } else if (request instanceof Request.Console console) {
      Guest guest = resolve(caller, console.guest(), DESTROYABLE, "attach to the console of");
      return new Reply.Console(
          guest.domid().value(), guest.name(), mechanismOf(guest).console().streamed());
    } else if (request instanceof Request.Info) {
      return info();
    } else if (request instanceof Request.SetPool setPool) {
      return setPool(caller, setPool.targets());
    } else if (request instanceof Request.AttachDevice attach) {
      return attach(caller, attach);
    } else if (request instanceof Request.DetachDevice detach) {
      Guest guest = resolve(caller, detach.guest(), LIVE, "detach a device from");
      String name =
          mechanismOf(guest)
              .devices()
              .detach(guest.domid(), detach.kind(), detach.device(), detach.force());
      return new Reply.Done("detached " + name + " from " + guest.name());
    } else if (request instanceof Request.ListDevices list) {
      Guest guest = resolve(caller, list.guest(), DESTROYABLE, "list the devices of");
      return new Reply.Devices(mechanismOf(guest).devices().list(guest.domid(), list.kind()));
    } else if (request instanceof Request.Decision) {
      throw new ChaosException(
          ErrorCode.BAD_REQUEST,
          "commit and abort end a migration, on its save's or restore's connection only");
    }
    throw new ChaosException(ErrorCode.BAD_REQUEST, "unknown request " + request);
  }

  @Override
  public void streamConsole(Reply.Console console, InputStream fromClient, OutputStream toClient)
      throws IOException {
    DomId domid = DomId.of(console.domid());
    Optional<Guest> guest = registry.find(new GuestRef(Integer.toString(console.domid())));
    if (guest.isPresent()) {
      mechanismOf(guest.get()).console().stream(domid, fromClient, toClient);
    }
  }

  private Reply create(Caller caller, Request.Create request) {
    long startNanos = System.nanoTime();
    Phases phases = new Phases();
    GuestConfig guest;
    try {
      guest = GuestConfigs.parse(configPath(request.configPath()), request.configText());
    } catch (ConfigException e) {
      throw new ChaosException(ErrorCode.CONFIG, e.getMessage(), e);
    }
    if (request.instance() != null) {
      guest = guest.withName(instanceName(guest.name(), request.instance()));
    }
    // A member's files are opened first, so that the checks see only what the member may.
    try (CallerFiles files = new CallerFiles(caller, access.policy())) {
      GuestConfig build = files.open(guest);
      try {
        factory.mechanism(guest.devices().orElse(defaultDevices)).check(build);
      } catch (ChaosException e) {
        throw new ChaosException(e.code(), request.configPath() + ": " + e.getMessage(), e);
      }
      phases.end("config parse");
      return create(
          caller,
          guest,
          build,
          request.configText(),
          request.paused() || guest.paused(),
          phases,
          startNanos);
    }
  }

  /**
   * Restores the guest of an image into a shell of its size, as a create would make it (its name
   * held, its devices made again, its owner the caller), from the head on {@code image} and the
   * stream that follows it. The image's handle is kept unless a guest has it (a copy of a guest
   * saved with {@code keep}, which also needs another name). A {@code hold} restore (a migration's
   * destination) keeps the guest paused as NAME--incoming until the client's decision ({@link
   * Checkpoints#receive}).
   */
  private Reply restore(
      Caller caller, Request.Restore request, InputStream fromClient, OutputStream toClient) {
    Phases phases = new Phases();
    // Unframed (a migration's), the image follows on the connection whatever the daemon says.
    Optional<UserFile> file =
        imageFile(
            caller,
            request.file(),
            false,
            request.hold(),
            why -> {
              if (!request.unframed()) {
                askForFrames(toClient, why);
              }
            });
    Optional<PipeWatch> watch = checkpoints.watchIncoming(file);
    phases.end("image open");
    try {
      return restore(caller, request, file, watch, fromClient, toClient, phases);
    } finally {
      watch.ifPresent(PipeWatch::close);
      file.ifPresent(UserFile::close);
    }
  }

  /** Tells the client to send the image in frames, since the daemon cannot read its file. */
  private static void askForFrames(OutputStream toClient, String why) {
    try {
      Codec.write(toClient, new Reply.SendImage(why));
    } catch (IOException e) {
      throw new ChaosException(
          ErrorCode.BAD_REQUEST, "the client went away before sending its image", e);
    }
  }

  /** A restore from {@code file} if the daemon has it open, else from the client's frames. */
  private Reply restore(
      Caller caller,
      Request.Restore request,
      Optional<UserFile> file,
      Optional<PipeWatch> watch,
      InputStream fromClient,
      OutputStream toClient,
      Phases phases) {
    InputStream image =
        file.map(UserFile::input)
            .orElseGet(() -> request.unframed() ? fromClient : ImageFrames.reader(fromClient));
    CheckpointImage.Guest record = checkpoints.readHead(image, watch);
    phases.end("image head");
    // Unframed (a migration's), the stream ends with libxenguest's END record; the decision
    // follows it on the connection.
    InputStream stream = request.unframed() ? MigrationStream.one(image) : image;
    GuestConfig guest;
    try {
      guest = GuestConfigs.parse(configPath(record.configPath()), record.config());
    } catch (ConfigException e) {
      throw new ChaosException(
          ErrorCode.BAD_REQUEST, "the image's config cannot be read: " + e.getMessage(), e);
    }
    phases.end("config parse");
    String name = request.name() != null ? request.name() : record.name();
    boolean hold = request.hold();
    guest = guest.withName(hold ? name + Checkpoints.INCOMING : name);
    Optional<String> badName = GuestNames.problem(guest.name());
    if (badName.isPresent()) {
      throw new ChaosException(ErrorCode.CONFIG, badName.get());
    }
    if (hold) {
      // Its own name, which it takes at the commit, may be held by the guest sent here (the
      // migration of a guest to its own host), and by nothing else.
      registry.requireFree(name, YIELDING);
    }
    // Its own handle: the config's, else the one it had when saved. The guest sent here from this
    // host (a migration to its own host) holds it until the commit, which gives it to the incoming
    // guest; until then that has its shell's.
    Optional<UUID> own = guest.uuid().or(() -> savedHandle(record));
    Optional<UUID> atCommit =
        own.filter(u -> hold && registry.withUuid(u).isPresent() && !registry.holds(u, YIELDING));
    Optional<UUID> handle =
        atCommit.isPresent()
            ? Optional.empty()
            : guest.uuid().or(() -> own.filter(u -> registry.withUuid(u).isEmpty()));
    DeviceMechanism kind = record.mechanism();
    phases.end("restore checks");
    try (CallerFiles files = new CallerFiles(caller, access.policy())) {
      // The disks as the caller may open them; the kernel is in the image, not read again.
      GuestConfig build =
          guest.withFiles(
              guest.kernel(), guest.ramdisk(), guest.disks().stream().map(files::open).toList());
      try {
        factory.mechanism(kind).check(build);
      } catch (ChaosException e) {
        throw new ChaosException(
            e.code(), "cannot restore " + guest.name() + ": " + e.getMessage(), e);
      }
      phases.end("disks open");
      String configText = record.config();
      boolean paused = request.paused();
      // Described to Dom0 under its own name, though the engine holds it under the temporary one.
      GuestConfig described = build.withName(name);
      Reply.Created restored =
          create(
              caller,
              guest,
              configText,
              kind,
              handle,
              hold ? State.MIGRATING : State.RUNNING,
              phases,
              (shell, uuid) -> {
                if (file.isPresent()) {
                  checkpoints.restoreFrom(
                      shell, described, uuid, configText, paused, hold, file.get(), watch, phases);
                } else {
                  checkpoints.restoreInto(
                      shell, described, uuid, configText, paused, hold, stream, phases);
                }
              });
      if (!hold) {
        return restored;
      }
      Guest incoming = registry.resolve(new GuestRef(Integer.toString(restored.domid())));
      return checkpoints.receive(incoming, name, atCommit, paused, restored, fromClient, toClient);
    }
  }

  /** The handle an image's guest had when it was saved, if it names one. */
  private static Optional<UUID> savedHandle(CheckpointImage.Guest record) {
    try {
      return Optional.of(UUID.fromString(record.uuid()));
    } catch (IllegalArgumentException | NullPointerException e) {
      return Optional.empty();
    }
  }

  /** The path a create request names its config by (for messages), refused if it is none. */
  static Path configPath(String path) {
    try {
      return Path.of(path);
    } catch (java.nio.file.InvalidPathException e) {
      throw new ChaosException(
          ErrorCode.BAD_REQUEST, "the config's path is not a path: " + e.getReason());
    }
  }

  /** The name of the n-th guest of {@code chaos create -n}: NAME-n. */
  static String instanceName(String name, int instance) {
    if (instance < 1) {
      throw new ChaosException(ErrorCode.BAD_REQUEST, "instance must be 1 or more");
    }
    String instanceName = name + "-" + instance;
    Optional<String> problem = GuestNames.problem(instanceName);
    if (problem.isPresent()) {
      throw new ChaosException(ErrorCode.CONFIG, problem.get());
    }
    return instanceName;
  }

  /**
   * Creates {@code guest} again for {@code caller} (a restart): from the files as the caller may
   * open them ({@link CallerFiles}), the guest then the caller's ({@link GuestOwners}).
   */
  private Reply.Created createAgain(
      Caller caller,
      GuestConfig guest,
      String configText,
      boolean paused,
      Phases phases,
      long startNanos) {
    try (CallerFiles files = new CallerFiles(caller, access.policy())) {
      return create(caller, guest, files.open(guest), configText, paused, phases, startNanos);
    }
  }

  /**
   * Creates {@code guest} for {@code caller}, the guest then the caller's ({@link GuestOwners});
   * {@code build} is {@code guest} with its files reached as the caller may reach them.
   */
  private Reply.Created create(
      Caller caller,
      GuestConfig guest,
      GuestConfig build,
      String configText,
      boolean paused,
      Phases phases,
      long startNanos) {
    return create(
        caller,
        guest,
        configText,
        guest.devices().orElse(defaultDevices),
        guest.uuid(),
        State.RUNNING,
        phases,
        (shell, uuid) ->
            factory.execute(shell, build, uuid, configText, paused, phases, startNanos));
  }

  /** What turns a shell into the guest with handle {@code uuid}: a build, or a restore. */
  @FunctionalInterface
  private interface Fill {
    void into(Shell shell, UUID uuid);
  }

  /**
   * Makes {@code guest} for {@code caller} in a shell of its size ({@code kind}'s) by {@code fill},
   * the guest then the caller's ({@link GuestOwners}), in state {@code built} once filled; its
   * handle is {@code handle} (refused if a guest holds it), else the shell's.
   */
  private Reply.Created create(
      Caller caller,
      GuestConfig guest,
      String configText,
      DeviceMechanism kind,
      Optional<UUID> handle,
      State built,
      Phases phases,
      Fill fill) {
    guest.vifs().forEach(vif -> access.requireNetwork(caller, guest.name(), vif));
    if (!owner) {
      discovery.learnNames(); // every name on the host, and nothing more
    }
    try (GuestRegistry.Reservation name = registry.reserve(guest.name())) {
      if (handle.isPresent()) {
        registry
            .withUuid(handle.get())
            .ifPresent(
                other -> {
                  throw new ChaosException(
                      ErrorCode.EXISTS,
                      "uuid " + handle.get() + " is " + other.name() + "'s already");
                });
      }
      phases.end("name check");
      builds.acquireUninterruptibly();
      try (ShellPool.Execution execution = pool.executing()) {
        phases.end("build queue");
        SizeClass size = SizeClass.of(guest, kind);
        Optional<Shell> pooled = pool.take(size);
        Shell shell;
        if (pooled.isPresent()) {
          shell = pooled.get();
          phases.end("pool take");
        } else {
          requireCapacity(guest);
          try {
            shell = prepareShell(size);
          } catch (XenException e) {
            throw DomainFactory.translate(e, guest); // another create may have taken the memory
          }
          phases.end("shell prepare (no pooled shell)");
        }
        UUID uuid = handle.orElse(shell.uuid());
        DomId domid = shell.domid();
        registry.register(
            guestOf(domid, uuid, guest, configText, kind), State.BUILDING, Optional.of(name));
        try {
          owners.record(domid, uuid, caller);
          phases.end("registry");
          fill.into(shell, uuid);
        } catch (RuntimeException e) {
          registry.forget(domid);
          owners.forget(domid);
          throw e;
        }
        lifecycle.transition(domid, State.BUILDING, built);
        booting.started(domid); // before the execution's end lets the refill go
        log.info(
            "created {} as domain {} ({} shell)",
            guest.name(),
            domid,
            pooled.isPresent() ? "pooled" : "new");
        phases.end("started");
        return new Reply.Created(domid.value(), guest.name(), pooled.isPresent(), phases.millis());
      } finally {
        builds.release();
      }
    }
  }

  /**
   * The pool's refill thread runs at nice 10. A create's end wakes it, and at the daemon's own
   * priority it took the CPU from the create's last steps and reply on a Dom0 of one vCPU (measured
   * in the rig: 9 ms of a 28 ms pooled noxs create, docs/benchmarks.md); at nice 10 Linux lets a
   * woken thread preempt none, yet it still gets a tenth of a busy CPU (at SCHED_IDLE a busy Dom0
   * starved it: the pool did not fill in minutes).
   */
  private static void refillInBackground() {
    if (!ThreadScheduling.background()) {
      log.warn("the pool's refill runs at the daemon's priority");
    }
  }

  /** The CPU time {@code domid}'s vCPUs have used, or empty if it is gone. */
  private OptionalLong cpuNanos(DomId domid) {
    Optional<DomainInfo> info = handles.xc().domainInfo(domid);
    return info.isPresent() ? OptionalLong.of(info.get().cpuTimeNs()) : OptionalLong.empty();
  }

  private Shell prepareShell(SizeClass size) {
    Shell shell = factory.prepare(size);
    registry.learnOther(shell.domid(), DomainLayout.shellName(shell.domid()), false);
    return shell;
  }

  private Reply attach(Caller caller, Request.AttachDevice request) {
    Guest guest = resolve(caller, request.guest(), LIVE, "attach a device to");
    String source = request.kind().command() + "-attach";
    DeviceBackend devices = mechanismOf(guest).devices();
    try {
      if (request.kind() == DeviceKind.NETWORK) {
        VifSpec vif = GuestConfigs.vif(source, request.spec());
        access.requireNetwork(caller, guest.name(), vif);
        String which = devices.attachVif(guest.domid(), guest.name(), vif);
        return new Reply.Done("attached " + which + " to " + guest.name());
      }
      DiskSpec disk = GuestConfigs.disk(source, request.spec());
      try (CallerFiles files = new CallerFiles(caller, access.policy())) {
        devices.attachDisk(guest.domid(), files.open(disk));
      }
      return new Reply.Done("attached " + disk.vdev() + " to " + guest.name());
    } catch (ConfigException e) {
      throw new ChaosException(ErrorCode.CONFIG, e.getMessage(), e);
    }
  }

  private static Guest guestOf(
      DomId domid, UUID uuid, GuestConfig guest, String text, DeviceMechanism kind) {
    return new Guest(
        domid,
        uuid,
        guest.name(),
        Optional.of(guest),
        text,
        guest.onPoweroff(),
        guest.onReboot(),
        guest.onCrash(),
        kind);
  }

  /** One domain event at a time, whoever heard of it. */
  private void onDomainEvent() {
    synchronized (lifecycle) {
      lifecycle.onDomainEvent();
    }
  }

  /** Asks the events' thread for one more look, as if an event had come (none without events). */
  private void lookAgain() {
    DomainEvents following = events;
    if (following != null) {
      following.poke();
    }
  }

  private Mechanism mechanismOf(Guest guest) {
    return factory.mechanism(guest.mechanism());
  }

  /** The noxs guests' domains, looked at as a domain event would (none: nothing is read). */
  private void lookAtNoxsGuests() {
    try {
      if (registry.guests().stream().anyMatch(g -> g.mechanism() == DeviceMechanism.NOXS)) {
        onDomainEvent();
      }
    } catch (RuntimeException e) {
      log.warn("cannot look at the noxs guests: {}", e.getMessage());
    }
  }

  private void requireCapacity(GuestConfig guest) {
    PhysInfo host = handles.xc().physInfo();
    if (host.freeMib() < guest.maxMemoryMib() + HEADROOM_MIB) {
      throw new ChaosException(
          ErrorCode.NO_CAPACITY,
          guest.name()
              + " needs "
              + guest.maxMemoryMib()
              + " MiB but the host has "
              + host.freeMib()
              + " MiB free");
    }
  }

  private Reply destroy(Guest guest) {
    if (!lifecycle.end(guest, true, DESTROYABLE)) {
      registry.require(guest, DESTROYABLE, "destroy"); // it changed state meanwhile: say which
    }
    log.info("destroyed {} (domain {})", guest.name(), guest.domid());
    return new Reply.Done("destroyed " + guest.name() + " (domain " + guest.domid() + ")");
  }

  private Reply shutdown(Guest guest, boolean await) {
    mechanismOf(guest).control().ask(guest.domid(), GuestControl.Request.POWEROFF);
    if (!await) {
      return new Reply.Done("asked " + guest.name() + " to power off");
    }
    boolean gone =
        Polling.until(
            SHUTDOWN_WAIT,
            100,
            100,
            () -> {
              Optional<DomainInfo> info = handles.xc().domainInfo(guest.domid());
              return info.isEmpty() || info.get().dying() || info.get().shutdown();
            });
    if (gone) {
      return new Reply.Done(guest.name() + " powered off");
    }
    throw new ChaosException(
        ErrorCode.WRONG_STATE,
        guest.name() + " did not power off within " + SHUTDOWN_WAIT.toSeconds() + " s");
  }

  private Reply pause(Guest guest, GuestRef ref, boolean pause) {
    DomainInfo info =
        handles.xc().domainInfo(guest.domid()).orElseThrow(() -> GuestRegistry.notFound(ref));
    if (info.paused() == pause) {
      throw new ChaosException(
          ErrorCode.WRONG_STATE,
          guest.name() + " is " + (pause ? "paused" : "not paused") + " already");
    }
    if (pause) {
      handles.xc().pause(guest.domid());
    } else {
      handles.xc().unpause(guest.domid());
    }
    return new Reply.Done((pause ? "paused " : "unpaused ") + guest.name());
  }

  /** The domains {@code caller} may see: root all, anyone else the guests it created. */
  private Reply list(Caller caller) {
    List<Reply.GuestInfo> list = new ArrayList<>();
    for (DomainInfo info : handles.xc().domainInfos()) {
      DomId domid = info.domid();
      String name;
      if (domid.equals(DomId.DOM0)) {
        if (!caller.isRoot()) {
          continue;
        }
        name = "Domain-0";
      } else {
        // A domain not heard of yet (news still on its way, or a --direct engine) is read now.
        if (discovery.isNew(info) && !discovery.learn(domid, info.handle(), owner)) {
          continue; // another chaos process's shell or half-built domain
        }
        Optional<GuestRegistry.Listing> listing = registry.listing(domid);
        if (listing.isPresent() && !listing.get().listed()) {
          continue; // shells and half-built domains are the pool's, not guests
        }
        if (!caller.isRoot()
            && listing
                .flatMap(GuestRegistry.Listing::guest)
                .filter(guest -> access.mayUse(caller, guest))
                .isEmpty()) {
          continue; // not a guest of this caller's
        }
        name =
            listing.map(GuestRegistry.Listing::name).filter(n -> !n.isEmpty()).orElse("(unnamed)");
      }
      OptionalDouble boot = boots.bootMillis(domid);
      list.add(
          new Reply.GuestInfo(
              domid.value(),
              name,
              (int) (info.totPages() * PhysInfo.PAGE_SIZE >> 20),
              info.onlineVcpus(),
              stateOf(info),
              boot.isPresent() ? boot.getAsDouble() : null,
              boot.isPresent() ? boots.bootloader(domid).orElse(null) : null));
    }
    return new Reply.Guests(list);
  }

  static String stateOf(DomainInfo info) {
    if (info.dying()) {
      return "dying";
    }
    if (info.shutdown()) {
      return "shutdown ("
          + info.shutdownReason().map(r -> r.name().toLowerCase()).orElse("?")
          + ")";
    }
    if (info.paused()) {
      return "paused";
    }
    return info.running() ? "running" : "blocked";
  }

  private Reply info() {
    PhysInfo host = handles.xc().physInfo();
    Map<String, Reply.PoolClass> classes = new LinkedHashMap<>();
    pool.state()
        .forEach(
            (size, counts) ->
                classes.put(size.toString(), new Reply.PoolClass(counts[0], counts[1])));
    return new Reply.HostInfo(host.totalMib(), host.freeMib(), host.nrCpus(), classes);
  }

  private Reply setPool(Caller caller, Map<String, Integer> targets) {
    for (Map.Entry<String, Integer> target : targets.entrySet()) {
      if (target.getValue() == null || target.getValue() < 0) {
        throw new ChaosException(
            ErrorCode.BAD_REQUEST, "pool target for " + target.getKey() + " must be 0 or more");
      }
    }
    Map<SizeClass, Integer> parsed = new LinkedHashMap<>();
    targets.forEach((size, target) -> parsed.put(SizeClass.parse(size), target));
    parsed.forEach(
        (size, target) -> {
          if (target > 0) {
            factory.mechanism(size.devices()).requireAvailable();
          }
        });
    Map<SizeClass, Integer> current = new LinkedHashMap<>();
    pool.state().forEach((size, counts) -> current.put(size, counts[1]));
    access.requirePoolTargets(caller, current, parsed);
    pool.setTargets(parsed); // all or nothing
    return new Reply.Done("pool targets set: " + targets);
  }

  /**
   * The guest a request names, if it is in one of {@code allowed} (else WRONG_STATE, naming what
   * {@code operation} needs). A {@code --direct} engine first reads what it needs to find it.
   */
  private Guest resolve(Caller caller, GuestRef ref, Set<State> allowed, String operation) {
    if (!owner && registry.find(ref).isEmpty()) {
      discovery.learnFor(ref);
    }
    Guest guest = registry.resolve(ref);
    access.requireOwner(caller, guest, operation);
    registry.require(guest, allowed, operation);
    return guest;
  }

  /**
   * At a daemon's start: removes the devices of domains that are gone, destroys orphaned shells and
   * half-built domains (a dead daemon's), adopts running chaos guests and learns the other domains.
   */
  private void recover() {
    List<DomainInfo> domains = handles.xc().domainInfos();
    Map<DomId, DomainInfo> byDomid = new java.util.HashMap<>();
    domains.forEach(info -> byDomid.put(info.domid(), info));
    if (xenstore != null) {
      xenstore.devices().removeOrphans(byDomid.keySet());
    }
    owners.load(byDomid.keySet());
    // What a dead daemon left unmarked (a shell is known by its handle alone) is the host's
    // mechanism's to clean: XenStore's, or noxs's on a Dom0 without xenstored.
    DeviceMechanism unmarked = xenstore != null ? DeviceMechanism.XENSTORE : DeviceMechanism.NOXS;
    Set<DomId> claimed =
        noxs.recover(
            byDomid,
            guest -> registry.register(guest, State.RUNNING, Optional.empty()),
            (domid, uuid) -> factory.destroy(domid, uuid, DeviceMechanism.NOXS));
    for (DomainInfo info : domains) {
      DomId domid = info.domid();
      if (domid.equals(DomId.DOM0) || claimed.contains(domid)) {
        continue;
      }
      Optional<String> state = marks.state(domid);
      if (state.isEmpty()
          && DomainLayout.isShellHandle(info.handle())
          && marks.name(domid).isEmpty()) {
        // A shell by its handle alone: one a dead daemon had not marked yet, or (noxs) a shell
        // or a guest it had not recorded yet, half-built.
        log.info("destroying domain {}, a shell by its handle that an earlier daemon left", domid);
        factory.destroy(domid, Optional.of(info.handle()), unmarked);
        continue;
      }
      if (state.isPresent() && !state.get().equals(DomainLayout.STATE_RUNNING)) {
        log.info("destroying domain {} left {} by an earlier daemon", domid, state.get());
        factory.destroy(
            domid,
            marks.uuid(domid).or(() -> Optional.of(info.handle())),
            DeviceMechanism.XENSTORE);
        continue;
      }
      discovery.learn(domid, info.handle(), true, state);
    }
  }

  private void destroyShell(Shell shell) {
    factory.destroy(shell.domid(), Optional.of(shell.uuid()), shell.size().devices());
  }

  /**
   * Waits at most {@code timeout} for a guest this engine created to write its first console
   * output; its boot time (ms from the create request) if it came. For tests and benchmarks.
   */
  public OptionalDouble awaitBoot(int domid, Duration timeout) throws InterruptedException {
    return boots.awaitBoot(DomId.of(domid), timeout);
  }

  /** Waits until the pool is at its targets (for tests and benchmarks). */
  public boolean awaitPoolFull(Duration timeout) throws InterruptedException {
    return pool.awaitFull(timeout.toMillis());
  }

  /** Sleeps; an interrupt ends the request as an internal error. */
  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ChaosException(ErrorCode.INTERNAL, "interrupted");
    }
  }

  /** Destroys the pool's shells; guests keep running (a restarted daemon adopts them). */
  @Override
  public void close() {
    if (noxsLook != null) {
      noxsLook.shutdownNow();
    }
    if (events != null) {
      events.close();
    }
    if (pool != null) {
      pool.close();
    }
    noxs.close();
    if (xenstore != null) {
      xenstore.close();
    }
    boots.close();
    handles.close();
  }
}
