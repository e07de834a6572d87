package org.chaosvm.daemon.config;

/**
 * A virtual disk as xl's {@code disk} describes it: what backs it ({@code phy:/dev/...} or an image
 * file), its format (raw), the device the guest sees (xvda, ...) and its access mode.
 */
public record DiskSpec(String target, String format, String vdev, boolean writable) {}
