package org.chaosvm.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.engine.MemberPolicy;
import org.chaosvm.daemon.engine.SizeClass;
import org.chaosvm.daemon.engine.XenEngine;
import org.chaosvm.daemon.server.SocketServer;
import org.chaosvm.protocol.Protocol;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * chaos-daemon's options, as picocli reads them from the command line and from a configuration file
 * ({@link ConfigFile}: each long option is a setting of the same name). Their descriptions are the
 * help's, chaos-daemon(8)'s and chaos-daemon.conf(5)'s.
 */
@Command(
    name = "chaos-daemon",
    mixinStandardHelpOptions = true,
    versionProvider = Versions.Daemon.class,
    sortOptions = false,
    usageHelpAutoWidth = false,
    description = {
      "The long-running half of chaos's split toolstack, on a Xen Dom0: it keeps a pool of"
          + " prepared VM shells, serves the chaos command on a Unix socket, owns the guests' life"
          + " cycle and adopts running guests when it restarts.",
      "",
      "It stops on SIGTERM (systemd's stop) or SIGINT: it destroys its shells and leaves the"
          + " guests running. Under systemd (Type=notify) it reports READY=1 once it serves its"
          + " socket."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:stopped by SIGTERM or SIGINT; --check-config: the settings are valid",
      "1:cannot start (Xen, the state directory, the socket)",
      "2:bad options or configuration file",
      "3:out of memory (then systemd's Restart= starts a fresh daemon)"
    })
