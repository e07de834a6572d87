package org.chaosvm.daemon.engine;

import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.PvBuild;

/**
 * How Dom0 and a guest reach each other, one implementation per {@link DeviceMechanism}: where the
 * toolstack marks and records the domain (for a restarted daemon), how the built guest is described
 * to Dom0, its devices' back ends and requests to its kernel. The factory and the engine pick a
 * guest's mechanism and never ask which it is.
 */
interface Mechanism extends AutoCloseable {
  DeviceMechanism kind();

  /** Refuses if this host cannot serve the mechanism at all (say why). */
  void requireAvailable();

  /** Refuses, before anything is made, a guest this mechanism cannot serve (say why). */
  void check(GuestConfig guest);

  /** Whether its guests get a XenStore event channel in their start info. */
  boolean xenstoreChannel();

  /** A fresh domain is a shell from here on (called as soon as it exists). */
  void markShell(DomId domid);

  /**
   * The prepare phase's share, for a domain with no kernel yet (vif 0's back end; noxs: a control
   * device, the console's channel bound, the record's file made).
   */
  void prepare(PvBuild.Prepared domain);

  /** The execute phase begins: the shell becomes the guest {@code name} (a restart destroys it). */
  void markBuilding(DomId domid, String name, UUID uuid);

  /**
   * The execute phase, once the kernel is built in (or a checkpoint restored into the shell, its
   * rings where the restore put them): the guest described to Dom0 and recorded, and the domain
   * given the guest's handle {@code uuid} ({@link Shell#takeHandle}), in the order that lets a
   * restarted daemon tell a half-built guest from a running one. {@code held} (a migration's
   * incoming guest): it is recorded as still being built (a restarted daemon destroys it) until
   * {@link #confirm}.
   */
  void describe(
      Shell shell,
      GuestConfig guest,
      UUID uuid,
      String configText,
      PvBuild.Rings rings,
      boolean held,
      Phases phases);

  /**
   * A held guest ({@link #describe}) is recorded as running, under {@code name} and handle {@code
   * uuid}: the one it was described with ({@code held.uuid()}), or its own that a guest sent from
   * here held until now, which the domain already has (Xen's handle is set by the caller first).
   */
  void confirm(Guest held, String name, UUID uuid);

  DeviceBackend devices();

  GuestControl control();

  GuestConsole console();

  /** Removes what a gone (or destroyed) domain leaves of this mechanism: back ends, records. */
  void removeRemains(DomId domid, Optional<UUID> uuid);

  @Override
  void close();
}
