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
 * @param cmdline the kernel command line as the guest sees it
 * @param memoryMib memory at boot
 * @param maxMemoryMib memory the guest may balloon up to (at least {@code memoryMib})
 * @param vcpus vCPUs online at boot
 * @param maxVcpus vCPUs the guest may ever have (at least {@code vcpus})
 * @param cpus the physical CPUs the vCPUs may run on; empty for all
 * @param paused whether to leave the guest paused once built
 * @param devices the device mechanism the config asks for; empty for the daemon's default
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
    Optional<DeviceMechanism> devices) {
  /** xl's default memory for a guest that does not say. */
  public static final int DEFAULT_MEMORY_MIB = 128;

  public GuestConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(devices, "devices");
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

  private GuestConfig with(
      String newName, Path newKernel, Optional<Path> newRamdisk, List<DiskSpec> newDisks) {
    return new GuestConfig(
        newName,
        newKernel,
        newRamdisk,
        cmdline,
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
        devices);
  }
}