final class DaemonCommand {
  static final String POOL_FORM =
      "--pool takes MEMORYxVCPUS[:noxs]=COUNT, e.g. 256x1=4 or 4x1:noxs=8";

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Read settings from FILE (chaos-daemon.conf(5)) before the command line's options; a"
              + " setting on the command line wins, and list settings add up. The package's unit"
              + " gives /etc/chaos/chaos-daemon.conf.")
  Path config;

  @Option(
      names = "--check-config",
      description = "Check the settings (file and options), print them and exit: 0 when valid.")
  boolean checkConfig;

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description = "The Unix socket the chaos command talks to (default: ${DEFAULT-VALUE}).")
  Path socket = Protocol.DEFAULT_SOCKET;

  @Option(
      names = "--group",
      paramLabel = "GROUP",
      description =
          "Give the socket to GROUP (mode 0660), whose members may then use chaos within the"
              + " limits of the --member-* settings; without it only root may.")
  String group;

  @Option(
      names = "--pool",
      paramLabel = "MEMORYxVCPUS[:noxs]=COUNT",
      description =
          "Keep COUNT prepared shells of MEMORY MiB and VCPUS vCPUs (with ':noxs', noxs shells),"
              + " e.g. 256x1=4; repeatable, one per size class.")
  List<String> pool = new ArrayList<>();

  @Option(
      names = "--dev-method",
      paramLabel = "xenstore|noxs",
      description =
          "The device mechanism of guests whose config does not name one (default: xenstore, or"
              + " noxs with --no-xenstore).")
  String devMethod;

  @Option(
      names = "--no-xenstore",
      description =
          "Run with no xenstored in Dom0: serve noxs guests only, keep their records on disk.")
  boolean noXenstore;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "Where the daemon keeps its guests' records (default: ${DEFAULT-VALUE}).")
  Path stateDir = XenEngine.DEFAULT_STATE_DIR;

  @Option(
      names = "--log-dir",
      paramLabel = "DIR",
      description = "Where noxs guests' console logs go (default: ${DEFAULT-VALUE}).")
  Path logDir = XenEngine.DEFAULT_LOG_DIR;

  @Option(
      names = "--log-level",
      paramLabel = "LEVEL",
      description =
          "error, warn, info, debug or trace (default: the environment's CHAOS_LOG_LEVEL, else"
              + " info). The log goes to standard output, under systemd to the journal; each"
              + " line starts with its time, except in the journal, which keeps its own.")
  String logLevel;

  @Option(
      names = "--max-connections",
      paramLabel = "N",
      description = "Clients served at once; more are answered BUSY (default: ${DEFAULT-VALUE}).")
  int maxConnections = SocketServer.Limits.DEFAULT.connections();

  @Option(
      names = "--max-connections-per-user",
      paramLabel = "N",
      description = "Clients of one user other than root at once (default: ${DEFAULT-VALUE}).")
  int maxConnectionsPerUser = SocketServer.Limits.DEFAULT.perUser();

  @Option(
      names = "--idle-timeout",
      paramLabel = "SECONDS",
      description =
          "Close a connection that sends no whole request for this long, and give up a"
              + " migration's incoming image that stands still as long (default:"
              + " ${DEFAULT-VALUE}).")
  int idleTimeout = (int) SocketServer.Limits.DEFAULT.idle().toSeconds();

  @Option(
      names = "--worker-keepalive",
      paramLabel = "SECONDS",
      description = "How long an idle worker thread waits for work (default: ${DEFAULT-VALUE}).")
  int workerKeepalive = (int) SocketServer.Limits.DEFAULT.keepAlive().toSeconds();

  @Option(
      names = "--member-pool-cap",
      paramLabel = "N",
      description =
          "The highest pool target a member of the socket's group may set (default:"
              + " ${DEFAULT-VALUE}).")
  int memberPoolCap = MemberPolicy.DEFAULT.memberPoolCap();

  @Option(
      names = "--member-block-device",
      paramLabel = "GLOB",
      description =
          "Dom0 block devices (a glob of paths under /dev) members may give their guests;"
              + " repeatable; none by default.")
  List<String> memberBlockDevices = new ArrayList<>();

  @Option(
      names = "--member-bridge",
      paramLabel = "GLOB",
      description =
          "Bridges (a name or a glob of names) members' vifs may join; repeatable; none by"
              + " default.")
  List<String> memberBridges = new ArrayList<>();

  /** The options checked and turned into the daemon's settings. */
  ChaosDaemon.Options options() {
    Map<SizeClass, Integer> targets = new LinkedHashMap<>();
    for (String value : pool) {
      String[] parts = value.split("=");
      if (parts.length != 2) {
        throw new IllegalArgumentException(POOL_FORM);
      }
      try {
        targets.put(SizeClass.parse(parts[0]), Integer.parseInt(parts[1]));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(POOL_FORM);
      }
    }
    Optional<DeviceMechanism> devices = Optional.empty();
    if (devMethod != null) {
      devices =
          Optional.of(
              DeviceMechanism.parse(devMethod)
                  .orElseThrow(
                      () ->
                          new IllegalArgumentException(
                              "--dev-method takes xenstore or noxs, not " + devMethod)));
    }
    boolean xenstore = !noXenstore;
    if (!xenstore) {
      if (devices.filter(d -> d != DeviceMechanism.NOXS).isPresent()) {
        throw new IllegalArgumentException(
            "--no-xenstore serves noxs guests only: no --dev-method " + devices.get().word());
      }
      for (SizeClass size : targets.keySet()) {
        if (size.devices() != DeviceMechanism.NOXS) {
          throw new IllegalArgumentException(
              "--no-xenstore serves noxs guests only: pool " + size + ":noxs, not " + size);
        }
      }
    }
    if (logLevel != null && !LogSetup.isLevel(logLevel)) {
      throw new IllegalArgumentException(
          "--log-level takes error, warn, info, debug or trace, not " + logLevel);
    }
    SocketServer.Limits limits =
        new SocketServer.Limits(
            positive("--max-connections", maxConnections),
            positive("--max-connections-per-user", maxConnectionsPerUser),
            Duration.ofSeconds(positive("--idle-timeout", idleTimeout)),
            Duration.ofSeconds(positive("--worker-keepalive", workerKeepalive)));
    if (memberPoolCap < 0) {
      throw new IllegalArgumentException(
          "--member-pool-cap takes a whole number, 0 or more, not " + memberPoolCap);
    }
    MemberPolicy members = members();
    DeviceMechanism byDefault =
        devices.orElse(xenstore ? DeviceMechanism.XENSTORE : DeviceMechanism.NOXS);
    return new ChaosDaemon.Options(
        socket,
        Optional.ofNullable(group),
        targets,
        limits,
        byDefault,
        stateDir,
        logDir,
        xenstore,
        members,
        Optional.ofNullable(logLevel));
  }

  private MemberPolicy members() {
    for (String glob : memberBlockDevices) {
      if (!glob.startsWith("/dev/")) {
        throw new IllegalArgumentException(
            "--member-block-device takes a glob of paths under /dev, not " + glob);
      }
      checkGlob("--member-block-device", glob);
    }
    for (String glob : memberBridges) {
      if (glob.isEmpty() || glob.contains("/")) {
        throw new IllegalArgumentException(
            "--member-bridge takes a bridge's name or a glob of names, not " + glob);
      }
      checkGlob("--member-bridge", glob);
    }
    return new MemberPolicy(memberPoolCap, memberBlockDevices, memberBridges);
  }

  /** A glob that cannot be compiled, named by its option. */
  private static void checkGlob(String option, String glob) {
    try {
      MemberPolicy.checkGlob(glob);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }

  private static int positive(String option, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(option + " takes a whole number above 0, not " + value);
    }
    return value;
  }
}
