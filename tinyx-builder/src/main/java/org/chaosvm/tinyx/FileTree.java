package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The root file system being assembled: absolute paths in the image, each a directory, a regular
 * file (from a host file or generated), a symbolic link or a device node, with the package or
 * reason it came from. Paths are kept in merged-/usr form ({@code /bin}, {@code /sbin}, {@code
 * /lib} and {@code /lib64} are links into {@code /usr}), as on a Debian bookworm system.
 */
final class FileTree {

  /** What an entry is. */
  enum Type {
    DIRECTORY,
    FILE,
    SYMLINK,
    CHAR_DEVICE
  }

  /**
   * One entry: {@code source} is the host file of a FILE (or null with {@code content}), {@code
   * target} the link target of a SYMLINK; {@code mode} holds the permission bits (with setuid and
   * such).
   */
  record Entry(
      String path,
      Type type,
      int mode,
      Path source,
      byte[] content,
      String target,
      int rdevMajor,
      int rdevMinor,
      String origin) {

    long size() throws IOException {
      return switch (type) {
        case FILE -> source != null ? Files.size(source) : content.length;
        case SYMLINK -> target.getBytes(StandardCharsets.UTF_8).length;
        default -> 0;
      };
    }
  }

  private static final Map<String, String> MERGED =
      Map.of("/bin", "/usr/bin", "/sbin", "/usr/sbin", "/lib", "/usr/lib", "/lib64", "/usr/lib64");

  private final TreeMap<String, Entry> entries = new TreeMap<>();

  FileTree() {
    directory("/", 0755, "root");
    for (Map.Entry<String, String> link : MERGED.entrySet()) {
      directory(link.getValue(), 0755, "merged /usr");
      entries.put(
          link.getKey(),
          new Entry(
              link.getKey(),
              Type.SYMLINK,
              0777,
              null,
              null,
              link.getValue().substring(1),
              0,
              0,
              "merged /usr"));
    }
  }

  /** The path in merged-/usr form, normalized ({@code /lib/x} becomes {@code /usr/lib/x}). */
  static String canonical(String path) {
    String p = Path.of("/").resolve(path).normalize().toString();
    for (Map.Entry<String, String> link : MERGED.entrySet()) {
      if (p.equals(link.getKey()) || p.startsWith(link.getKey() + "/")) {
        return link.getValue() + p.substring(link.getKey().length());
      }
    }
    return p;
  }

  Optional<Entry> get(String path) {
    return Optional.ofNullable(entries.get(canonical(path)));
  }

  boolean contains(String path) {
    return entries.containsKey(canonical(path));
  }

  /** Adds a directory (and its parents); an existing directory is kept. */
  void directory(String path, int mode, String origin) {
    String p = canonical(path);
    if (!p.equals("/")) {
      directory(Path.of(p).getParent().toString(), 0755, origin);
    }
    entries.putIfAbsent(p, new Entry(p, Type.DIRECTORY, mode, null, null, null, 0, 0, origin));
  }

  /** Adds an entry unless the path is taken already; returns whether it was added. */
  boolean add(Entry entry) {
    String p = canonical(entry.path());
    if (entries.containsKey(p)) {
      return false;
    }
    String parent = Path.of(p).getParent().toString();
    directory(parent, 0755, entry.origin());
    entries.put(
        p,
        new Entry(
            p,
            entry.type(),
            entry.mode(),
            entry.source(),
            entry.content(),
            entry.target(),
            entry.rdevMajor(),
            entry.rdevMinor(),
            entry.origin()));
    return true;
  }

  boolean addFile(String path, Path source, int mode, String origin) {
    return add(new Entry(path, Type.FILE, mode, source, null, null, 0, 0, origin));
  }

  boolean addContent(String path, String content, int mode, String origin) {
    return add(
        new Entry(
            path,
            Type.FILE,
            mode,
            null,
            content.getBytes(StandardCharsets.UTF_8),
            null,
            0,
            0,
            origin));
  }

  boolean addSymlink(String path, String target, String origin) {
    return add(new Entry(path, Type.SYMLINK, 0777, null, null, target, 0, 0, origin));
  }

  void addCharDevice(String path, int mode, int major, int minor, String origin) {
    add(new Entry(path, Type.CHAR_DEVICE, mode, null, null, null, major, minor, origin));
  }

  /**
   * Adds a host file, directory or link under {@code path}, keeping its mode; a file the tree has
   * already is left as it is.
   */
  boolean addHost(String path, Path host, String origin) throws IOException {
    int mode = (Integer) Files.getAttribute(host, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    if (Files.isSymbolicLink(host)) {
      return addSymlink(path, Files.readSymbolicLink(host).toString(), origin);
    } else if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
      directory(path, mode, origin);
      return true;
    } else if (Files.isRegularFile(host, LinkOption.NOFOLLOW_LINKS)) {
      return addFile(path, host, mode, origin);
    }
    return false;
  }

  /**
   * The entry a path leads to in the image, following symbolic links (as the kernel would), or
   * empty when it leads nowhere.
   */
  Optional<Entry> resolve(String path) {
    String p = canonical(path);
    for (int hops = 0; hops < 40; hops++) {
      Entry e = entries.get(p);
      if (e == null) {
        return Optional.empty();
      }
      if (e.type() != Type.SYMLINK) {
        return Optional.of(e);
      }
      Path parent = Path.of(p).getParent();
      p = canonical(parent.resolve(e.target()).toString());
    }
    return Optional.empty();
  }

  /** Every entry, parents before children. */
  List<Entry> entries() {
    return new ArrayList<>(entries.values());
  }

  /**
   * Lays the tree out under {@code dir}: its directories, its files (linked to their host sources
   * where the file system allows, else copied; generated ones written) and its links, as they are
   * (a link to an absolute path leads out of {@code dir}). Device nodes, modes and owners are left
   * to the caller.
   */
  void layOut(Path dir) throws IOException {
    for (Entry e : entries.values()) {
      Path p = dir.resolve(e.path().substring(1));
      switch (e.type()) {
        case DIRECTORY -> Files.createDirectories(p);
        case FILE -> {
          Files.createDirectories(p.getParent());
          if (e.source() == null) {
            Files.write(p, e.content());
          } else {
            link(e.source(), p);
          }
        }
        case SYMLINK -> {
          Files.createDirectories(p.getParent());
          Files.createSymbolicLink(p, Path.of(e.target()));
        }
        case CHAR_DEVICE -> {}
      }
    }
  }

  private static void link(Path source, Path target) throws IOException {
    try {
      Files.createLink(target, source);
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(source, target);
    }
  }

  /** The regular files (by path), for scanning. */
  List<Entry> files() {
    return entries.values().stream().filter(e -> e.type() == Type.FILE).toList();
  }
}
