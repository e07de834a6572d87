package org.chaosvm.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.engine.ChaosException;
import org.chaosvm.daemon.engine.MemberPolicy;
import org.chaosvm.daemon.engine.SizeClass;
import org.chaosvm.daemon.engine.XenEngine;
import org.chaosvm.daemon.server.SocketServer;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code chaos-daemon}: the long-running half of the split toolstack, run by systemd on Dom0.
 *
 * <pre>
 * chaos-daemon [--socket PATH] [--group GROUP] [--pool MEMORYxVCPUS[:noxs]=COUNT]...
 *              [--max-connections N] [--max-connections-per-user N] [--idle-timeout SECONDS]
 *              [--worker-keepalive SECONDS]
 *              [--dev-method xenstore|noxs] [--state-dir DIR] [--log-dir DIR] [--no-xenstore]
 *              [--member-pool-cap N] [--member-block-device GLOB]... [--member-bridge GLOB]...
 * </pre>
 *
 * Stops on SIGTERM (systemd's stop) or SIGINT: destroys its shells, leaves guests running.
 */
public final class ChaosDaemon {
  private static final Logger log = LoggerFactory.getLogger(ChaosDaemon.class);

  private ChaosDaemon() {}

  record Options(
      Path socket,
      Optional<String> group,
      Map<SizeClass, Integer> pool,
      SocketServer.Limits limits,
      DeviceMechanism devices,
      Path stateDir,
      Path logDir,
      boolean xenstore,
      MemberPolicy members) {
    XenEngine.Settings engine() {
      return new XenEngine.Settings(pool, devices, stateDir, logDir, xenstore, members);
    }
  }

  private static final String POOL_FORM =
      "--pool takes MEMORYxVCPUS[:noxs]=COUNT, e.g. 256x1=4 or 4x1:noxs=8";

  private static final String USAGE =
      "usage: chaos-daemon [--socket PATH] [--group GROUP] [--pool MEMORYxVCPUS[:noxs]=COUNT]...\n"
          + "                    [--max-connections N] [--max-connections-per-user N]"
          + " [--idle-timeout SECONDS]\n"
          + "                    [--worker-keepalive SECONDS]\n"
          + "                    [--dev-method xenstore|noxs] [--state-dir DIR] [--log-dir DIR]"
          + " [--no-xenstore]\n"
          + "                    [--member-pool-cap N] [--member-block-device GLOB]..."
          + " [--member-bridge GLOB]...";

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("chaos-daemon: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    log.info(
        "chaos-daemon starting (pid {}, Java {})",
        ProcessHandle.current().pid(),
        Runtime.version());
    CountDownLatch stopped = new CountDownLatch(1);
    XenEngine engine;
    try {
      engine = XenEngine.start(options.engine());
    } catch (ChaosException | XenException e) {
      log.error("cannot start: {}", e.getMessage());
      System.exit(1);
      return;
    }
    SocketServer server;
    try {
      server = SocketServer.start(options.socket(), options.group(), engine, options.limits());
    } catch (Exception e) {
      engine.close();
      log.error("cannot listen on {}: {}", options.socket(), e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("stopping");
                  server.close();
                  engine.close();
                  stopped.countDown();
                },
                "stop"));
    log.info("chaos-daemon ready (pool targets {})", options.pool());
    stopped.await();
  }

  static Options parse(String[] args) {
    Path socket = Protocol.DEFAULT_SOCKET;
    Optional<String> group = Optional.empty();
    Map<SizeClass, Integer> pool = new LinkedHashMap<>();
    SocketServer.Limits limits = SocketServer.Limits.DEFAULT;
    Optional<DeviceMechanism> devices = Optional.empty();
    boolean xenstore = true;
    Path stateDir = XenEngine.DEFAULT_STATE_DIR;
    Path logDir = XenEngine.DEFAULT_LOG_DIR;
    int memberPoolCap = MemberPolicy.DEFAULT.memberPoolCap();
    List<String> memberBlockDevices = new ArrayList<>();
    List<String> memberBridges = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new IllegalArgumentException("options:");
      }
      if (arg.equals("--no-xenstore")) {
        xenstore = false;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("unknown option or missing value: " + arg);
      }
      String value = args[++i];
      switch (arg) {
        case "--socket" -> socket = Path.of(value);
        case "--group" -> group = Optional.of(value);
        case "--pool" -> {
          String[] parts = value.split("=");
          if (parts.length != 2) {
            throw new IllegalArgumentException(POOL_FORM);
          }
          try {
            pool.put(SizeClass.parse(parts[0]), Integer.parseInt(parts[1]));
          } catch (RuntimeException e) {
            throw new IllegalArgumentException(POOL_FORM);
          }
        }
        case "--dev-method" ->
            devices =
                Optional.of(
                    DeviceMechanism.parse(value)
                        .orElseThrow(
                            () ->
                                new IllegalArgumentException(
                                    "--dev-method takes xenstore or noxs, not " + value)));
        case "--state-dir" -> stateDir = Path.of(value);
        case "--member-pool-cap" -> memberPoolCap = atLeastZero(arg, value);
        case "--member-block-device" -> {
          if (!value.startsWith("/dev/")) {
            throw new IllegalArgumentException(
                "--member-block-device takes a glob of paths under /dev, not " + value);
          }
          memberBlockDevices.add(value);
        }
        case "--member-bridge" -> {
          if (value.isEmpty() || value.contains("/")) {
            throw new IllegalArgumentException(
                "--member-bridge takes a bridge's name or a glob of names, not " + value);
          }
          memberBridges.add(value);
        }
        case "--log-dir" -> logDir = Path.of(value);
        case "--max-connections" ->
            limits =
                new SocketServer.Limits(
                    positive(arg, value), limits.perUser(), limits.idle(), limits.keepAlive());
        case "--max-connections-per-user" ->
            limits =
                new SocketServer.Limits(
                    limits.connections(), positive(arg, value), limits.idle(), limits.keepAlive());
        case "--idle-timeout" ->
            limits =
                new SocketServer.Limits(
                    limits.connections(),
                    limits.perUser(),
                    Duration.ofSeconds(positive(arg, value)),
                    limits.keepAlive());
        case "--worker-keepalive" ->
            limits =
                new SocketServer.Limits(
                    limits.connections(),
                    limits.perUser(),
                    limits.idle(),
                    Duration.ofSeconds(positive(arg, value)));
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    if (!xenstore) {
      if (devices.filter(d -> d != DeviceMechanism.NOXS).isPresent()) {
        throw new IllegalArgumentException(
            "--no-xenstore serves noxs guests only: no --dev-method " + devices.get().word());
      }
      for (SizeClass size : pool.keySet()) {
        if (size.devices() != DeviceMechanism.NOXS) {
          throw new IllegalArgumentException(
              "--no-xenstore serves noxs guests only: pool " + size + ":noxs, not " + size);
        }
      }
    }
    DeviceMechanism byDefault =
        devices.orElse(xenstore ? DeviceMechanism.XENSTORE : DeviceMechanism.NOXS);
    MemberPolicy members;
    try {
      members = new MemberPolicy(memberPoolCap, memberBlockDevices, memberBridges);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "--member-block-device or --member-bridge: " + e.getMessage());
    }
    return new Options(socket, group, pool, limits, byDefault, stateDir, logDir, xenstore, members);
  }

  private static int atLeastZero(String option, String value) {
    try {
      int number = Integer.parseInt(value);
      if (number >= 0) {
        return number;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(option + " takes a whole number, 0 or more, not " + value);
  }

  private static int positive(String option, String value) {
    try {
      int number = Integer.parseInt(value);
      if (number > 0) {
        return number;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(option + " takes a whole number above 0, not " + value);
  }
}
