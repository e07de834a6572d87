package org.chaosvm.daemon.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a guest config file in either format: JSON when it starts with '{', else xl.cfg. */
public final class GuestConfigs {
  /** Larger files are refused: a guest config is a few hundred bytes. */
  public static final long MAX_SIZE = 1 << 20;

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
    return text.stripLeading().startsWith("{")
        ? ChaosJsonReader.read(file, text)
        : XlConfigReader.read(file, text);
  }
}
