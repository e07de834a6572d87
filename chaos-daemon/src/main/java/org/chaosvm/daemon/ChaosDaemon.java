package org.chaosvm.daemon;

import java.nio.file.Path;
import java.util.ArrayList;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code chaos-daemon}: the long-running half of the split toolstack, run by systemd on Dom0. Its
 * options ({@link DaemonCommand}) come from the command line and from {@code --config FILE}.
 *
 * <p>Stops on SIGTERM (systemd's stop) or SIGINT: destroys its shells, leaves guests running.
 */
public final class ChaosDaemon {
  private static final Logger log = LoggerFactory.getLogger(ChaosDaemon.class);

  /** picocli's java.time and java.sql converters, some 100 classes: no option has such a type. */
  private static final String CONVERTERS_EXCLUDES = "picocli.converters.excludes";

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
      MemberPolicy members,
      Optional<String> logLevel) {
    XenEngine.Settings engine() {
      return new XenEngine.Settings(
          pool, devices, stateDir, logDir, xenstore, members, limits.idle());
    }

    /** The settings as chaos-daemon.conf(5) would give them, for --check-config. */
    String describe() {
      StringBuilder out = new StringBuilder();
      out.append("socket = ").append(socket).append('\n');
      group.ifPresent(g -> out.append("group = ").append(g).append('\n'));
      pool.forEach(
          (size, count) ->
              out.append("pool = ").append(size).append('=').append(count).append('\n'));
      out.append("dev-method = ").append(devices.word()).append('\n');
      out.append("no-xenstore = ").append(!xenstore).append('\n');
      out.append("state-dir = ").append(stateDir).append('\n');
      out.append("log-dir = ").append(logDir).append('\n');
      logLevel.ifPresent(l -> out.append("log-level = ").append(l).append('\n'));
      out.append("max-connections = ").append(limits.connections()).append('\n');
      out.append("max-connections-per-user = ").append(limits.perUser()).append('\n');
      out.append("idle-timeout = ").append(limits.idle().toSeconds()).append('\n');
      out.append("worker-keepalive = ").append(limits.keepAlive().toSeconds()).append('\n');
      out.append("member-pool-cap = ").append(members.memberPoolCap()).append('\n');
      members
          .memberBlockDevices()
          .forEach(g -> out.append("member-block-device = ").append(g).append('\n'));
      members.memberBridges().forEach(g -> out.append("member-bridge = ").append(g).append('\n'));
      return out.toString();
    }
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty(CONVERTERS_EXCLUDES) == null) {
      System.setProperty(CONVERTERS_EXCLUDES, "java\\.time\\..*|java\\.sql\\..*");
    }
    CommandLine line = commandLine();
    Options options;
    try {
      CommandLine.ParseResult parsed = parse(line, args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        System.exit(0);
        return;
      }
      DaemonCommand command = parsed.commandSpec().commandLine().getCommand();
      options = command.options();
      if (command.checkConfig) {
        System.out.print(options.describe());
        System.out.println("chaos-daemon: the settings are valid");
        System.exit(0);
        return;
      }
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      System.err.println("chaos-daemon: " + e.getMessage());
      System.err.println("Try 'chaos-daemon --help' for the options.");
      System.exit(2);
      return;
    }
    options.logLevel().ifPresent(LogSetup::setLevel);
    log.info(
        "chaos-daemon {} starting (pid {}, Java {})",
        Versions.of(ChaosDaemon.class),
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
                  SystemdNotify.send("STOPPING=1");
                  server.close();
                  engine.close();
                  stopped.countDown();
                },
                "stop"));
    log.info("chaos-daemon ready (pool targets {})", options.pool());
    SystemdNotify.send("READY=1\nSTATUS=serving " + options.socket());
    stopped.await();
  }

  /** The settings a configuration file may give: the daemon's options, by key and description. */
  public static List<OptionSpec> fileSettings() {
    return ConfigFile.settings(commandLine().getCommandSpec());
  }

  /** The daemon's command: its options, for the parse, the help and the manual pages. */
  public static CommandLine commandLine() {
    return new CommandLine(new DaemonCommand()).setOverwrittenOptionsAllowed(true);
  }

  /**
   * Parses {@code args}, and before them the file {@code --config} names: a first pass finds the
   * file, a second reads its settings and then the command line's into a fresh command.
   */
  static CommandLine.ParseResult parse(CommandLine line, String[] args) {
    CommandLine.ParseResult first = line.parseArgs(args);
    Path config = line.<DaemonCommand>getCommand().config;
    if (config == null || first.isUsageHelpRequested() || first.isVersionHelpRequested()) {
      return first;
    }
    List<String> all = new ArrayList<>(ConfigFile.arguments(config, line.getCommandSpec()));
    all.addAll(List.of(args));
    CommandLine again = commandLine();
    return again.parseArgs(all.toArray(String[]::new));
  }

  /** The daemon's settings from {@code args} (and the file they name), checked. */
  static Options parse(String[] args) {
    CommandLine line = commandLine();
    try {
      CommandLine.ParseResult parsed = parse(line, args);
      return parsed.commandSpec().commandLine().<DaemonCommand>getCommand().options();
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
