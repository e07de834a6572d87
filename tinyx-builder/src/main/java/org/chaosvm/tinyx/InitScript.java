package org.chaosvm.tinyx;

import java.util.List;
import java.util.Map;

/**
 * The image's {@code /init}, a BusyBox shell script: it sets up the root file system (an overlay
 * when the image is read-only), mounts the kernel's file systems, loads the image's modules,
 * configures the network from {@code ip=} on the kernel command line, waits for each network
 * device's link (the small kernel's boot does not: patch 0008), runs the application and powers the
 * VM off when the application exits (or when the toolstack asks for a shutdown, after stopping the
 * application).
 *
 * <p>{@code ip=} takes the kernel's own syntax (Documentation/admin-guide/nfs/nfsroot.rst), which
 * Debian's kernel leaves unread (it has no {@code CONFIG_IP_PNP}): {@code
 * ip=CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1}, where CLIENT may also be
 * {@code ADDRESS/PREFIX}, or {@code ip=dhcp}. The device defaults to eth0.
 *
 * @param name the VM's host name
 * @param command the application's argument vector
 * @param env environment variables for the application, in order
 * @param workdir the application's working directory
 * @param modules kernel modules to load, in order (paths in the image)
 * @param rootSetup the first lines, which set up the root file system and mount the kernel's file
 *     systems ({@link RootImage#initSetup})
 * @param rootAfterMounts the root file system's lines once the kernel's file systems are mounted
 *     ({@link RootImage#initAfterMounts})
 */
