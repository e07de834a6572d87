package org.chaosvm.daemon.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A guest that boots from its own disk through a bootloader Dom0 runs before the build (xl's {@code
 * bootloader}): the bootloader reads the guest's first disk and gives the kernel, ramdisk and
 * command line to build. chaos runs Xen's pygrub only.
 *
 * @param program the bootloader as the config names it: {@code "pygrub"} or a path to it
 * @param args {@code bootloader_args}, passed to it before the disk
 * @param kernel the config's {@code kernel}: a path on the guest's disk (pygrub's {@code --kernel})
 * @param ramdisk the config's {@code ramdisk}: a path on the guest's disk ({@code --ramdisk})
 */
public record Bootloader(
    String program, List<String> args, Optional<String> kernel, Optional<String> ramdisk) {
  public Bootloader {
    Objects.requireNonNull(program, "program");
    args = List.copyOf(args);
  }
}
