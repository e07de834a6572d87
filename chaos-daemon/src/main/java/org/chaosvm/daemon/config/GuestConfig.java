package org.chaosvm.daemon.config;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A PV guest to create, whichever config format it came from.
 *
 * @param kernel the kernel the domain builder loads; for a guest with a {@code bootloader}, the
 *     bootloader's program until it has run and {@link #withBoot} has given the kernel it chose
 * @param cmdline the kernel command line as the guest sees it (a bootloader's {@code --args})
 * @param memoryMib memory at boot
 * @param maxMemoryMib memory the guest may balloon up to (at least {@code memoryMib})
 * @param vcpus vCPUs online at boot
 * @param maxVcpus vCPUs the guest may ever have (at least {@code vcpus})
 * @param cpus the physical CPUs the vCPUs may run on; empty for all
 * @param paused whether to leave the guest paused once built
 * @param devices the device mechanism the config asks for; empty for the daemon's default
 * @param bootloader what boots the guest from its own disk, if anything does
 */
public record GuestConfig(
    String name,
    Path kernel,
    Optional<Path> ramdisk,
    String cmdline,
    int memoryMib,
    int maxMemoryMib,
    int vcpus,
    int maxVcpus,
    Optional<BitSet> cpus,
    Optional<UUID> uuid,
    LifecycleAction onPoweroff,
    LifecycleAction onReboot,
    LifecycleAction onCrash,
    List<VifSpec> vifs,
    List<DiskSpec> disks,
    boolean paused,
    Optional<DeviceMechanism> devices,
    Optional<Bootloader> bootloader) {
  /** xl's default memory for a guest that does not say. */
  public static final int DEFAULT_MEMORY_MIB = 128;

  public GuestConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(devices, "devices");
    Objects.requireNonNull(bootloader, "bootloader");
    vifs = List.copyOf(vifs);
    disks = List.copyOf(disks);
  }

  /** This config under another name (check it with {@link GuestNames#problem} first). */
  public GuestConfig withName(String newName) {
    return with(newName, kernel, ramdisk, disks);
  }

  /** The same guest with its kernel, ramdisk and disks reached by other paths. */
  public GuestConfig withFiles(Path newKernel, Optional<Path> newRamdisk, List<DiskSpec> newDisks) {
    return with(name, newKernel, newRamdisk, newDisks);
  }

  /**
   * The guest as its bootloader has chosen its kernel, ramdisk and command line: built like any
   * other from here on.
   */
  public GuestConfig withBoot(Path newKernel, Optional<Path> newRamdisk, String newCmdline) {
    return with(name, newKernel, newRamdisk, newCmdline, disks, Optional.empty());
  }

  private GuestConfig with(
      String newName, Path newKernel, Optional<Path> newRamdisk, List<DiskSpec> newDisks) {
    return with(newName, newKernel, newRamdisk, cmdline, newDisks, bootloader);
  }

  private GuestConfig with(
      String newName,
      Path newKernel,
      Optional<Path> newRamdisk,
      String newCmdline,
      List<DiskSpec> newDisks,
      Optional<Bootloader> newBootloader) {
    return new GuestConfig(
        newName,
        newKernel,
        newRamdisk,
        newCmdline,
        memoryMib,
        maxMemoryMib,
        vcpus,
        maxVcpus,
        cpus,
        uuid,
        onPoweroff,
        onReboot,
        onCrash,
        vifs,
        newDisks,
        paused,
        devices,
        newBootloader);
  }
}