record InitScript(
    String name,
    List<String> command,
    Map<String, String> env,
    String workdir,
    List<String> modules,
    String rootSetup,
    String rootAfterMounts) {

  InitScript {
    if (command.isEmpty()) {
      throw new IllegalArgumentException("the command is empty");
    }
    command = List.copyOf(command);
    env = Map.copyOf(env);
    modules = List.copyOf(modules);
    for (String key : env.keySet()) {
      if (!key.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException("'" + key + "' is not an environment variable name");
      }
    }
  }

  /** Single-quotes a word for the shell. */
  static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /** The command as one shell line, each word quoted. */
  String commandLine() {
    return String.join(" ", command.stream().map(InitScript::quote).toList());
  }

  String render() {
    StringBuilder s = new StringBuilder();
    s.append("#!/bin/busybox sh\n")
        .append("# The init of the tinyx VM ")
        .append(name)
        .append(", made by tinyx: rebuild the image rather than edit it.\n")
        .append(
            """
            # Every process the init starts costs a VM's boot 10 to 40 ms under TCG (a Xen PV
            # guest's fork and exec update page tables through the hypervisor): the shell's own
            # echo, read and test start none; Debian's BusyBox runs ip, mkdir, pivot_root and
            # umount in a fork, mount, ifconfig and sleep in a fork and an exec.
            """)
        .append(rootSetup)
        .append(
            """
            export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
            export HOME=/root
            exec </dev/console >/dev/console 2>&1
            say() { echo "tinyx: $*"; }
            """)
        .append(rootAfterMounts);
    s.append("echo ").append(quote(name)).append(" >/proc/sys/kernel/hostname\n");
    for (String module : modules) {
      s.append("insmod ")
          .append(quote(module))
          .append(" || say ")
          .append(quote("cannot load " + module))
          .append('\n');
    }
    s.append(
        """
        ip link set lo up
        # Announce each address when its device comes up (a gratuitous ARP): a host that knew
        # another MAC for it, as when a VM is created again with the same address, learns the new
        # one at once instead of sending to the old one until its neighbour entry times out.
        echo 1 >/proc/sys/net/ipv4/conf/all/arp_notify

        # Waits until a test holds, looking every 10 ms, for $1 seconds of the kernel's uptime
        # (to the second): sleep is a fork and an exec, some 40 ms under TCG, so the limit is
        # read from the clock and not counted in turns of the loop.
        await() {
          read -r now _ </proc/uptime
          end=$((${now%.*} + $1))
          shift
          until "$@"; do
            read -r now _ </proc/uptime
            [ "${now%.*}" -lt "$end" ] || return 1
            sleep 0.01
          done
        }

        # A network device: front ends are probed after their module loads.
        has_dev() { [ -e "/sys/class/net/$1" ]; }

        # A network device's link: its front end connected to its back end. The small kernel
        # mounts its root without waiting for network devices (patch 0008), so that their
        # connection overlaps with the init's work; the application still starts with its
        # network up.
        has_link() { read -r link <"/sys/class/net/$1/carrier" 2>/dev/null && [ "$link" = 1 ]; }

        # ip=CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1, or ip=dhcp.
        netconf() {
          case "$1" in
            off | none | "") return ;;
            dhcp | on | any | both) set -- "::::::dhcp" ;;
          esac
          IFS=: read -r client server gw mask host dev auto dns0 dns1 <<EOF
        $1
        EOF
          dev=${dev:-eth0}
          await 10 has_dev "$dev" || { say "no network device $dev appeared"; return; }
          [ -n "$host" ] && echo "$host" >/proc/sys/kernel/hostname
          case "$auto" in
            dhcp | on | any | both)
              ip link set "$dev" up
              await 10 has_link "$dev" || say "$dev: no link after 10 s"
              udhcpc -q -n -t 5 -i "$dev" -s /etc/tinyx/udhcpc.sh >/dev/null 2>&1 ||
                say "no DHCP lease on $dev"
              client=$(ip addr show dev "$dev" | awk '/inet / { print $2 }')
              ;;
            *)
              case "$client" in
                */*) ip addr add "$client" dev "$dev" ;;
                ?*)
                  mask=${mask:-255.255.255.0}
                  ifconfig "$dev" "$client" netmask "$mask"
                  ;;
              esac
              ip link set "$dev" up
              links="$links $dev"
              [ -n "$gw" ] && ip route add default via "$gw" dev "$dev"
              : >/etc/resolv.conf
              for d in $dns0 $dns1; do echo "nameserver $d" >>/etc/resolv.conf; done
              ;;
          esac
          say "$dev: $client${mask:+ netmask $mask}"
        }

        read -r cmdline </proc/cmdline
        for arg in $cmdline; do
          case "$arg" in ip=*) netconf "${arg#ip=}" ;; esac
        done
        for dev in $links; do
          await 10 has_link "$dev" || say "$dev: no link after 10 s"
        done

        """);
    for (Map.Entry<String, String> e :
        env.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
      s.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append('\n');
    }
    s.append("cd ").append(quote(workdir)).append(" || exit 1\n");
    // The kernel's uptime here is the guest's own boot time, whatever the toolstack took; the
    // memory is what the kernel and the unpacked image left for the application. The shell's read
    // reads a byte per system call (it must not read past its line), so the init reads the three
    // lines of /proc/meminfo it needs (MemTotal, MemFree, MemAvailable, in that order since Linux
    // 3.14) and not its 1.4 KiB: each system call of a PV guest switches page tables, which
    // empties QEMU's TLB.
    s.append(
        """
        read -r uptime _ </proc/uptime
        { read -r key1 total _; read -r _; read -r key3 available _; } </proc/meminfo
        memory="$key1 $((total / 1024)) MiB, $key3 $((available / 1024)) MiB"
        """);
    s.append("say ")
        .append(quote("starting " + commandLine()))
        .append(" \"(uptime $uptime s)\" \"($memory)\"\n");
    s.append(
        """
        # A shutdown asked through XenStore makes the kernel run /sbin/poweroff, which signals
        # PID 1 as BusyBox's init expects (USR2 or USR1: power off; TERM: reboot): stop the
        # application, then power off below.
        trap 'say "shutdown requested"; kill -TERM "$app" 2>/dev/null' USR1 USR2 TERM
        """);
    s.append(commandLine()).append(" </dev/null &\n");
    s.append(
        """
        app=$!
        wait "$app"
        status=$?
        while kill -0 "$app" 2>/dev/null; do
          wait "$app"
          status=$?
        done
        say "the application exited with status $status; powering off"
        sync
        poweroff -f
        """);
    return s.toString();
  }
}
