package org.chaosvm.protocol;

import java.util.List;
import java.util.Map;

/** The daemon's answer to one request: a closed set, told apart by {@code "reply"}. */
public sealed interface Reply {
  /**
   * A guest was created.
   *
   * @param fromPool whether a prepared shell was used (else one was built on demand)
   * @param phasesMs the time of each phase of the create, in order, in milliseconds
   */
  record Created(int domid, String name, boolean fromPool, Map<String, Double> phasesMs)
      implements Reply {}

  /** The request was carried out. */
  record Done(String message) implements Reply {}

  record Guests(List<GuestInfo> guests) implements Reply {}

  /**
   * One guest.
   *
   * @param state running, blocked, paused, shutdown or dying, as Xen reports it
   * @param bootMs from the daemon's receiving the create to the guest's first console output, as
   *     the daemon saw it; null until then, and for guests it did not create (Domain-0, adopted)
   * @param bootloader what {@code bootMs} went through before the guest's kernel, when a bootloader
   *     booted it: {@code pygrub} (run in Dom0: its time is in {@code bootMs}) or {@code PV-GRUB2}
   *     (the guest's kernel is GRUB: {@code bootMs} ends at GRUB's first output); null otherwise
   */
  record GuestInfo(
      int domid,
      String name,
      int memoryMib,
      int vcpus,
      String state,
      Double bootMs,
      String bootloader) {
    public GuestInfo(int domid, String name, int memoryMib, int vcpus, String state) {
      this(domid, name, memoryMib, vcpus, state, null, null);
    }

    public GuestInfo(
        int domid, String name, int memoryMib, int vcpus, String state, Double bootMs) {
      this(domid, name, memoryMib, vcpus, state, bootMs, null);
    }
  }

  /**
   * The host and the pool.
   *
   * @param pool per size class ("MEMORYxVCPUS"): shells ready and the target
   */
  record HostInfo(long totalMib, long freeMib, int cpus, Map<String, PoolClass> pool)
      implements Reply {}

  record PoolClass(int ready, int target) {}

  record Devices(List<DeviceInfo> devices) implements Reply {}

  /**
   * Where a guest's console is served.
   *
   * @param streamed the daemon serves it (noxs guests): from the byte after this reply's newline
   *     the connection is the console, raw both ways (the guest's output, its last lines first, to
   *     the client; the client's bytes to the guest's input) until either side closes it. Otherwise
   *     xenconsoled serves it: the client attaches to domain {@code domid}'s with xenconsole.
   */
  record Console(int domid, String name, boolean streamed) implements Reply {}

  /**
   * One device of a guest.
   *
   * @param name how Dom0 and the guest name it: the vif's interface in Dom0, the disk's vdev
   * @param backendState the back end's XenbusState (4: connected)
   * @param frontendState the front end's XenbusState
   * @param settings what it was attached with: mac, bridge, ip... or target, mode...
   */
  record DeviceInfo(
      int devid, String name, int backendState, int frontendState, Map<String, String> settings) {}

  record Error(ErrorCode code, String message) implements Reply {}

  /**
   * A save goes ahead: the guest's image follows on the connection ({@link ImageFrames}), then the
   * save's final reply; or, {@code toFile}, the daemon writes it into the request's file and only
   * the final reply follows.
   */
  record Image(int domid, String name, boolean toFile) implements Reply {
    /** The image follows in frames. */
    public Image(int domid, String name) {
      this(domid, name, false);
    }
  }

  /**
   * A restore's file cannot be opened by the daemon ({@code why}; another view of the file system,
   * say): the client sends the image in frames ({@link ImageFrames}), then reads the final reply.
   */
  record SendImage(String why) implements Reply {}
}
