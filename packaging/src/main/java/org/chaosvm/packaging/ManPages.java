package org.chaosvm.packaging;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.chaosvm.cli.Chaos;
import org.chaosvm.daemon.ChaosDaemon;
import org.chaosvm.packaging.ManPage.Section;
import org.chaosvm.packaging.ManPage.Title;
import org.chaosvm.tinyx.Tinyx;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Writes the packages' manual pages and the chaos command's bash completion, from the commands'
 * picocli models, and chaos.cfg(5) from docs/config.md: {@code ManPages OUT_DIR VERSION DATE
 * CONFIG_MD}.
 */
public final class ManPages {
  static final String DAEMON_CONFIG = "/etc/chaos/chaos-daemon.conf";

  private ManPages() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 4) {
      throw new IllegalArgumentException("usage: ManPages OUT_DIR VERSION DATE CONFIG_MD");
    }
    Path out = Path.of(args[0]);
    Files.createDirectories(out);
    String configFormat = Files.readString(Path.of(args[3]), StandardCharsets.UTF_8);
    for (Page page : pages("chaos " + args[1], args[2], configFormat)) {
      Files.writeString(out.resolve(page.file()), page.text(), StandardCharsets.UTF_8);
    }
    Files.writeString(
        out.resolve("chaos.bash-completion"),
        // sourced by bash-completion, not run: no #! line
        AutoComplete.bash("chaos", Chaos.fullCommandLine()).replaceFirst("^#![^\n]*\n", ""),
        StandardCharsets.UTF_8);
  }

  /** A page's file name (NAME.SECTION) and text. */
  record Page(String file, String text) {}

  static List<Page> pages(String version, String date, String configFormat) {
    return List.of(
        new Page(
            "chaos.cfg.5",
            ManPage.of(
                new Title(
                    "chaos.cfg",
                    5,
                    "the guest configs chaos create reads: xl.cfg and chaos JSON",
                    version,
                    date),
                MarkdownPage.body(configFormat),
                List.of(
                    new Section(
                        "SEE ALSO",
                        List.of(
                            "chaos(1), xl.cfg(5), xl-disk-configuration(5),"
                                + " xl-network-configuration(5)"))))),
        new Page(
            "chaos.1",
            ManPage.of(
                Chaos.fullCommandLine(),
                new Title(
                    "chaos",
                    1,
                    "create, run and tear down Xen guests through chaos-daemon",
                    version,
                    date),
                List.of(
                    new Section(
                        "ENVIRONMENT",
                        List.of(
                            "* CHAOS_JAVA_OPTS: the JVM's options, in place of the command's own"
                                + " (-XX:TieredStopAtLevel=1 -XX:+UseSerialGC).")),
                    new Section(
                        "FILES",
                        List.of(
                            "* /run/chaos/chaos.sock: chaos-daemon's socket (--socket names"
                                + " another).")),
                    new Section(
                        "SEE ALSO",
                        List.of(
                            "chaos.cfg(5), chaos-daemon(8), chaos-daemon.conf(5), tinyx(1), xl(1),"
                                + " xl.cfg(5)"))))),
        new Page(
            "chaos-daemon.8",
            ManPage.of(
                ChaosDaemon.commandLine(),
                new Title(
                    "chaos-daemon",
                    8,
                    "chaos's daemon: a pool of VM shells and the guests' life cycle on a Xen Dom0",
                    version,
                    date),
                List.of(
                    new Section(
                        "ENVIRONMENT",
                        List.of(
                            "* CHAOS_DAEMON_JAVA_OPTS: JVM options added after those of"
                                + " /usr/share/chaos/lib/chaos-daemon.jvm (the unit reads them from"
                                + " /etc/default/chaos-daemon).",
                            "* CHAOS_DAEMON_ARCHIVE_DIR: a folder for a class-data sharing"
                                + " archive of the daemon's classes, written as the daemon exits"
                                + " when it is missing or older than the daemon's jars or the JVM,"
                                + " mapped by later starts (the unit sets /var/cache/chaos).",
                            "* CHAOS_LOG_LEVEL: the log level when --log-level is not given.",
                            "* JOURNAL_STREAM: set by systemd; when standard output is the"
                                + " stream it names, log lines carry no time of their own.",
                            "* NOTIFY_SOCKET: set by systemd; the daemon sends READY=1 on it once"
                                + " it serves its socket, and STOPPING=1 when it stops.")),
                    new Section(
                        "FILES",
                        List.of(
                            "* "
                                + DAEMON_CONFIG
                                + ": the settings the package's unit gives"
                                + " (chaos-daemon.conf(5)).",
                            "* /lib/systemd/system/chaos-daemon.service: the unit.",
                            "* /var/lib/chaos: the guests' records (--state-dir).",
                            "* /var/log/chaos: noxs guests' console logs (--log-dir).",
                            "* /var/cache/chaos: the daemon's class-data sharing archive.")),
                    new Section(
                        "SEE ALSO",
                        List.of("chaos(1), chaos-daemon.conf(5), systemctl(1), xl(1)"))))),
        new Page(
            "chaos-daemon.conf.5",
            ManPage.of(
                new Title(
                    "chaos-daemon.conf", 5, "chaos-daemon's configuration file", version, date),
                "",
                daemonConfig())),
        new Page(
            "tinyx.1",
            ManPage.of(
                new CommandLine(new Tinyx()),
                new Title(
                    "tinyx",
                    1,
                    "build a minimal Linux VM for one application, from Debian packages",
                    version,
                    date),
                List.of(
                    new Section(
                        "ENVIRONMENT",
                        List.of(
                            "* TINYX_JAVA_OPTS: the JVM's options, in place of the command's own.",
                            "* XDG_CACHE_HOME: the package cache is under it (chaos-tinyx), else"
                                + " under ~/.cache.")),
                    new Section("SEE ALSO", List.of("chaos(1), xl(1), xl.cfg(5)"))))));
  }

  /** chaos-daemon.conf(5): the file's syntax, then each setting from the daemon's options. */
  private static List<Section> daemonConfig() {
    List<String> settings = new ArrayList<>();
    for (OptionSpec option : ChaosDaemon.fileSettings()) {
      String key = option.longestName().substring(2);
      String value = option.arity().max() == 0 ? "true|false" : option.paramLabel();
      settings.add("* " + key + " = " + value + ": " + ManPage.description(option));
    }
    return List.of(
        new Section(
            "DESCRIPTION",
            List.of(
                "chaos-daemon(8) reads its settings from the file that --config names; the"
                    + " package's systemd unit names "
                    + DAEMON_CONFIG
                    + ", a conffile that upgrades keep. Options on the daemon's command line"
                    + " are read after the file: a setting given there wins over the file's, and"
                    + " settings that take a list add up.",
                "Each line is KEY = VALUE, where KEY is one of the daemon's long options without"
                    + " its two dashes and VALUE is what the option takes on the command line:"
                    + " the rest of the line, with the spaces around it removed, and no quoting."
                    + " Lines that start with # and blank lines are skipped. A setting that takes"
                    + " a list (pool, member-block-device, member-bridge) may be given on several"
                    + " lines; any other may be given once. A switch takes true or false.",
                "chaos-daemon --config FILE --check-config checks a file and the options, prints"
                    + " the settings and exits 0, or names the file, the line and the setting at"
                    + " fault and exits 2. The daemon reads the file only when it starts: after a"
                    + " change, systemctl restart chaos-daemon (the guests keep running and are"
                    + " adopted).")),
        new Section("SETTINGS", settings),
        new Section(
            "EXAMPLE",
            List.of(
                "$ socket = /run/chaos/chaos.sock\ngroup = chaos\npool = 256x1=4\n"
                    + "pool = 4x1:noxs=8\nmember-bridge = xenbr1")),
        new Section("SEE ALSO", List.of("chaos-daemon(8), chaos(1)")));
  }
}
