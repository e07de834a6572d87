package org.chaosvm.daemon.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a guest config file in either format: JSON when it starts with '{', else xl.cfg. */
public final class GuestConfigs {
  /** Larger files are refused: a guest config is a few hundred bytes. */
  public static final long MAX_SIZE = org.chaosvm.protocol.Protocol.MAX_CONFIG_BYTES;

  private GuestConfigs() {}

  public static GuestConfig read(Path file) throws ConfigException {
    String text;
    try {
      if (Files.size(file) > MAX_SIZE) {
        throw new ConfigException(
            file, 0, 0, "the file is larger than " + MAX_SIZE + " bytes: not a guest config");
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file, 0, 0, "no such file");
    } catch (IOException e) {
      throw new ConfigException(file, 0, 0, "cannot read: " + e.getMessage(), e);
    }
    return parse(file, text);
  }

  public static GuestConfig parse(Path file, String text) throws ConfigException {
    GuestConfig config =
        text.stripLeading().startsWith("{")
            ? ChaosJsonReader.read(file, text)
            : XlConfigReader.read(file, text);
    DeviceSpecs.checkUnique(file, config.vifs(), config.disks());
    return config;
  }

  /**
   * A network interface given in xl's vif syntax outside a config ({@code chaos network-attach}):
   * {@code source} names where it came from in errors.
   */
  public static VifSpec vif(String source, String spec) throws ConfigException {
    return DeviceSpecs.vif(Path.of(source), 0, 0, spec);
  }

  /** A disk given in xl's disk syntax outside a config ({@code chaos block-attach}). */
  public static DiskSpec disk(String source, String spec) throws ConfigException {
    return DeviceSpecs.disk(Path.of(source), 0, 0, spec);
  }
}
