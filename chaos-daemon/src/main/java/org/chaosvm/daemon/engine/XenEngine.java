package org.chaosvm.daemon.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.Semaphore;
import org.chaosvm.daemon.config.ConfigException;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.GuestConfigs;
import org.chaosvm.daemon.config.GuestNames;
import org.chaosvm.daemon.config.LifecycleAction;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.daemon.protocol.DeviceKind;
import org.chaosvm.daemon.protocol.ErrorCode;
import org.chaosvm.daemon.protocol.GuestRef;
import org.chaosvm.daemon.protocol.Reply;
import org.chaosvm.daemon.protocol.Request;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.PhysInfo;
import org.chaosvm.libxc.ShutdownReason;
import org.chaosvm.libxc.XenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * chaos on real Xen: the shell pool, the execute phase, and every guest's lifecycle. Thread-safe:
 * requests may come from many connections at once.
 */
public final class XenEngine implements RequestHandler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(XenEngine.class);

  /** How long {@code shutdown --wait} waits for the guest to go. */
  static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(120);

  /** Free memory a new domain needs beyond its own, for Xen's bookkeeping (MiB). */
  private static final int HEADROOM_MIB = 4;

  /**
   * Builds (execute phases and on-demand prepares) running at once. More than Dom0 has CPUs gains
   * nothing, and each build holds tens of MB of Dom0 memory (the kernel image, the guest's mapped
   * pages): 20 at once got the daemon killed in a 2 GiB Dom0. Further creates queue.
   */
  static final int PARALLEL_BUILDS = Math.max(2, Runtime.getRuntime().availableProcessors());

  private final Semaphore builds = new Semaphore(PARALLEL_BUILDS, true);
  private final XenHandles handles = new XenHandles();
  private final BootWatch boots = new BootWatch();
  private final DomainFactory factory = new DomainFactory(handles, boots);
  private final Map<DomId, Guest> guests = new HashMap<>();
  private final Set<String> namesInCreation = new HashSet<>();
  private final Set<DomId> preserved = new HashSet<>();

  /** Held while a device is attached or detached: devids are picked from what XenStore holds. */
  private final Object deviceChanges = new Object();

  private ShellPool pool;
  private Lifecycle lifecycle;

  private XenEngine() {}

  /**
   * Starts the engine: adopts the chaos guests already running, destroys orphaned shells and
   * half-built domains, fills the pool to {@code poolTargets} in the background, and starts
   * following the guests' lifecycle.
   */
  public static XenEngine start(Map<SizeClass, Integer> poolTargets) {
    return start(poolTargets, true);
  }

  /**
   * An engine for one command run without a daemon ({@code chaos --direct}): it knows the chaos
   * guests that run, keeps no pool, and leaves every other domain alone, shells and half-built
   * domains included (a daemon may be running and own them).
   */
  public static XenEngine startDirect() {
    return start(Map.of(), false);
  }

  private static XenEngine start(Map<SizeClass, Integer> poolTargets, boolean owner) {
    XenEngine engine = new XenEngine();
    try {
      engine.recover(owner);
      engine.pool = new ShellPool(engine.factory::prepare, engine::destroyShell, poolTargets);
      engine.lifecycle = new Lifecycle(engine.handles, engine::checkGuests);
      return engine;
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
  }

  @Override
  public Reply handle(Request request) {
    try {
      return dispatch(request);
    } catch (ChaosException e) {
      return new Reply.Error(e.code(), e.getMessage());
    } catch (XenException e) {
      return new Reply.Error(ErrorCode.XEN, e.getMessage());
    } catch (RuntimeException e) {
      log.error("request {} failed", request, e);
      return new Reply.Error(ErrorCode.INTERNAL, "internal error: " + e);
    }
  }

  private Reply dispatch(Request request) {
    if (request instanceof Request.Create create) {
      return create(create);
    } else if (request instanceof Request.Destroy destroy) {
      return destroy(destroy.guest());
    } else if (request instanceof Request.Shutdown shutdown) {
      return shutdown(shutdown.guest(), shutdown.await());
    } else if (request instanceof Request.Reboot reboot) {
      return reboot(reboot.guest());
    } else if (request instanceof Request.Pause pause) {
      return pause(pause.guest(), true);
    } else if (request instanceof Request.Unpause unpause) {
      return pause(unpause.guest(), false);
    } else if (request instanceof Request.ListGuests) {
      return list();
    } else if (request instanceof Request.Info) {
      return info();
    } else if (request instanceof Request.SetPool setPool) {
      return setPool(setPool.targets());
    } else if (request instanceof Request.AttachDevice attach) {
      return attach(attach);
    } else if (request instanceof Request.DetachDevice detach) {
      Guest guest = resolve(detach.guest());
      synchronized (deviceChanges) {
        String name =
            factory.devices().detach(guest.domid(), detach.kind(), detach.device(), detach.force());
        return new Reply.Done("detached " + name + " from " + guest.name());
      }
    } else if (request instanceof Request.ListDevices list) {
      Guest guest = resolve(list.guest());
      return new Reply.Devices(factory.devices().list(guest.domid(), list.kind()));
    }
    throw new ChaosException(ErrorCode.BAD_REQUEST, "unknown request " + request);
  }

  private Reply create(Request.Create request) {
    long startNanos = System.nanoTime();
    Phases phases = new Phases();
    GuestConfig guest;
    try {
      guest = GuestConfigs.parse(Path.of(request.configPath()), request.configText());
    } catch (ConfigException e) {
      throw new ChaosException(ErrorCode.CONFIG, e.getMessage(), e);
    }
    if (request.name() != null) {
      Optional<String> problem = GuestNames.problem(request.name());
      if (problem.isPresent()) {
        throw new ChaosException(ErrorCode.CONFIG, problem.get());
      }
      guest = guest.withName(request.name());
    }
    try {
      Devices.check(guest);
    } catch (ChaosException e) {
      throw new ChaosException(e.code(), request.configPath() + ": " + e.getMessage(), e);
    }
    phases.end("config parse");
    reserveName(guest.name());
    try {
      builds.acquireUninterruptibly();
      Shell shell;
      boolean fromPool;
      DomId domid;
      try {
        SizeClass size = SizeClass.of(guest);
        Optional<Shell> pooled = pool.take(size);
        fromPool = pooled.isPresent();
        if (fromPool) {
          shell = pooled.get();
          phases.end("shell take");
        } else {
          requireCapacity(guest);
          try {
            shell = factory.prepare(size);
          } catch (XenException e) {
            throw DomainFactory.translate(e, guest); // another create may have taken the memory
          }
          phases.end("shell prepare (no pooled shell)");
        }
        domid =
            factory.execute(
                shell,
                guest,
                request.configText(),
                request.paused() || guest.paused(),
                phases,
                startNanos);
      } finally {
        builds.release();
      }
      synchronized (this) {
        guests.put(domid, guestOf(domid, shell, guest, request.configText()));
      }
      log.info(
          "created {} as domain {} ({} shell)", guest.name(), domid, fromPool ? "pooled" : "new");
      return new Reply.Created(domid.value(), guest.name(), fromPool, phases.millis());
    } finally {
      synchronized (this) {
        namesInCreation.remove(guest.name());
      }
    }
  }

  private Reply attach(Request.AttachDevice request) {
    Guest guest = resolve(request.guest());
    String source = request.kind().command() + "-attach";
    Devices devices = factory.devices();
    try {
      synchronized (deviceChanges) {
        if (request.kind() == DeviceKind.NETWORK) {
          VifSpec vif = GuestConfigs.vif(source, request.spec());
          int devid = devices.nextVifDevid(guest.domid());
          String name = devices.attachVif(guest.domid(), guest.name(), devid, vif);
          return new Reply.Done("attached vif " + devid + " (" + name + ") to " + guest.name());
        }
        DiskSpec disk = GuestConfigs.disk(source, request.spec());
        devices.attachDisk(guest.domid(), disk);
        return new Reply.Done("attached " + disk.vdev() + " to " + guest.name());
      }
    } catch (ConfigException e) {
      throw new ChaosException(ErrorCode.CONFIG, e.getMessage(), e);
    }
  }

  private static Guest guestOf(DomId domid, Shell shell, GuestConfig guest, String text) {
    return new Guest(
        domid,
        shell.uuid(),
        guest.name(),
        Optional.of(guest),
        text,
        guest.onPoweroff(),
        guest.onReboot(),
        guest.onCrash());
  }

  private void reserveName(String name) {
    synchronized (this) {
      boolean taken =
          namesInCreation.contains(name)
              || guests.values().stream().anyMatch(g -> g.name().equals(name));
      if (!taken) {
        namesInCreation.add(name);
      }
      if (taken) {
        throw new ChaosException(ErrorCode.EXISTS, "a guest named " + name + " exists already");
      }
    }
    // Domains chaos does not manage (xl's) hold their names too.
    for (DomainInfo info : handles.xc().domainInfos()) {
      if (DomainLayout.name(handles.xs(), info.domid()).filter(name::equals).isPresent()
          && !isChaosGuest(info.domid())) {
        synchronized (this) {
          namesInCreation.remove(name);
        }
        throw new ChaosException(
            ErrorCode.EXISTS, "domain " + info.domid() + " is named " + name + " already");
      }
    }
  }

  private synchronized boolean isChaosGuest(DomId domid) {
    return guests.containsKey(domid);
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

  private Reply destroy(GuestRef ref) {
    Guest guest = resolve(ref);
    forget(guest);
    factory.destroy(guest.domid(), Optional.of(guest.uuid()));
    log.info("destroyed {} (domain {})", guest.name(), guest.domid());
    return new Reply.Done("destroyed " + guest.name() + " (domain " + guest.domid() + ")");
  }

  private Reply shutdown(GuestRef ref, boolean await) {
    Guest guest = resolve(ref);
    DomainLayout.requestShutdown(handles.xs(), guest.domid(), "poweroff");
    if (!await) {
      return new Reply.Done("asked " + guest.name() + " to power off");
    }
    long deadline = System.nanoTime() + SHUTDOWN_WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<DomainInfo> info = handles.xc().domainInfo(guest.domid());
      if (info.isEmpty() || info.get().dying() || info.get().shutdown()) {
        return new Reply.Done(guest.name() + " powered off");
      }
      sleep(100);
    }
    throw new ChaosException(
        ErrorCode.WRONG_STATE,
        guest.name()
            + " did not power off within "
            + SHUTDOWN_WAIT.toSeconds()
            + " s (is its kernel listening on control/shutdown?)");
  }

  private Reply reboot(GuestRef ref) {
    Guest guest = resolve(ref);
    DomainLayout.requestShutdown(handles.xs(), guest.domid(), "reboot");
    return new Reply.Done("asked " + guest.name() + " to reboot");
  }

  private Reply pause(GuestRef ref, boolean pause) {
    Guest guest = resolve(ref);
    DomainInfo info = handles.xc().domainInfo(guest.domid()).orElseThrow(() -> notFound(ref));
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

  private Reply list() {
    List<Reply.GuestInfo> list = new ArrayList<>();
    for (DomainInfo info : handles.xc().domainInfos()) {
      Optional<String> state = DomainLayout.state(handles.xs(), info.domid());
      if (state.filter(s -> !s.equals(DomainLayout.STATE_RUNNING)).isPresent()) {
        continue; // shells and half-built domains are the pool's, not guests
      }
      String name =
          info.domid().equals(DomId.DOM0)
              ? "Domain-0"
              : DomainLayout.name(handles.xs(), info.domid()).orElse("(unnamed)");
      OptionalDouble boot = boots.bootMillis(info.domid());
      list.add(
          new Reply.GuestInfo(
              info.domid().value(),
              name,
              (int) (info.totPages() * PhysInfo.PAGE_SIZE >> 20),
              info.onlineVcpus(),
              stateOf(info),
              boot.isPresent() ? boot.getAsDouble() : null));
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
    Map<String, Reply.PoolClass> classes = new java.util.LinkedHashMap<>();
    pool.state()
        .forEach(
            (size, counts) ->
                classes.put(size.toString(), new Reply.PoolClass(counts[0], counts[1])));
    return new Reply.HostInfo(host.totalMib(), host.freeMib(), host.nrCpus(), classes);
  }

  private Reply setPool(Map<String, Integer> targets) {
    for (Map.Entry<String, Integer> target : targets.entrySet()) {
      if (target.getValue() == null || target.getValue() < 0) {
        throw new ChaosException(
            ErrorCode.BAD_REQUEST, "pool target for " + target.getKey() + " must be 0 or more");
      }
    }
    targets.forEach((size, target) -> pool.setTarget(SizeClass.parse(size), target));
    return new Reply.Done("pool targets set: " + targets);
  }

  private synchronized Guest resolve(GuestRef ref) {
    for (Guest guest : guests.values()) {
      if (ref.isDomid() ? guest.domid().value() == ref.domid() : guest.name().equals(ref.text())) {
        return guest;
      }
    }
    if (ref.isDomid() && ref.domid() == 0) {
      throw new ChaosException(ErrorCode.WRONG_STATE, "Domain-0 is not a guest chaos manages");
    }
    throw notFound(ref);
  }

  private static ChaosException notFound(GuestRef ref) {
    return new ChaosException(
        ErrorCode.NOT_FOUND,
        "no chaos guest " + (ref.isDomid() ? "with domid " : "named ") + ref.text());
  }

  private synchronized void forget(Guest guest) {
    guests.remove(guest.domid());
    preserved.remove(guest.domid());
  }

  /** Applies on_poweroff, on_reboot and on_crash to guests that stopped; forgets dead ones. */
  private void checkGuests() {
    List<Guest> known;
    synchronized (this) {
      known = new ArrayList<>(guests.values());
    }
    for (Guest guest : known) {
      Optional<DomainInfo> info = handles.xc().domainInfo(guest.domid());
      if (info.isEmpty() || info.get().dying()) {
        forget(guest);
        factory.removeRemains(guest.domid(), Optional.of(guest.uuid()));
        log.info("{} (domain {}) is gone", guest.name(), guest.domid());
      } else if (info.get().shutdown()) {
        ShutdownReason reason = info.get().shutdownReason().orElse(ShutdownReason.POWEROFF);
        LifecycleAction action =
            switch (reason) {
              case POWEROFF -> guest.onPoweroff();
              case REBOOT -> guest.onReboot();
              case CRASH, WATCHDOG -> guest.onCrash();
              case SUSPEND, SOFT_RESET -> LifecycleAction.PRESERVE;
            };
        apply(guest, reason, action);
      }
    }
  }

  private void apply(Guest guest, ShutdownReason reason, LifecycleAction action) {
    synchronized (this) {
      if (preserved.contains(guest.domid())) {
        return;
      }
    }
    log.info(
        "{} (domain {}) shut down ({}): {}", guest.name(), guest.domid(), reason, action.xlName());
    switch (action) {
      case PRESERVE -> {
        synchronized (this) {
          preserved.add(guest.domid());
        }
      }
      case DESTROY -> {
        forget(guest);
        factory.destroy(guest.domid(), Optional.of(guest.uuid()));
      }
      case RESTART -> {
        forget(guest);
        factory.destroy(guest.domid(), Optional.of(guest.uuid()));
        if (guest.config().isEmpty()) {
          log.warn("cannot restart {}: its config was not kept; destroyed", guest.name());
          return;
        }
        Reply reply =
            handle(
                new Request.Create(
                    org.chaosvm.daemon.protocol.Protocol.VERSION,
                    guest.name(),
                    guest.configText(),
                    false,
                    guest.name()));
        log.info("restarted {}: {}", guest.name(), reply);
      }
    }
  }

  /**
   * At start: adopts running chaos guests and, as {@code owner} (the daemon), destroys orphaned
   * shells and half-built domains.
   */
  private void recover(boolean owner) {
    List<DomainInfo> domains = handles.xc().domainInfos();
    if (owner) {
      Set<DomId> live = new HashSet<>();
      domains.forEach(info -> live.add(info.domid()));
      factory.devices().removeOrphans(live);
    }
    for (DomainInfo info : domains) {
      DomId domid = info.domid();
      if (domid.equals(DomId.DOM0)) {
        continue;
      }
      Optional<String> state = DomainLayout.state(handles.xs(), domid);
      if (state.isEmpty()) {
        continue; // not chaos's
      }
      Optional<java.util.UUID> uuid = DomainLayout.uuid(handles.xs(), domid);
      if (!state.get().equals(DomainLayout.STATE_RUNNING)) {
        if (!owner) {
          continue;
        }
        log.info("destroying domain {} left {} by an earlier daemon", domid, state.get());
        factory.destroy(domid, uuid.or(() -> Optional.of(info.handle())));
        continue;
      }
      guests.put(domid, adopt(domid, uuid.orElse(info.handle())));
      log.info("adopted {} (domain {})", guests.get(domid).name(), domid);
    }
  }

  private Guest adopt(DomId domid, java.util.UUID uuid) {
    String base = DomainLayout.domainPath(domid) + "/chaos/";
    var xs = handles.xs();
    String name = DomainLayout.name(xs, domid).orElse("domain-" + domid);
    String text = xs.read(0, base + "config").orElse("");
    Optional<GuestConfig> config = Optional.empty();
    if (!text.isEmpty()) {
      try {
        config = Optional.of(GuestConfigs.parse(Path.of(name), text));
      } catch (ConfigException e) {
        log.warn("cannot read back {}'s config: {}", name, e.getMessage());
      }
    }
    return new Guest(
        domid,
        uuid,
        name,
        config,
        text,
        action(xs.read(0, base + "on_poweroff"), LifecycleAction.DESTROY),
        action(xs.read(0, base + "on_reboot"), LifecycleAction.RESTART),
        action(xs.read(0, base + "on_crash"), LifecycleAction.DESTROY));
  }

  private static LifecycleAction action(Optional<String> name, LifecycleAction fallback) {
    return name.flatMap(LifecycleAction::fromXlName).orElse(fallback);
  }

  private void destroyShell(Shell shell) {
    factory.destroy(shell.domid(), Optional.of(shell.uuid()));
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
    if (lifecycle != null) {
      lifecycle.close();
    }
    if (pool != null) {
      pool.close();
    }
    boots.close();
    handles.close();
  }
}
