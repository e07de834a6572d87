package org.chaosvm.cli;

import java.util.List;
import org.chaosvm.protocol.DeviceKind;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * xl's device commands on a running guest: {@code network-attach/-detach/-list} and {@code
 * block-attach/-detach/-list}, with xl's arguments.
 */
final class DeviceCommands {
  private DeviceCommands() {}

  /** An attach: the device's settings as separate words, joined as xl joins them. */
  abstract static class Attach extends GuestCommand {
    abstract DeviceKind kind();

    abstract List<String> settings();

    @Override
    Request request(GuestRef ref) {
      return new Request.AttachDevice(Protocol.VERSION, ref, kind(), String.join(",", settings()));
    }
  }

  abstract static class Detach extends GuestCommand {
    @Option(
        names = {"-f", "--force"},
        description = "remove the device even if the guest does not give it back")
    boolean force;

    abstract DeviceKind kind();

    abstract String device();

    @Override
    Request request(GuestRef ref) {
      return new Request.DetachDevice(Protocol.VERSION, ref, kind(), device(), force);
    }
  }

  @Command(
      name = "network-attach",
      mixinStandardHelpOptions = true,
      description = "Attach a network interface to a running guest.")
  static final class NetworkAttach extends Attach {
    @Parameters(
        index = "1..*",
        arity = "0..*",
        paramLabel = "KEY=VALUE",
        description = "the vif's settings as in xl.cfg: mac, bridge, ip, vifname, rate, mtu")
    List<String> settings = List.of();

    @Override
    DeviceKind kind() {
      return DeviceKind.NETWORK;
    }

    @Override
    List<String> settings() {
      return settings;
    }
  }

  @Command(
      name = "network-detach",
      mixinStandardHelpOptions = true,
      description = "Detach a network interface from a running guest.")
  static final class NetworkDetach extends Detach {
    @Parameters(index = "1", paramLabel = "DEVID|MAC", description = "the interface")
    String device;

    @Override
    DeviceKind kind() {
      return DeviceKind.NETWORK;
    }

    @Override
    String device() {
      return device;
    }
  }

  @Command(
      name = "network-list",
      mixinStandardHelpOptions = true,
      description = "List a guest's network interfaces.")
  static final class NetworkList extends GuestCommand {
    @Override
    Request request(GuestRef ref) {
      return new Request.ListDevices(Protocol.VERSION, ref, DeviceKind.NETWORK);
    }
  }

  @Command(
      name = "block-attach",
      mixinStandardHelpOptions = true,
      description = "Attach a disk to a running guest.")
  static final class BlockAttach extends Attach {
    @Parameters(
        index = "1..*",
        arity = "1..*",
        paramLabel = "DISK-SPEC",
        description =
            "the disk as in xl.cfg, whole or in parts: TARGET,FORMAT,VDEV,ACCESS or target=,"
                + " vdev=, access=")
    List<String> settings;

    @Override
    DeviceKind kind() {
      return DeviceKind.BLOCK;
    }

    @Override
    List<String> settings() {
      return settings;
    }
  }

  @Command(
      name = "block-detach",
      mixinStandardHelpOptions = true,
      description = "Detach a disk from a running guest.")
  static final class BlockDetach extends Detach {
    @Parameters(index = "1", paramLabel = "VDEV|DEVID", description = "the disk")
    String device;

    @Override
    DeviceKind kind() {
      return DeviceKind.BLOCK;
    }

    @Override
    String device() {
      return device;
    }
  }

  @Command(
      name = "block-list",
      mixinStandardHelpOptions = true,
      description = "List a guest's disks.")
  static final class BlockList extends GuestCommand {
    @Override
    Request request(GuestRef ref) {
      return new Request.ListDevices(Protocol.VERSION, ref, DeviceKind.BLOCK);
    }
  }
}
