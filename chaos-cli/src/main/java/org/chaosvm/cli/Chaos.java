package org.chaosvm.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code chaos}: create, run and tear down Xen guests through chaos-daemon. */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    versionProvider = Chaos.Version.class,
    description = "Create, run and tear down Xen PV guests, fast (through chaos-daemon).",
    exitCodeListHeading = "%nExit codes:%n")
public final class Chaos implements Runnable {
  /**
   * The subcommands, by name, in the help's order. Only the one invoked is given to picocli, which
   * builds each command's model by reflection: building all of them was most of a command's start.
   * The help, a mistyped command and completion get them all.
   */
  private static final Map<String, Class<?>> COMMANDS = new LinkedHashMap<>();

  /**
   * picocli's property naming built-in converters not to register. Its java.time and java.sql
   * converters are registered by reflection, some 100 classes at every start; no option of chaos
   * has such a type.
   */
  private static final String CONVERTERS_EXCLUDES = "picocli.converters.excludes";

  static {
    if (System.getProperty(CONVERTERS_EXCLUDES) == null) {
      System.setProperty(CONVERTERS_EXCLUDES, "java\\.time\\..*|java\\.sql\\..*");
    }
    COMMANDS.put("create", CreateCommand.class);
    COMMANDS.put("destroy", DestroyCommand.class);
    COMMANDS.put("shutdown", ShutdownCommand.class);
    COMMANDS.put("reboot", RebootCommand.class);
    COMMANDS.put("list", ListCommand.class);
    COMMANDS.put("pause", PauseCommand.class);
    COMMANDS.put("unpause", UnpauseCommand.class);
    COMMANDS.put("console", ConsoleCommand.class);
    COMMANDS.put("info", InfoCommand.class);
    COMMANDS.put("pool", PoolCommand.class);
    COMMANDS.put("network-attach", DeviceCommands.NetworkAttach.class);
    COMMANDS.put("network-detach", DeviceCommands.NetworkDetach.class);
    COMMANDS.put("network-list", DeviceCommands.NetworkList.class);
    COMMANDS.put("block-attach", DeviceCommands.BlockAttach.class);
    COMMANDS.put("block-detach", DeviceCommands.BlockDetach.class);
    COMMANDS.put("block-list", DeviceCommands.BlockList.class);
    COMMANDS.put("save", CheckpointCommands.Save.class);
    COMMANDS.put("restore", CheckpointCommands.Restore.class);
    COMMANDS.put("migrate", MigrateCommands.Migrate.class);
    COMMANDS.put("migrate-receive", MigrateCommands.Receive.class);
    COMMANDS.put("generate-completion", AutoComplete.GenerateCompletion.class);
  }

  @Spec CommandSpec spec;

  /**
   * The command line for {@code args}: with the one subcommand they name, none for the version,
   * else all (for the help, a mistake, completion).
   */
  static CommandLine commandLine(String... args) {
    CommandLine line = new CommandLine(new Chaos());
    String first = args.length > 0 ? args[0] : "";
    Class<?> named = COMMANDS.get(first);
    if (named != null && !first.equals("generate-completion")) {
      line.addSubcommand(first, named);
    } else if (!first.equals("--version") && !first.equals("-V")) {
      for (Map.Entry<String, Class<?>> command : COMMANDS.entrySet()) {
        line.addSubcommand(command.getKey(), command.getValue());
      }
    }
    return line;
  }

  /** The whole command, every subcommand with it: for the manual page and completion. */
  public static CommandLine fullCommandLine() {
    CommandLine line = commandLine("--help");
    line.getCommandSpec().usageMessage().exitCodeList(exitCodeList());
    return line;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Chaos.class.getPackage().getImplementationVersion();
      return new String[] {"chaos " + (version == null ? "(development build)" : version)};
    }
  }

  /** Logback's property naming its config; the daemon's own config would log to stdout. */
  private static final String LOGBACK_CONFIG = "logback.configurationFile";

  /** The input of the command running on each thread, when it is not System.in (tests). */
  private static final ThreadLocal<InputStream> INPUT = new ThreadLocal<>();

  /** What the running command reads its input from ({@code chaos console}). */
  static InputStream input() {
    InputStream in = INPUT.get();
    return in == null ? System.in : in;
  }

  /** {@link #run(PrintWriter, PrintWriter, String...)} reading its input from {@code in}. */
  static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
    INPUT.set(in);
    try {
      return run(out, err, args);
    } finally {
      INPUT.remove();
    }
  }

  /** Runs {@code chaos ARGS}, printing to {@code out} and {@code err}; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine line = commandLine(args);
    line.setOut(out);
    line.setErr(err);
    line.getCommandSpec().usageMessage().exitCodeList(exitCodeList());
    line.setExitCodeExceptionMapper(new ExitCodes());
    line.setExecutionExceptionHandler(new FailureHandler(err));
    int code = line.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /**
   * Prints a failure as "chaos: MESSAGE" (unless the reply was printed already) and gives the exit
   * code {@link ExitCodes} maps it to. A class, not a lambda: the first lambda of a JVM costs some
   * 20 ms of start-up, which a short command notices.
   */
  private static final class FailureHandler implements CommandLine.IExecutionExceptionHandler {
    private final PrintWriter err;

    FailureHandler(PrintWriter err) {
      this.err = err;
    }

    @Override
    public int handleExecutionException(
        Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
      if (!(e instanceof ExitCodes.Failure failure && failure.shown)) {
        err.println("chaos: " + e.getMessage());
      }
      return cmd.getExitCodeExceptionMapper().getExitCode(e);
    }
  }

  /** {@link ExitCodes#HELP} as picocli's exit code list: code to description, in order. */
  private static Map<String, String> exitCodeList() {
    Map<String, String> list = new LinkedHashMap<>();
    for (String entry : ExitCodes.HELP) {
      int colon = entry.indexOf(':');
      list.put(entry.substring(0, colon), entry.substring(colon + 1));
    }
    return list;
  }

  public static void main(String[] args) {
    if (System.getProperty(LOGBACK_CONFIG) == null) {
      System.setProperty(LOGBACK_CONFIG, "org/chaosvm/cli/logback-cli.xml");
    }
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }
}
