package org.chaosvm.tinyx;

import java.util.ArrayList;
import java.util.List;

/** The VM's config in xl.cfg syntax, which {@code xl create} and {@code chaos create} read. */
final class VmConfig {
  private VmConfig() {}

  /**
   * The kernel command line: the console, the root file system (as its image's format boots), and
   * the network for the image's init.
   */
  static String cmdline(Spec spec, List<String> root) {
    List<String> words = new ArrayList<>(List.of("console=hvc0", "quiet"));
    words.addAll(root);
    if (spec.network() && spec.ip().isPresent()) {
      String ip = spec.ip().get();
      words.add(
          ip.equals("dhcp")
              ? "ip=dhcp"
              : "ip=" + ip + "::" + spec.gateway().orElse("") + "::" + spec.name() + ":eth0:off");
    }
    return String.join(" ", words);
  }

  static String render(
      Spec spec, String kernel, String ramdisk, List<String> root, int memory, String app) {
    StringBuilder s = new StringBuilder();
    s.append("# The tinyx VM ")
        .append(spec.name())
        .append(" (")
        .append(app)
        .append("), made by tinyx: report.txt lists what its image holds.\n")
        .append(
            spec.noxs()
                ? "# A noxs VM (no XenStore): boot it with chaos create vm.cfg, on the noxs-patched"
                    + " Xen\n"
                : "# Boot it with: xl create vm.cfg, or: chaos create vm.cfg\n");
    s.append("name = ").append(quote(spec.name())).append('\n');
    s.append("type = \"pv\"\n");
    s.append("kernel = ").append(quote(kernel)).append('\n');
    s.append("ramdisk = ").append(quote(ramdisk)).append('\n');
    s.append("extra = ").append(quote(cmdline(spec, root))).append('\n');
    s.append("memory = ").append(memory).append('\n');
    s.append("vcpus = ").append(spec.vcpus()).append('\n');
    if (spec.noxs()) {
      s.append("dev_method = \"noxs\"\n");
    }
    if (spec.network()) {
      s.append("vif = [ ").append(quote("bridge=" + spec.bridge())).append(" ]\n");
    }
    s.append("on_poweroff = \"destroy\"\n");
    s.append("on_crash = \"destroy\"\n");
    return s.toString();
  }

  private static String quote(String s) {
    if (s.contains("\"") || s.contains("\\") || s.contains("\n")) {
      throw new IllegalArgumentException("cannot write " + s + " in an xl config string");
    }
    return "\"" + s + "\"";
  }
}
