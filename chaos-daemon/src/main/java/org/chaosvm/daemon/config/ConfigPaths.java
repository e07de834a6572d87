package org.chaosvm.daemon.config;

import java.nio.file.Path;

/**
 * The files a config names (kernel, ramdisk), checked before they become paths: no NUL (which a
 * path cannot hold, and which would fail later as an internal error), and absolute. The daemon
 * reads them, so a relative path would be read from the daemon's own working directory, not from
 * the folder the sysadmin had in mind: it is refused, with the key and the value.
 */
final class ConfigPaths {
  private ConfigPaths() {}

  static Path of(Path file, int line, int column, String key, String text) throws ConfigException {
    if (text.isEmpty()) {
      throw new ConfigException(file, line, column, key + " is empty: give the file's path");
    }
    if (text.indexOf('\0') >= 0) {
      throw new ConfigException(file, line, column, key + " holds a NUL character: not a path");
    }
    Path path = Path.of(text);
    if (!path.isAbsolute()) {
      throw new ConfigException(
          file,
          line,
          column,
          key
              + " '"
              + text
              + "' is a relative path, which chaos-daemon would read from its own working"
              + " directory: give an absolute path");
    }
    return path;
  }
}
