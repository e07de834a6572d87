package org.chaosvm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "create",
    mixinStandardHelpOptions = true,
    description = "Create a guest from an xl.cfg or chaos JSON config.")
final class CreateCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CONFIG", description = "the guest's config file")
  Path config;

  @Option(
      names = {"-p", "--paused"},
      description = "leave the guest paused")
  boolean paused;

  @Option(
      names = {"-c", "--console"},
      description = "attach to its console once created")
  boolean console;

  @Option(
      names = {"-n", "--count"},
      paramLabel = "COUNT",
      description =
          "create COUNT guests from the config, named NAME-1 to NAME-COUNT; stops at the first"
              + " that fails (those created stay)")
  int count = 1;

  @Override
  public Integer call() throws IOException, InterruptedException, DaemonClient.Unreachable {
    String text;
    try {
      if (Files.size(config) > Protocol.MAX_CONFIG_BYTES) {
        throw configError(
            "larger than " + Protocol.MAX_CONFIG_BYTES + " bytes: not a guest config");
      }
      text = Files.readString(config);
    } catch (NoSuchFileException e) {
      throw configError("no such file");
    } catch (IOException e) {
      throw configError("cannot read: " + e.getMessage());
    }
    if (count < 1) {
      throw new ParameterException(spec.commandLine(), "--count must be 1 or more");
    }
    if (count > 1 && console) {
      throw new ParameterException(
          spec.commandLine(), "--console attaches to one guest, not " + count);
    }
    for (int i = 1; i <= count; i++) {
      Integer instance = count == 1 ? null : i; // the daemon names it NAME-i
      Reply reply =
          connection.send(
              new Request.Create(Protocol.VERSION, config.toString(), text, paused, instance));
      Output.print(
          reply, connection.json, spec.commandLine().getOut(), spec.commandLine().getErr());
      if (console && reply instanceof Reply.Created created) {
        return ConsoleCommand.attach(connection, Integer.toString(created.domid()), spec);
      }
    }
    return ExitCodes.OK;
  }

  private ExitCodes.Failure configError(String problem) {
    return new ExitCodes.Failure(ErrorCode.CONFIG, config + ": " + problem, false);
  }
}
