package org.chaosvm.cli;

import java.io.PrintWriter;
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
    subcommands = {
      CreateCommand.class,
      DestroyCommand.class,
      ShutdownCommand.class,
      RebootCommand.class,
      ListCommand.class,
      PauseCommand.class,
      UnpauseCommand.class,
      ConsoleCommand.class,
      InfoCommand.class,
      PoolCommand.class,
      DeviceCommands.NetworkAttach.class,
      DeviceCommands.NetworkDetach.class,
      DeviceCommands.NetworkList.class,
      DeviceCommands.BlockAttach.class,
      DeviceCommands.BlockDetach.class,
      DeviceCommands.BlockList.class,
      AutoComplete.GenerateCompletion.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ok",
      "1:failure",
      "2:usage",
      "3:config error",
      "4:guest not found",
      "5:daemon unreachable",
      "6:no capacity",
      "7:name exists",
      "8:permission denied on the daemon's socket",
      "9:daemon busy (as many connections as it serves)"
    })
public final class Chaos implements Runnable {
  @Spec CommandSpec spec;

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

  /** Runs {@code chaos ARGS}, printing to {@code out} and {@code err}; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine line = new CommandLine(new Chaos());
    line.setOut(out);
    line.setErr(err);
    line.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          err.println("chaos: " + e.getMessage());
          return ExitCodes.FAILURE;
        });
    int code = line.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  public static void main(String[] args) {
    if (System.getProperty(LOGBACK_CONFIG) == null) {
      System.setProperty(LOGBACK_CONFIG, "org/chaosvm/cli/logback-cli.xml");
    }
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }
}
